"""The config reference in docs/ is generated from the models and must match them."""

from tools.generate.config_reference import OUT, reference


def test_config_reference_is_current():
    assert OUT.read_text() == reference(), "run: python -m tools.generate.config_reference"


def test_reference_lists_every_section_and_key():
    text = reference()
    for section in ("common", "prometheus", "alertmanager", "grafana", "loki", "promtail", "jaeger", "slos[]"):
        assert f"### `{section}`" in text
    assert '| `retention` | `duration` | `"30d"` |' in text
    assert "### `alertmanager.receivers[].slack`" in text


def test_api_reference_is_current():
    from tools.generate.api_reference import OUT as API_OUT
    from tools.generate.api_reference import reference as api_reference

    assert API_OUT.read_text() == api_reference(), "run: python -m tools.generate.api_reference"

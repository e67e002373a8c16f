"""The config reference in docs/ is generated from the models and must match them."""

from tools.config_reference import OUT, reference


def test_config_reference_is_current():
    assert OUT.read_text() == reference(), "run: python -m tools.config_reference"


def test_reference_lists_every_section_and_key():
    text = reference()
    for section in ("common", "prometheus", "alertmanager", "grafana", "loki", "promtail", "jaeger", "slos[]"):
        assert f"### `{section}`" in text
    assert '| `retention` | `duration` | `"30d"` |' in text
    assert "### `alertmanager.receivers[].slack`" in text

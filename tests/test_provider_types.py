"""The component provider's typed `config`: generated from the models, read by the SDK's analyzer, and
mapped back to what a stack file writes, so a config in another language is the same config."""

from __future__ import annotations

import json
import typing

import pytest
from conftest import SECRETS, stack_config
from pulumi.provider.experimental.component import ComponentProvider
from pydantic import BaseModel

from observability_stack import __version__
from observability_stack.configs.load import load_sections, split_config
from observability_stack.configs.models.stack import stack_model
from observability_stack.provider import ObservabilityStack
from tests.prsm_pack import ROOT, prsm_config
from tools.generate import provider_types

TOKEN = "observability:index:"


@pytest.fixture(scope="module")
def provider():
    return ComponentProvider([ObservabilityStack], "observability", version=__version__)


@pytest.fixture(scope="module")
def schema(provider):
    return json.loads(provider.schema)  # what `pulumi package get-schema` prints, in process


def test_the_generated_module_is_current():
    assert provider_types.OUT.read_text() == provider_types.render(), "run python -m tools.generate.provider_types"


def test_config_is_typed_section_by_section(schema):
    config = schema["resources"][TOKEN + "ObservabilityStack"]["inputProperties"]["config"]
    assert config["$ref"] == "#/types/" + TOKEN + "StackConfig"
    sections = schema["types"][TOKEN + "StackConfig"]["properties"]
    assert set(sections) >= {"common", "prometheus", "alertmanager", "grafana", "nodeExporter", "slos"}
    prometheus = schema["types"][TOKEN + "Prometheus"]["properties"]
    assert prometheus["retention"]["type"] == "string"
    # A duration is a string with its format said, not a map of anything.
    assert "Format:" in prometheus["retention"]["description"]
    rule = schema["types"][TOKEN + "Rule"]["properties"]
    assert "for" in rule and "for_" not in rule


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _schema_names(value, spec: dict, types: dict, path: str):
    """A stack file's config written in the schema's names, as a TypeScript program writes it; a key
    the schema does not have fails the test with its path."""
    if "$ref" in spec:
        ref = spec["$ref"].removeprefix("#/types/")
        if not ref.startswith(TOKEN):
            return value  # pulumi.json#/Any
        spec = types[ref]
    if isinstance(value, dict) and "properties" in spec:
        out = {}
        for key, item in value.items():
            name = _camel(key)
            assert name in spec["properties"], f"{path}.{key}: no `{name}` in the schema"
            out[name] = _schema_names(item, spec["properties"][name], types, f"{path}.{key}")
        return out
    if isinstance(value, dict) and "additionalProperties" in spec:
        return {k: _schema_names(v, spec["additionalProperties"], types, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list) and "items" in spec:
        return [_schema_names(item, spec["items"], types, f"{path}[{i}]") for i, item in enumerate(value)]
    return value


def _every_default() -> dict:
    """The whole config with every default written out, as a stack file would write it, over the PRSM
    pack (its receivers, scrape jobs, SLOs and rule files, which the package's defaults no longer carry)."""
    config = prsm_config().model_dump(mode="json", by_alias=True, exclude_none=True)
    del config["content_packs"]
    rule = {"alert": "AppDown", "expr": "up == 0", "for": "5m", "labels": {"severity": "warning"}}
    config["prometheus"]["rule_groups"] = [{"name": "app", "rules": [rule]}]
    return config


@pytest.mark.parametrize("stack", ["dev", "prod", "every default"])
def test_a_stack_files_config_through_the_schema_is_the_same_config(stack, provider, schema):
    sections = _every_default() if stack == "every default" else split_config(stack_config(stack))[0]
    written = _schema_names(sections, {"$ref": "#/types/" + TOKEN + "StackConfig"}, schema["types"], "config")
    # What the provider host does with the inputs the engine sends: schema names to Python names.
    definition = provider._component_defs["ObservabilityStack"]
    mapped = provider.map_inputs({"config": written}, definition)["config"]
    # Written out, the pack's secret names are the config's own: unset, they would be errors.
    assert load_sections(mapped, SECRETS, str(ROOT))[0] == load_sections(sections, SECRETS, str(ROOT))[0]
    if stack == "every default":
        # Not vacuous: renamed keys (`for`, `scrape_jobs`), map keys kept as written, discriminated kinds.
        text = json.dumps(written)
        assert '"for"' in text and "scrapeJobs" in text and '"severity"' in text and '"kind"' in text
        assert '"prsm.yml"' in text and "dashboardFolders" in text


def test_a_misspelt_key_is_refused_by_the_schema_walk(schema):
    with pytest.raises(AssertionError, match=r"config\.prometheus\.retension"):
        _schema_names(
            {"prometheus": {"retension": "7d"}}, {"$ref": "#/types/" + TOKEN + "StackConfig"}, schema["types"], "config"
        )


def test_an_output_anywhere_in_config_is_refused_with_its_path():
    from unittest import mock

    import pulumi

    from observability_stack.provider import _refuse_outputs

    output = mock.MagicMock(spec=pulumi.Output)  # an Output without a running program's event loop
    with pytest.raises(ValueError, match=r"config\.alertmanager\.receivers\[0\]\.name is an output"):
        _refuse_outputs({"alertmanager": {"receivers": [{"name": output}]}}, "config")
    _refuse_outputs({"alertmanager": {"receivers": [{"name": "x"}]}}, "config")


def _models(model, seen):
    if model in seen:
        return
    seen.add(model)
    for info in model.model_fields.values():
        stack = [info.annotation]
        while stack:
            annotation = stack.pop()
            stack.extend(typing.get_args(annotation))
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                _models(annotation, seen)


def test_every_aliased_field_takes_the_name_the_schema_maps_to():
    # The analyzer hands the provider `for_`, `continue_`, `from_`: a model with an alias that did not
    # also take the field's name would refuse a config from TypeScript that a stack file passes.
    seen: set = set()
    _models(stack_model(), seen)
    aliased = {m.__name__ for m in seen for k, f in m.model_fields.items() if f.alias and f.alias != k}
    assert aliased >= {"Rule", "Route", "Smtp"}
    refusing = {m.__name__ for m in seen if m.__name__ in aliased and not m.model_config.get("validate_by_name")}
    assert not refusing

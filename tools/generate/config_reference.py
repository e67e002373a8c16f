"""Generates docs/config-reference.md from the pydantic models, so the reference cannot drift.

python -m tools.generate.config_reference            # rewrite the file
python -m tools.generate.config_reference --check    # exit 1 when it is stale (the tests run this)
"""

from __future__ import annotations

import json
import sys
import types
import typing

from pydantic import BaseModel

from observability_stack.configs.models.stack import stack_model
from tools.generate import write_or_check
from tools.harness.mockrun import ROOT

OUT = ROOT / "docs" / "config-reference.md"
_INLINE_LIMIT = 60


# The constrained string and number types of observability_stack/configs/models, by the validator that defines them.
_VALIDATED = {
    "_check_duration": "duration",
    "_cpu": "CPU quantity",
    "_bytes": "byte quantity",
    "_promql": "PromQL",
    "_rule_template": "template",
    "_notification_template": "template",
    "_label_name": "label name",
    "_distinct": "list of label names",
    "_group_by": "list of label names",
    "_not_a_bool": "int",
    "_dns_subdomain": "DNS name",
    "_host": "DNS name",
    "_label_key": "label key",
    "_label_value": "label value",
    "_repository": "image repository",
    "_ip": "IP address",
    "_docker_name": "Docker name",
    "_absolute_path": "URL path",
    "_bucket": "S3 bucket name",
}


def _validated(metadata) -> str | None:
    for item in metadata:
        name = getattr(getattr(item, "func", None), "__name__", "")
        if name in _VALIDATED:
            return _VALIDATED[name]
    return None


def _type_name(annotation) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _validated(args[1:]) or _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return " or ".join(_type_name(a) for a in inner) + (" (optional)" if len(inner) < len(args) else "")
    if origin is typing.Literal:
        return "one of " + ", ".join(map(str, args))
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return "map of string"
    return getattr(annotation, "__name__", str(annotation))


def _field_type(field) -> str:
    # pydantic moves a top-level Annotated's validators into field.metadata.
    return _validated(field.metadata) or _type_name(field.annotation)


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return f"{len(value)} entries (the seed's; see `make render`)"
    text = json.dumps(value, default=str)
    return f"`{text}`" if len(text) <= _INLINE_LIMIT else f"`{text[:_INLINE_LIMIT]}…`"


def _nested(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _nested(arg)
    return found


def _section(model: type[BaseModel], path: str, lines: list[str], seen: set[type]) -> None:
    if model in seen:
        return  # each model once, at its first path (routes nest routes)
    seen.add(model)
    lines += [f"### `{path}`", "", "| key | type | default |", "| --- | --- | --- |"]
    children = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        lines.append(f"| `{key}` | `{_field_type(field)}` | {_default(field)} |")
        for child in _nested(field.annotation):
            suffix = "[]" if typing.get_origin(field.annotation) is list else ""
            children.append((child, f"{path}.{key}{suffix}"))
    lines.append("")
    for child, child_path in children:
        _section(child, child_path, lines, seen)


def reference() -> str:
    lines = [
        "# Stack configuration reference",
        "",
        "Generated from `observability_stack/configs/models/` by `python -m tools.generate.config_reference`;",
        "do not edit by hand.",
        "Every section is a key in the `observability` namespace of `Pulumi.<stack>.yaml`",
        "(`observability:prometheus`, ...). Unknown keys are errors. Secret values go under",
        "`observability:secrets` (`pulumi config set --secret --path 'observability:secrets.<name>' ...`)",
        "and are referenced by name from the fields ending in `_secret`.",
        "",
    ]
    seen: set[type] = set()
    for name, field in stack_model().model_fields.items():
        models = _nested(field.annotation)
        if models:
            suffix = "[]" if typing.get_origin(field.annotation) is list else ""
            _section(models[0], name + suffix, lines, seen)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(OUT, reference(), "tools.generate.config_reference", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

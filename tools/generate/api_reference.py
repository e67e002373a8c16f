"""Generates docs/api-reference.md from the public API's docstrings, so the reference cannot drift.

python -m tools.generate.api_reference            # rewrite the file
python -m tools.generate.api_reference --check    # exit 1 when it is stale (the tests compare it too)

Public means exported by `observability_stack/__init__.py` (its `__all__`), plus the component
provider's schema, which the Pulumi CLI reads from `observability_stack/provider.py`.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
import types

from pydantic import BaseModel

import observability_stack
from observability_stack import provider
from tools.generate import write_or_check
from tools.harness.mockrun import ROOT

OUT = ROOT / "docs" / "api-reference.md"


def _attribute_docs(cls: type) -> list[tuple[str, str, str]]:
    """(name, annotation, docstring) for each annotated class attribute followed by a string literal."""
    found = []
    for klass in reversed(cls.__mro__):
        if klass.__module__.split(".")[0] != "observability_stack":
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):  # built at run time (StackConfig, from the registry): no source
            continue
        body = tree.body[0].body
        for node, following in zip(body, body[1:] + [None], strict=True):
            if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
                continue
            doc = ""
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                doc = str(following.value.value)
            found.append((node.target.id, ast.unparse(node.annotation), inspect.cleandoc(doc)))
    return found


def _doc(obj) -> str:
    return inspect.cleandoc(obj.__doc__ or "")


def _section(name: str, obj) -> list[str]:
    if isinstance(obj, types.ModuleType):
        return [f"### `{name}`", "", _doc(obj).split("\n\n")[0], "See [config-reference.md](config-reference.md).", ""]
    if isinstance(obj, type) and issubclass(obj, BaseModel):
        fields = ", ".join(f"`{f}`" for f in obj.model_fields)
        return [
            f"### `{name}`",
            "",
            _doc(obj),
            "",
            f"Fields: {fields}. See [config-reference.md](config-reference.md).",
            "",
        ]
    if inspect.isfunction(obj):
        return [f"### `{name}{inspect.signature(obj)}`", "", _doc(obj), ""]
    lines = [f"### `{name}`", ""]
    init = next((k.__dict__["__init__"] for k in obj.__mro__ if "__init__" in k.__dict__), None)
    if init is not None and not getattr(obj, "__dataclass_fields__", None) and init is not object.__init__:
        lines += [f"`{name}{inspect.signature(init)}`".replace("(self, ", "("), ""]
    if obj.__doc__ and not obj.__doc__.startswith(f"{name}("):  # not a dataclass' generated docstring
        lines += [_doc(obj), ""]
    attributes = _attribute_docs(obj)
    if attributes:
        lines += ["| name | type | |", "| --- | --- | --- |"]
        lines += [f"| `{a}` | `{t}` | {d.replace(chr(10), ' ')} |" for a, t, d in attributes]
        lines.append("")
    for method_name, method in obj.__dict__.items():
        function = method.__func__ if isinstance(method, classmethod | staticmethod) else method
        # Public methods that say what they do; the rest (describe, base) serve the subclasses.
        if not method_name.startswith("_") and isinstance(function, types.FunctionType) and function.__doc__:
            lines += [f"`{name}.{method_name}{inspect.signature(function)}`: {_doc(function)}", ""]
    return lines


def reference() -> str:
    lines = [
        "# Python API reference",
        "",
        "Generated from the docstrings of `observability_stack` by `python -m tools.generate.api_reference`;",
        'do not edit by hand. What is public, and how it may change: the README\'s "Using the package".',
        "",
        f"Version {observability_stack.__version__}.",
        "",
        "## `observability_stack`",
        "",
    ]
    for name in sorted(observability_stack.__all__):
        lines += _section(name, getattr(observability_stack, name))
    lines += [
        "## Component provider (`observability_stack.provider`)",
        "",
        "The schema other languages' SDKs are generated from: resource `observability:index:ObservabilityStack`.",
        "",
    ]
    lines += _section("ObservabilityStack", provider.ObservabilityStack)[2:]
    lines += ["Inputs (`ObservabilityStackArgs`, camelCase in the schema):", ""]
    lines += ["| name | type | |", "| --- | --- | --- |"]
    lines += [
        f"| `{a}` | `{t}` | {d.replace(chr(10), ' ')} |" for a, t, d in _attribute_docs(provider.ObservabilityStackArgs)
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(OUT, reference(), "tools.generate.api_reference", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

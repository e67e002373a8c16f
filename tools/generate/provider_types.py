"""Generates observability_stack/provider_types.py, the component provider's typed `config`, from the
pydantic models, so the schema other languages get cannot drift from what the stack validates.

python -m tools.generate.provider_types            # rewrite the module
python -m tools.generate.provider_types --check    # exit 1 when it is stale (the tests run this)

The SDK's analyzer (pulumi/provider/experimental/analyzer.py) reads TypedDicts and nested annotated
classes, and refuses unions. Each config model becomes a TypedDict of the same name, `total=False`,
its required fields `Required[...]`, its docstring and the comments above its fields the
descriptions. The mapping of what the analyzer does not take:

- `X | None`: `X`, optional (every key of a total=False TypedDict is).
- `Annotated[X, validator]` (Duration, Cpu, PromQL, ...): `X`, the constrained kind in the description.
- `Literal["a", "b"]`: the values' type (`str`), "One of: `a`, `b`." in the description.
- a discriminated union of models (`Field(discriminator="kind")`): one object type `<Model><Field>`
  with every member's fields, the discriminator required and "One of: ..." in its description, each
  other field optional and described with the members that take it. Fields of one name but
  different types in two members cannot be merged: such a union falls back, as below.
- any other union: `dict[str, Any]` (a map of anything) when every member is a model, else `Any`,
  "Validated by the provider" in the description.
- `dict[K, V]`: `dict[str, V]`; a key type other than a string is an error.
- a field with an alias (`for_` = `for`): the field's name; the analyzer's camel case of `for_` is
  `for`, so the schema has the alias, and the provider turns names back into aliases.
- recursion (`Route.routes`): a forward reference to the type being written.

Validation itself stays in the provider: the schema types the shape; values are checked by the
models, with the same errors as a stack file's.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import types
import typing
from dataclasses import dataclass, field

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from observability_stack.configs.models.stack import StackConfig
from tools.generate import write_or_check
from tools.generate.config_reference import _validated
from tools.harness.mockrun import ROOT

OUT = ROOT / "observability_stack" / "provider_types.py"
# Names the provider module defines itself: a config type of one of these names would clash.
RESERVED = frozenset({"ObservabilityStack", "ObservabilityStackArgs"})
_DEFAULT_LIMIT = 60


class MappingError(Exception):
    """A model field the schema cannot express."""


@dataclass
class _Type:
    """A TypedDict to write: its name, description and fields (name, annotation, description)."""

    name: str
    docstring: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def doc(self) -> str:
        """The model's docstring, after where in the config the type is used."""
        paths = [f"`{path}`" for path in self.paths if path]
        if not paths:
            return self.docstring or self.name
        where = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        return f"{where}: {self.docstring}" if self.docstring else f"The settings at {where}."


@dataclass
class _Writer:
    types: dict[str, _Type] = field(default_factory=dict)
    sources: dict[str, type | tuple] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)
    uses_any: bool = False

    # --- fields --------------------------------------------------------------------------------

    def annotation(self, annotation: typing.Any, where: str, notes: list[str]) -> str:
        """The analyzer-readable annotation for a pydantic annotation; notes collect what the type
        alone does not say (constraints, allowed values)."""
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            kind = _validated(args[1:])
            if kind and kind not in notes:
                notes.append(f"Format: {kind}.")
            return self.annotation(args[0], where, notes)
        if annotation in (str, int, float, bool):
            return annotation.__name__
        if annotation is typing.Any:
            self.uses_any = True
            return "Any"
        if origin is typing.Literal:
            kinds = {type(value) for value in args}
            notes.append("One of: " + ", ".join(f"`{_show(value)}`" for value in args) + ".")
            if len(kinds) == 1 and kinds <= {str, int, float, bool}:
                return kinds.pop().__name__
            self.uses_any = True
            return "Any"
        if origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) == 1:
                return self.annotation(members[0], where, notes)
            return self.union(members, where, notes, discriminator=None)
        if origin is list:
            return f"list[{self.annotation(args[0], where + '[]', notes)}]"
        if origin is dict:
            key = args[0]
            while typing.get_origin(key) is typing.Annotated:
                key = typing.get_args(key)[0]
            if key is not str:
                raise MappingError(f"{where}: map keys must be strings, not {key!r}")
            return f"dict[str, {self.annotation(args[1], where + '.<key>', notes)}]"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation, where)
        raise MappingError(f"{where}: no schema type for {annotation!r}")

    def field_entry(self, model: type[BaseModel], path: str, name: str, info: FieldInfo) -> tuple[str, str, str]:
        where = f"{path}.{info.alias or name}" if path else info.alias or name
        notes: list[str] = []
        kind = _validated(info.metadata)
        if kind:
            notes.append(f"Format: {kind}.")
        if info.discriminator and typing.get_origin(info.annotation) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(info.annotation) if a is not type(None)]
            discriminator = info.discriminator if isinstance(info.discriminator, str) else None
            merged_name = model.__name__ + _pascal(name)
            annotation = self.union(members, where, notes, discriminator=discriminator, name=merged_name)
        else:
            annotation = self.annotation(info.annotation, where, notes)
        text = " ".join([*_described(model, name, info), *notes, *_default(info)])
        if info.is_required():
            annotation = f"Required[{annotation}]"
        return name, annotation, text

    # --- types ---------------------------------------------------------------------------------

    def claim(self, name: str, source: type | tuple) -> bool:
        """Whether `name` is new; a second, different source of one name is an error (the analyzer
        puts every type in one module of the schema)."""
        if name in RESERVED:
            raise MappingError(f"{name}: a config type may not be named as the provider's own types")
        if name in self.sources:
            if self.sources[name] != source:
                raise MappingError(f"two config types are named {name}: rename one of the models")
            return False
        self.sources[name] = source
        return True

    def model(self, model: type[BaseModel], path: str = "") -> str:
        name = model.__name__
        if name in self.in_progress:
            return f'"{name}"'  # recursion: a forward reference, resolved by the analyzer
        if not self.claim(name, model):
            if name in self.types:
                self.types[name].paths.append(path)
            return name
        self.in_progress.add(name)
        entries = [self.field_entry(model, path, key, info) for key, info in model.model_fields.items()]
        self.in_progress.discard(name)
        self.types[name] = _Type(name, _doc(model), entries, [path])
        return name

    def union(
        self,
        members: list[typing.Any],
        where: str,
        notes: list[str],
        *,
        discriminator: str | None,
        name: str | None = None,
    ) -> str:
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if discriminator and name and len(models) == len(members):
            merged = self.merge(models, discriminator, name, where)
            if merged:
                return merged
        notes.append("Validated by the provider: " + " or ".join(_describe_member(m) for m in members) + ".")
        self.uses_any = True
        return "dict[str, Any]" if len(models) == len(members) else "Any"

    def merge(self, models: list[type[BaseModel]], discriminator: str, name: str, path: str) -> str | None:
        """One object type for a discriminated union of models, or None when two members type one
        field differently."""
        merged: dict[str, tuple[str, list[str], list[str]]] = {}  # name: annotation, members, descriptions
        tags: list[str] = []
        for model in models:
            tag = typing.get_args(model.model_fields[discriminator].annotation)
            tags += [str(t) for t in tag]
            for key, info in model.model_fields.items():
                if key == discriminator:
                    continue
                probe = _Writer(dict(self.types), dict(self.sources), set(self.in_progress))
                _, annotation, text = probe.field_entry(model, path, key, info)
                if info.is_required():
                    annotation = annotation.removeprefix("Required[").removesuffix("]")
                if key in merged and merged[key][0] != annotation:
                    return None
                entry = merged.setdefault(key, (annotation, [], [text]))
                required = " (required)" if info.is_required() else ""
                entry[1].extend(f"`{discriminator}: {t}`{required}" for t in tag)
        if not self.claim(name, tuple(models)):
            return name
        for model in models:  # the members' own nested types, now that the merge holds
            for key, info in model.model_fields.items():
                if key != discriminator:
                    self.field_entry(model, path, key, info)
        fields = [
            (
                discriminator,
                "Required[str]",
                "Which kind this is. One of: " + ", ".join(f"`{t}`" for t in tags) + ".",
            )
        ]
        for key, (annotation, kinds, texts) in merged.items():
            prefix = "With " + " or ".join(kinds) + "."
            fields.append((key, annotation, " ".join([prefix, *texts]).strip()))
        doc = " ".join(f"`{discriminator}: {t}`: {_doc(m)}" for m, t in zip(models, tags, strict=True))
        self.types[name] = _Type(name, f"One of several kinds, by `{discriminator}`. {doc}", fields, [path])
        return name


# --- descriptions ------------------------------------------------------------------------------


def _doc(model: type) -> str:
    return " ".join((model.__dict__.get("__doc__") or "").split())


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _describe_member(member: typing.Any) -> str:
    return getattr(member, "__name__", None) or repr(member)


def _comments(model: type, name: str) -> list[str]:
    """The comment lines right above `name: ...` in the class of the MRO that declares it."""
    for cls in model.__mro__:
        if name not in cls.__dict__.get("__annotations__", {}):
            continue
        try:
            lines = inspect.getsource(cls).splitlines()
        except (OSError, TypeError):
            return []
        for index, line in enumerate(lines):
            if re.match(rf"^\s+{re.escape(name)}\s*:", line):
                found: list[str] = []
                for above in reversed(lines[:index]):
                    stripped = above.strip()
                    if not stripped.startswith("#"):
                        break
                    found.insert(0, stripped.lstrip("#").strip())
                return found
        return []
    return []


def _described(model: type, name: str, info: FieldInfo) -> list[str]:
    text = " ".join(_comments(model, name))
    parts = [text] if text else []
    if info.description:
        parts.append(info.description[:1].upper() + info.description[1:] + ".")
    return parts


def _default(info: FieldInfo) -> list[str]:
    if info.is_required():
        return []
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel) or (isinstance(value, list) and value and isinstance(value[0], BaseModel)):
        return []
    if value is None:
        return []
    text = _show(value)
    return [f"Default: `{text}`."] if len(text) <= _DEFAULT_LIMIT else []


def _show(value: object) -> str:
    return value if isinstance(value, str) and value else json.dumps(value, default=str)


# --- the module --------------------------------------------------------------------------------


def _string(text: str, indent: str) -> list[str]:
    """A docstring on one line (the file is exempt from the line length): the analyzer takes the
    string as it is, so a wrapped one would carry its line breaks and indentation into the schema."""
    text = text.replace("\\", "\\\\").replace('"""', '\\"""')
    if text.endswith('"'):
        text = text[:-1] + '\\"'
    return [f'{indent}"""{text}"""']


def render(root: type[BaseModel] = StackConfig, module_doc: str | None = None) -> str:
    writer = _Writer()
    writer.model(root)
    lines = [
        '"""The component provider\'s `config` type: generated by `python -m tools.generate.provider_types` from',
        "observability_stack/configs/models; do not edit. tools/generate/provider_types.py says how each model field",
        "maps onto the types the SDK's analyzer reads.",
        '"""',
        "",
        "# The analyzer reads these annotations at run time: no `from __future__ import annotations`.",
        "import typing",
        "from typing import Any, Required, TypedDict" if writer.uses_any else "from typing import Required, TypedDict",
    ]
    if module_doc:
        lines[0:4] = [f'"""{module_doc}"""']
    for type_ in writer.types.values():
        lines += ["", "", f"class {type_.name}(TypedDict, total=False):", *_string(type_.doc, "    "), ""]
        for key, annotation, text in type_.fields:
            if '"' in annotation:
                # typing.List turns the quoted name into the ForwardRef the analyzer resolves;
                # builtins' list[...] would keep a plain string.
                annotation = re.sub(r'list\[("\w+")\]', r"typing.List[\1]", annotation)
                lines.append(f"    {key}: {annotation}  # noqa: UP006")
            else:
                lines.append(f"    {key}: {annotation}")
            if text:
                lines += _string(text, "    ")
    if "typing.List" not in "\n".join(lines):
        lines.remove("import typing")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(OUT, render(), "tools.generate.provider_types", argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Reads `observability:*` stack config, validates it whole, and separates secret values from the rest."""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import NAMESPACE, ConfigError, format_loc
from .models.stack import StackConfig, stack_model
from .packs import apply_packs
from .secrets import PLACEHOLDER, Secrets
from .validate import cross_check

SECRETS_KEY = "secrets"


def _scrub(value: Any) -> Any:
    """Stack-file values with `secure:` leaves become placeholders: their ciphertext is useless here."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return PLACEHOLDER
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def split_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[tuple[str, str]]]:
    """`{"observability:prometheus": ...}` -> (sections, secret values, problems). Other namespaces are ignored."""
    sections: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass  # a plain string value
        if name == SECRETS_KEY:
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                problems.append((SECRETS_KEY, "must map secret names to strings"))
                continue
            secrets.update(value)
        else:
            sections[name] = value
    return sections, secrets, problems


def load(config: Mapping[str, Any], project_root: str = ".") -> tuple[StackConfig, Secrets, list[str]]:
    """Validate everything, raise one ConfigError listing every problem, or return (config, secrets, warnings).
    Relative paths in the config (grafana.dashboards_dir, content_packs) are resolved against project_root."""
    sections, secret_values, problems = split_config(config)
    return load_sections(sections, secret_values, project_root, problems)


def load_sections(
    sections: Mapping[str, Any],
    secret_values: Mapping[str, Any] | None = None,
    project_root: str = ".",
    problems: list[tuple[str, str]] | None = None,
) -> tuple[StackConfig, Secrets, list[str]]:
    """As `load`, from the sections themselves ({"prometheus": {...}, "common": {...}}) and the secret
    values by name (strings or Pulumi Outputs): what a program using the package passes."""
    problems = list(problems or [])
    secret_values = dict(secret_values or {})
    sections, from_packs, pack_problems = apply_packs(sections, project_root)
    problems += pack_problems
    try:
        stack = stack_model().model_validate(sections)
    except ValidationError as err:
        for item in err.errors():
            message = item["msg"].removeprefix("Value error, ")
            problems.append((format_loc(item["loc"]) or "(root)", message))
        raise ConfigError(problems) from None
    stack.packs_applied(from_packs)
    errors, warnings = cross_check(stack, set(secret_values), project_root)
    if problems or errors:
        raise ConfigError(problems + errors)
    notes = [f"{NAMESPACE}:{path}: {message}" for path, message in warnings]
    return stack, Secrets(secret_values), notes


def from_pulumi() -> dict[str, Any]:
    """The running program's config: what the engine passed, or what a test set through the mocks."""
    from pulumi.runtime import config as runtime_config

    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


def _acyclic(value: Any, seen: tuple[int, ...] = ()) -> None:
    """YAML aliases may make a structure contain itself; Pulumi config cannot, and walking it would not end."""
    if isinstance(value, (dict, list)):
        if id(value) in seen:
            raise ValueError("a YAML alias refers to the structure that contains it")
        for item in value.values() if isinstance(value, dict) else value:
            _acyclic(item, seen + (id(value),))


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; the Pulumi CLI (Go's yaml.v3) refuses the file. Read
    here, a stack file would otherwise lose a whole section (two `observability:alertmanager:`)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *alias` keys may be overridden: that is what they are for
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # refused by the constructor below, with its own message
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def from_stack_file(path: str | Path) -> dict[str, Any]:
    """A `Pulumi.<stack>.yaml` read without the CLI: secure values become placeholders. A file that is
    not a stack file raises ConfigError naming the file, as a bad value does."""
    name = Path(path).name
    try:
        document = yaml.load(Path(path).read_text(), Loader=_UniqueKeyLoader) or {}
        _acyclic(document)
    except yaml.YAMLError as error:
        raise ConfigError([(f"({name})", f"not valid YAML: {error}")]) from None
    except ValueError as error:
        raise ConfigError([(f"({name})", str(error))]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise ConfigError([(f"({name})", "a stack file is a mapping with a `config:` mapping in it")])
    return _scrub(document.get("config") or {})

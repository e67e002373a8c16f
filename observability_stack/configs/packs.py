"""Content packs: an application's scrape jobs, receivers, routes, SLOs, rule files and dashboards,
kept in a directory that stack configs name in `content_packs`, instead of in the package's defaults.

A pack is a directory holding:
- `pack.yaml`: stack config sections (`prometheus:`, `alertmanager:`, `slos:`, ...), written as under
  `observability:` in a stack file;
- `rules/*.yml`: Prometheus rule files (`groups:`), rendered under their own names;
- `dashboards/<Folder>/*.json`: Grafana dashboards, provisioned into the folder the directory names.

The stack config goes over its packs, and a later pack over an earlier one: mappings merge key by key,
anything else (a list, a string) is replaced whole. What a pack provides counts as shipped content,
not as written config: an unset secret its receivers name is a warning and the integration is left out,
as with the package's own defaults, unless `alertmanager.require_secrets` is on."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

PACKS_KEY = "content_packs"
PACK_FILE = "pack.yaml"
# Keys a pack cannot set: which packs load, and secret values (a pack is committed content).
_NOT_IN_A_PACK = (PACKS_KEY, "secrets")

Problem = tuple[str, str]


def _read_yaml(path: Path) -> Any:
    from .load import _acyclic, _UniqueKeyLoader

    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    _acyclic(document)
    return document


def _rule_files(root: Path, where: str) -> tuple[dict[str, Any], list[Problem]]:
    files: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in sorted((root / "rules").glob("*.y*ml")):
        try:
            document = _read_yaml(path)
        except (yaml.YAMLError, ValueError, UnicodeDecodeError) as error:
            problems.append((where, f"rules/{path.name}: not valid YAML: {error}"))
            continue
        if not isinstance(document, dict) or set(document) != {"groups"}:
            problems.append((where, f"rules/{path.name}: a Prometheus rule file is a mapping with only `groups:`"))
            continue
        files[path.name] = document["groups"]
    return files, problems


def _dashboard_folders(root: Path, base: str) -> dict[str, str]:
    """Folder name -> its directory, as a path relative to where the pack's own path is relative to."""
    folders = {}
    for path in sorted((root / "dashboards").iterdir() if (root / "dashboards").is_dir() else []):
        if path.is_dir():
            folders[path.name] = f"{base.rstrip('/')}/dashboards/{path.name}"
    return folders


def read_pack(pack: str, project_root: str, where: str) -> tuple[dict[str, Any], list[Problem]]:
    """The sections a pack provides, its rule files and dashboard folders among them."""
    root = Path(project_root, pack)
    if not (root / PACK_FILE).is_file():
        return {}, [(where, f"{pack!r} is not a content pack: there is no {root / PACK_FILE}")]
    try:
        sections = _read_yaml(root / PACK_FILE) or {}
    except (yaml.YAMLError, ValueError, UnicodeDecodeError) as error:
        return {}, [(where, f"{pack}/{PACK_FILE}: not valid YAML: {error}")]
    if not isinstance(sections, dict):
        return {}, [(where, f"{pack}/{PACK_FILE}: must be a mapping of stack config sections")]
    problems = [(where, f"{pack}/{PACK_FILE}: a pack cannot set `{key}`") for key in _NOT_IN_A_PACK if key in sections]
    sections = {key: value for key, value in sections.items() if key not in _NOT_IN_A_PACK}
    rules, rule_problems = _rule_files(root, where)
    if rules:
        sections = merge(sections, {"prometheus": {"rule_files": rules}})
    folders = _dashboard_folders(root, pack)
    if folders:
        sections = merge(sections, {"grafana": {"dashboard_folders": folders}})
    return sections, problems + rule_problems


def merge(base: Any, over: Any) -> Any:
    """`over` on top of `base`: mappings key by key, anything else replaced."""
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return over


def _provided(pack: Any, written: Any, path: str) -> set[str]:
    """The paths whose value comes from the pack: where the written config does not reach."""
    if not isinstance(pack, Mapping):
        return set()
    found = set()
    for key, value in pack.items():
        here = f"{path}.{key}" if path else str(key)
        if not isinstance(written, Mapping) or key not in written:
            found.add(here)
        elif isinstance(value, Mapping):
            found |= _provided(value, written[key], here)
    return found


def apply_packs(sections: Mapping[str, Any], project_root: str) -> tuple[dict[str, Any], frozenset[str], list[Problem]]:
    """(the sections over their packs, the config paths the packs provided, problems)."""
    names = sections.get(PACKS_KEY) or []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return dict(sections), frozenset(), []  # the model reports the type, with its path
    combined: dict[str, Any] = {}
    problems: list[Problem] = []
    for index, name in enumerate(names):
        pack, found = read_pack(name, project_root, f"{PACKS_KEY}[{index}]")
        combined = merge(combined, pack)
        problems += found
    return merge(combined, dict(sections)), frozenset(_provided(combined, sections, "")), problems


def provided_by_packs(path: str, provided: frozenset[str]) -> bool:
    """Whether the value at a reference's path (`alertmanager.receivers[2].slack.webhook_secret`) came
    from a pack: the path or one of its parents is one the packs provided."""
    return any(path == p or path.startswith((p + ".", p + "[")) for p in provided)

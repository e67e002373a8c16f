"""Kubernetes objects registered by a run, written as YAML manifests (Secret data masked)."""
from __future__ import annotations

from pathlib import Path

from configs.render.common import to_yaml
from tools.mockrun import Run

K8S_PREFIX = "kubernetes:"


def manifests(run: Run) -> dict[str, dict]:
    """File name -> object, for every Kubernetes resource (not providers) the program registered."""
    objects = {}
    for record in sorted(run.records, key=lambda r: r.urn):
        if not record.type.startswith(K8S_PREFIX) or record.type.startswith("pulumi:providers"):
            continue
        obj = dict(record.inputs)
        kind = obj.get("kind", record.type.rsplit(":", 1)[-1])
        objects[f"{kind.lower()}-{record.name}.yaml"] = obj
    return objects


def write_manifests(run: Run, out: Path) -> None:
    objects = manifests(run)
    if not objects:
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, obj in objects.items():
        (out / name).write_text(to_yaml(obj))

"""Kubernetes objects registered by a run, written as YAML manifests (Secret data masked)."""

from __future__ import annotations

import copy
from pathlib import Path

from observability_stack.configs.render.common import to_yaml
from observability_stack.configs.secrets import PLACEHOLDER
from tools.harness.mockrun import Run

K8S_PREFIX = "kubernetes:"
SECRET_FIELDS = ("data", "stringData")


def _mask_secret(obj: dict, keys: list[str]) -> dict:
    """Every value of a Secret becomes the placeholder, whether or not it arrived marked secret:
    the keys stay visible (they say what the pod mounts), the material never leaves Pulumi."""
    for field in SECRET_FIELDS:
        value = obj.get(field)
        if value is None:
            continue
        names = sorted(value) if isinstance(value, dict) else keys
        obj[field] = {name: PLACEHOLDER for name in names}
    return obj


def to_manifest(record, secret_keys: dict[str, list[str]]) -> dict:
    """The object as `kubectl apply` would take it: the provider inputs are already camelCase API fields;
    Pulumi-internal keys (`__...`) are dropped."""
    obj = {k: copy.deepcopy(v) for k, v in record.inputs.items() if not k.startswith("__")}
    if obj.get("kind") == "Secret":
        # Secrets are auto-named by the provider: keyed by their resource name.
        _mask_secret(obj, secret_keys.get(obj.get("metadata", {}).get("name") or record.short, []))
    return obj


def manifests(run: Run) -> dict[str, dict]:
    """File name -> object, for every Kubernetes resource (not providers) the program registered."""
    stack = run.namespace.get("stack")
    secret_keys = getattr(getattr(stack, "target", None), "secret_keys", {})
    objects = {}
    for record in sorted(run.records, key=lambda r: r.urn):
        if not record.type.startswith(K8S_PREFIX):
            continue  # also skips `pulumi:providers:kubernetes`
        obj = to_manifest(record, secret_keys)
        kind = obj.get("kind", record.type.rsplit(":", 1)[-1])
        name = obj.get("metadata", {}).get("name") or record.short
        objects[f"{kind.lower()}-{name}.yaml"] = obj
    return objects


def write_manifests(run: Run, out: Path) -> None:
    objects = manifests(run)
    if not objects:
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, obj in objects.items():
        (out / name).write_text(to_yaml(obj))

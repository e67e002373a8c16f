"""The real Pulumi engine, the real Kubernetes provider and a real API server, for tests.

The program is `__main__.py`, run by the Python language host as `pulumi up` runs it
(tools/engine/local.py), driven through the Automation API: the CLI built from
github.com/pulumi/pulumi/pkg/v3, the providers and language host `make engine` builds, a local file
backend with a passphrase, and the cluster of tools/engine/cluster.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from tools.engine import build, local
from tools.harness.mockrun import unscoped

PASSPHRASE = "engine-tests-passphrase"
# What a replacement looks like in the engine's events; "replace" is the step that stands for the pair.
REPLACING = {"replace", "create-replacement", "delete-replaced"}


def short_name(urn: str) -> str:
    """A resource's name without the program's stack scope: `...::observability-prometheus` -> `prometheus`."""
    return unscoped(urn.rsplit("::", 1)[-1])


def local_cluster(tmp_path_factory):
    """A module's own API server (a pytest fixture body): up for the module's tests, then down."""
    from tools.engine.cluster import LocalCluster

    require_engine()
    local = LocalCluster(tmp_path_factory.mktemp("cluster"))
    try:
        local.up()
        yield local
    finally:
        local.down()


def docker_engine():
    """The Docker Engine on /var/run/docker.sock, with the local images built (a fixture body)."""
    from tools.commands import images
    from tools.commands.docker_api import Engine

    missing = [
        b for b in ("pulumi", "pulumi-language-python", "pulumi-resource-docker") if not (build.BIN / b).exists()
    ]
    if missing:
        pytest.fail(f"{', '.join(missing)} not built: run `make engine` (CI does)")
    engine = Engine()
    if not engine.ping():
        pytest.fail("no Docker Engine answers on /var/run/docker.sock: start dockerd (as root), as .ci/run does")
    images.build_images()
    return engine


def remove_docker_leftovers(engine, prefix: str, services: tuple[str, ...]) -> None:
    """The containers, volumes and network a stack with `name_prefix: prefix` may have left."""
    for service in services:
        engine.remove(f"{prefix}-{service}")
    labelled = {"filters": json.dumps({"label": [f"observability.stack={prefix}"]})}
    for volume in engine.call("GET", "/volumes", query=labelled)["Volumes"] or []:
        engine.call("DELETE", f"/volumes/{volume['Name']}")
    named = {"filters": json.dumps({"name": [f"{prefix}-observability"]})}
    for network in engine.call("GET", "/networks", query=named):
        engine.call("DELETE", f"/networks/{network['Id']}")


def require_engine() -> Path:
    missing = [
        b
        for b in (
            "pulumi",
            "pulumi-language-python",
            "pulumi-resource-kubernetes",
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kwok",
        )
        if not (build.BIN / b).exists()
    ]
    if missing:
        pytest.fail(f"{', '.join(missing)} not built: run `make engine` (CI does)")
    return build.BIN


@dataclass
class Events:
    """Resource steps the engine reported, in order: (op, type, name without the stack's scope)."""

    steps: list[tuple[str, str, str]] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    # Name -> the top-level inputs the provider's diff found changed, for the steps that change something.
    diffs: dict[str, set[str]] = field(default_factory=dict)

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            meta = event.resource_pre_event.metadata
            self.steps.append((str(meta.op.value), meta.type, short_name(meta.urn)))
            if meta.diffs:
                self.diffs.setdefault(short_name(meta.urn), set()).update(meta.diffs)
        if event.diagnostic_event is not None:
            self.diagnostics.append(event.diagnostic_event.message)

    def ops(self, *types: str) -> list[tuple[str, str, str]]:
        return [s for s in self.steps if s[0] != "same" and (not types or s[1] in types)]


class EngineStack:
    """One stack of the real program, in its own work directory and backend, on the local cluster."""

    def __init__(
        self,
        home: Path,
        name: str,
        config: dict[str, Any],
        secrets: dict[str, str] | None = None,
        root: Path = local.ROOT,
    ):
        self.home, self.name = home, name
        self.stack, self.stack_file = local.scratch_stack(
            home, name, PASSPHRASE, root, PULUMI_SKIP_CONFIRMATIONS="true"
        )
        self.set_config(config)
        local.set_secrets(self.stack, secrets or {})

    def run_program_of(self, root: Path) -> None:
        """From now on, run the program of `root` (another tree of this repository)."""
        local.link_program(self.home / "project", root)

    def set_config(self, config: dict[str, Any]) -> None:
        local.write_stack_config(self.stack_file, config)

    def config(self) -> dict[str, Any]:
        document = yaml.safe_load(self.stack_file.read_text()) or {}
        return {k: v for k, v in (document.get("config") or {}).items() if k != local.SECRETS_KEY}

    def preview(self, **kw) -> tuple[auto.PreviewResult, Events]:
        events = Events()
        return self.stack.preview(on_event=events, color="never", **kw), events

    def up(self, **kw) -> tuple[auto.UpResult, Events]:
        events = Events()
        return self.stack.up(on_event=events, color="never", **kw), events

    def destroy(self, **kw) -> Events:
        events = Events()
        self.stack.destroy(on_event=events, color="never", **kw)
        return events

    def state_text(self) -> str:
        """The backend's state file as stored (export_stack shows secrets decrypted)."""
        return (self.home / "state" / ".pulumi" / "stacks" / "observability" / f"{self.name}.json").read_text()

    def resources(self) -> list[dict]:
        """The stack's state: every resource with its outputs (secrets still encrypted)."""
        deployment = self.stack.export_stack().deployment or {}
        return deployment.get("resources") or []


def dumps(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, default=str)

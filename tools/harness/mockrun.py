"""Runs the real Pulumi program under the SDK's mocks and records every resource it registers.

This is exactly what `pulumi up` would register (the same code path, with the engine replaced),
so tests and `make render` inspect the real thing without a CLI, credentials or a cluster."""

from __future__ import annotations

import asyncio
import hashlib
import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

ROOT = Path(__file__).resolve().parents[2]
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_MARK = "<secret>"
PROJECT = "observability"
# The ObservabilityStack that program.py registers: its children are named `<it>-<child>`.
STACK_NAME = "observability"
_THREAD_LOOPS: set[asyncio.AbstractEventLoop] = set()


def unscoped(name: str) -> str:
    """A resource name without the program's stack scope (`observability-prometheus` -> `prometheus`):
    what the child is, the same under any stack name (components/naming.py)."""
    return name.removeprefix(f"{STACK_NAME}-")


@dataclass
class Record:
    type: str
    name: str
    urn: str
    parent: str
    inputs: dict
    # The resource options that guard data.
    retain_on_delete: bool
    protect: bool
    custom: bool
    # Input paths the engine leaves as they are in state (`ignore_changes`).
    ignore_changes: list[str] = field(default_factory=list)
    # "<provider urn>::<id>" when the resource names an explicit provider, "" for the default one.
    provider: str = ""
    # Paths in `inputs` whose value arrived wrapped as a Pulumi secret.
    secret_paths: list[str] = field(default_factory=list)

    @property
    def short(self) -> str:
        return unscoped(self.name)


def _unwrap(value: Any, path: str, secrets: list[str], reveal: bool) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            secrets.append(path)
            return _unwrap(value.get("value"), path, [], True) if reveal else SECRET_MARK
        return {k: _unwrap(v, f"{path}.{k}" if path else k, secrets, reveal) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v, f"{path}[{i}]", secrets, reveal) for i, v in enumerate(value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf Structs carry every number as a double
    return value


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks, reveal_secrets: bool = False):
        super().__init__(mocks)
        self.records: list[Record] = []
        self.reveal_secrets = reveal_secrets

    # The SDK calls the monitor from worker threads, and the mock monitor gives each thread an event
    # loop of its own (to deserialize resource references) that nothing closes: they are kept here
    # so that close_event_loop can close them with the main one.
    def Invoke(self, request):
        _THREAD_LOOPS.add(_ensure_event_loop())
        return super().Invoke(request)

    def ReadResource(self, request):
        _THREAD_LOOPS.add(_ensure_event_loop())
        return super().ReadResource(request)

    def RegisterResource(self, request):
        _THREAD_LOOPS.add(_ensure_event_loop())
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            secrets: list[str] = []
            inputs = _unwrap(raw, "", secrets, self.reveal_secrets)
            self.records.append(
                Record(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    inputs=inputs,
                    retain_on_delete=bool(request.retainOnDelete),
                    protect=bool(request.protect),
                    custom=bool(request.custom),
                    provider=request.provider,
                    secret_paths=secrets,
                    ignore_changes=list(request.ignoreChanges),
                )
            )
        return response


# Outputs the providers compute, which the program reads back.
_COMPUTED = {
    "docker:index/remoteImage:RemoteImage": lambda a: {
        "imageId": f"sha256:mock-{a.name}",
        "repoDigest": a.inputs.get("name"),
    },
    "random:index/randomPassword:RandomPassword": lambda a: {"result": "mock-generated-password", "bcryptHash": "mock"},
}


def _autoname(args: pulumi.runtime.MockResourceArgs) -> dict:
    """The Kubernetes provider names an object without metadata.name `<resource name>-<8 random hex>`;
    here the suffix is derived from the name, so two runs agree."""
    metadata = args.inputs.get("metadata")
    if not args.typ.startswith("kubernetes:") or not isinstance(metadata, dict) or metadata.get("name"):
        return {}
    suffix = hashlib.sha256(args.name.encode()).hexdigest()[:8]
    return {"metadata": {**metadata, "name": f"{args.name}-{suffix}"}}


class StackMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        state.update(_COMPUTED.get(args.typ, lambda a: {})(args))
        state.update(_autoname(args))
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@dataclass
class Run:
    records: list[Record]
    namespace: dict

    def of_type(self, type_: str) -> list[Record]:
        return [r for r in self.records if r.type == type_]

    def named(self, type_: str, name: str) -> Record:
        """The one resource of `type_` known as `name`: its name without the stack's scope (`Record.short`)."""
        matches = [r for r in self.records if r.type == type_ and r.short == name]
        assert len(matches) == 1, f"{len(matches)} {type_} named {name}"
        return matches[0]


def _config_strings(config: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def run_program(
    config: dict[str, Any], stack: str = "dev", reveal_secrets: bool = False, program: Path | None = None
) -> Run:
    """Run `__main__.py` with this config (`{"observability:prometheus": {...}}`) and record its resources."""
    monitor = RecordingMonitor(StackMocks(), reveal_secrets)
    pulumi.runtime.set_mocks(StackMocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)
    secret_keys = [k for k in config if k.endswith(":secrets")]
    pulumi.runtime.set_all_config(_config_strings(config), secret_keys)
    namespace: dict = {}

    def body():
        namespace.update(runpy.run_path(str(program or ROOT / "__main__.py"), run_name="__pulumi__"))

    try:
        _sync_await(run_pulumi_func(body))
    finally:
        close_event_loop()
    return Run(monitor.records, namespace)


def close_event_loop() -> None:
    """Close the loop the SDK ran the program on, here and now. Left to the garbage collector, it is
    closed during interpreter shutdown, after its selector's file descriptor may already be gone, and
    `BaseEventLoop.__del__` prints a ValueError traceback after a successful run. The next run gets a
    new loop (the SDK creates one when none is set)."""
    for loop in list(_THREAD_LOOPS):
        # Never run: a set-aside loop that only needs its selector closed.
        if not loop.is_closed() and not loop.is_running():
            loop.close()
        _THREAD_LOOPS.discard(loop)
    policy = asyncio.get_event_loop_policy()
    try:
        loop = policy.get_event_loop()
    except RuntimeError:
        return
    if not loop.is_closed() and not loop.is_running():
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    policy.set_event_loop(None)

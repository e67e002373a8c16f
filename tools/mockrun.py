"""Runs the real Pulumi program under the SDK's mocks and records every resource it registers.

This is exactly what `pulumi up` would register (the same code path, with the engine replaced),
so tests and `make render` inspect the real thing without a CLI, credentials or a cluster."""
from __future__ import annotations

import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_MARK = "<secret>"
PROJECT = "observability"


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
    # "<provider urn>::<id>" when the resource names an explicit provider, "" for the default one.
    provider: str = ""
    # Paths in `inputs` whose value arrived wrapped as a Pulumi secret.
    secret_paths: list[str] = field(default_factory=list)


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

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            secrets: list[str] = []
            inputs = _unwrap(raw, "", secrets, self.reveal_secrets)
            self.records.append(Record(
                type=request.type, name=request.name, urn=response.urn, parent=request.parent,
                inputs=inputs, retain_on_delete=bool(request.retainOnDelete), protect=bool(request.protect),
                custom=bool(request.custom), provider=request.provider, secret_paths=secrets))
        return response


# Outputs the providers compute, which the program reads back.
_COMPUTED = {
    "docker:index/remoteImage:RemoteImage": lambda a: {"imageId": f"sha256:mock-{a.name}", "repoDigest": a.inputs.get("name")},
    "random:index/randomPassword:RandomPassword": lambda a: {"result": "mock-generated-password", "bcryptHash": "mock"},
}


class StackMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        state.update(_COMPUTED.get(args.typ, lambda a: {})(args))
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
        matches = [r for r in self.records if r.type == type_ and r.name == name]
        assert len(matches) == 1, f"{len(matches)} {type_} named {name}"
        return matches[0]


def _config_strings(config: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def run_program(config: dict[str, Any], stack: str = "dev", reveal_secrets: bool = False,
                program: Optional[Path] = None) -> Run:
    """Run `__main__.py` with this config (`{"observability:prometheus": {...}}`) and record its resources."""
    monitor = RecordingMonitor(StackMocks(), reveal_secrets)
    pulumi.runtime.set_mocks(StackMocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor)
    secret_keys = [k for k in config if k.endswith(":secrets")]
    pulumi.runtime.set_all_config(_config_strings(config), secret_keys)
    namespace: dict = {}

    def body():
        namespace.update(runpy.run_path(str(program or ROOT / "__main__.py"), run_name="__pulumi__"))

    _sync_await(run_pulumi_func(body))
    return Run(monitor.records, namespace)

"""The Kubernetes target's HA shapes as processes on loopback (issue 22): each pod of a StatefulSet is
started with the container arguments and downward-API variables the target registers for it (the
program run under mocks, tools/mockrun), and with the rendered files. Only addresses and paths move."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from e2e_helpers import MetricsEndpoint, Process, free_port

from observability_stack.configs.render.common import to_yaml
from tools.harness.mockrun import run_program

STATEFULSET = "kubernetes:apps/v1:StatefulSet"
WAIT = 30  # seconds for any one thing to happen


@dataclass
class Container:
    args: list[str]
    field_env: dict[str, str]  # variable -> the downward API field it is given


def statefulset_containers(config: dict) -> dict[str, Container]:
    """Service -> its StatefulSet's container as `pulumi up` of the Kubernetes stack would register it."""
    found = {}
    for record in run_program(config, stack="prod").records:
        if record.type == STATEFULSET:
            (container,) = record.inputs["spec"]["template"]["spec"]["containers"]
            env = {
                e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in container.get("env", []) if "valueFrom" in e
            }
            found[record.short] = Container(list(container["args"]), env)
    return found


def loopback_args(args: list[str], env: dict[str, str], values: dict[str, str], paths: dict[str, str]) -> list[str]:
    """The arguments as the kubelet runs them (`$(VAR)` from `env`), then each flag value found in
    `values` replaced, and each path under a key of `paths` moved under its value."""
    result = []
    for arg in args:
        arg = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], arg)
        name, _, value = arg.partition("=")
        value = values.get(value, value)
        for old, new in paths.items():
            if value == old or value.startswith(old + "/"):
                value = new + value[len(old) :]
        result.append(f"{name}={value}")
    left = [a for a in result if "headless" in a or "0.0.0.0" in a]
    assert not left, f"not moved to loopback: {left}"
    return result


def loopback_prometheus_yml(text: str, targets: dict[str, str]) -> str:
    """prometheus.yml with every static target (scrape and alerting) swapped through `targets`."""
    doc = yaml.safe_load(text)
    groups = [job.get("static_configs", []) for job in doc["scrape_configs"]]
    groups += [am["static_configs"] for am in doc.get("alerting", {}).get("alertmanagers", [])]
    for static in (s for group in groups for s in group):
        static["targets"] = [targets.get(t, t) for t in static["targets"]]
        assert all(t.startswith("127.0.0.1:") for t in static["targets"]), static
    return to_yaml(doc)


class Replica(Process):
    """One pod as a process: its own environment, SIGKILL, and a restart on the same data directory."""

    def __init__(self, name: str, args: list[str], root: Path, env: dict[str, str] | None = None):
        self.name, self.args, self.log, self.cwd, self.env = name, args, root / f"{name}.log", root, env or {}
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as log:  # appended: the log of the run before a kill stays readable
            self.handle = subprocess.Popen(
                self.args, cwd=self.cwd, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        self.handle.send_signal(signal.SIGKILL)
        self.handle.wait(10)


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def post(url: str, body: dict):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def answers(url: str):
    """`get(url)`, or None while the process is down or starting."""
    try:
        return get(url)
    except OSError:
        return None


class Drill(MetricsEndpoint):
    """`failover_drill{scenario=...} 1` for each scenario switched on: a test alert fired at will."""

    def __init__(self):
        self.on: set[str] = set()
        super().__init__(lambda _: "".join(f'failover_drill{{scenario="{s}"}} 1\n' for s in sorted(self.on)))
        self.target = f"127.0.0.1:{self.port}"


def silence(am_url: str, matchers: dict[str, str], minutes: int = 60) -> str:
    now = datetime.now(UTC)
    body = {
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=minutes)).isoformat(),
        "createdBy": "issue-22 test",
        "comment": "survives a crash",
    }
    return post(f"{am_url}/api/v2/silences", body)["silenceID"]


def active_silences(am_url: str) -> set[str]:
    found = answers(f"{am_url}/api/v2/silences") or []
    return {s["id"] for s in found if s["status"]["state"] == "active"}


def ports(n: int) -> list[int]:
    return [free_port() for _ in range(n)]

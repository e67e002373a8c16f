"""`make bench`, Docker target: `pulumi up` (create) and a no-op `pulumi preview` through the real CLI,
language host and Docker provider, each against a floor measured in the same run.

The stack is tools/harness/docker_local.py's (the services with a local image). Floors:
- create: the Docker Engine's own time from creating a container to its first passing health check,
  for the slowest container (they start in parallel): no tool can report a healthy stack sooner;
- no-op preview: the Engine API calls that inspect every container, volume, network and image the
  stack holds, in one process: what any tool must at least spend to look at the stack.
Prints a Markdown table and writes build/bench-docker.md. Not a test: timings depend on the machine."""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from tools.bench.mocks import write_report
from tools.commands.docker_api import Engine, EngineError
from tools.commands.images import build_images
from tools.engine import local
from tools.harness.docker_local import local_config
from tools.harness.mockrun import ROOT

OUT = ROOT / "build" / "bench-docker.md"
PASSPHRASE = "bench-passphrase"
PREFIX = "obs-bench"


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _seconds(stamp: str) -> float:
    """An engine timestamp (RFC 3339, nanoseconds) as POSIX seconds."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    base = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.UTC).timestamp()
    return base + float(f"0.{fraction[:6] or 0}")


def create_floor(engine: Engine, containers: list[str]) -> float:
    """Slowest container's time from creation to the end of its first passing health check."""
    spans = []
    for name in containers:
        info = engine.inspect(name)
        passed = [entry for entry in info["State"]["Health"]["Log"] if entry["ExitCode"] == 0]
        spans.append(_seconds(passed[0]["End"]) - _seconds(info["Created"]))
    return max(spans)


def inspect_pass(engine: Engine, resources: list[dict]) -> None:
    for resource in resources:
        kind, outputs = resource["type"], resource.get("outputs") or {}
        if kind == "docker:index/container:Container":
            engine.inspect(outputs["name"])
        elif kind == "docker:index/volume:Volume":
            engine.call("GET", f"/volumes/{quote(outputs['name'])}")
        elif kind == "docker:index/network:Network":
            engine.call("GET", f"/networks/{quote(outputs['name'])}")
        elif kind == "docker:index/remoteImage:RemoteImage":
            engine.call("GET", f"/images/{quote(outputs['name'], safe='')}/json")


def remove_leftovers(engine: Engine) -> None:
    for service in ("prometheus", "alertmanager", "jaeger", "node-exporter"):
        engine.remove(f"{PREFIX}-{service}")
    for volume in ("prometheus", "alertmanager"):
        try:
            engine.call("DELETE", f"/volumes/{PREFIX}-{volume}-data")
        except EngineError:
            pass


def measure(home: Path, engine: Engine, reps: int) -> dict[str, float]:
    stack, stack_file = local.scratch_stack(home, "bench", PASSPHRASE)
    local.write_stack_config(stack_file, local_config(PREFIX))
    rows: dict[str, float] = {}
    try:
        rows["`pulumi up`, create (waits for every health check)"] = timed(lambda: stack.up(color="never"))
        resources = stack.export_stack().deployment["resources"]
        containers = [r["outputs"]["name"] for r in resources if r["type"] == "docker:index/container:Container"]
        rows["floor: create to first passing health check, slowest container"] = create_floor(engine, containers)
        rows["`pulumi preview`, no changes"] = statistics.median(
            timed(lambda: stack.preview(color="never", expect_no_changes=True)) for _ in range(reps)
        )
        inspect_pass(engine, resources)  # warm
        rows["floor: inspect every container, volume, network and image (Engine API)"] = statistics.median(
            timed(lambda: inspect_pass(engine, resources)) for _ in range(reps)
        )
        rows["resources"] = len(resources)
    finally:
        stack.destroy(color="never")
        remove_leftovers(engine)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    engine = Engine()
    if not engine.ping():
        print("bench_docker: no Docker Engine answers on /var/run/docker.sock")
        return 1
    build_images()
    remove_leftovers(engine)
    with tempfile.TemporaryDirectory(prefix="bench-docker-") as tmp:
        rows = measure(Path(tmp), engine, args.reps)
    up, up_floor = (
        rows["`pulumi up`, create (waits for every health check)"],
        rows["floor: create to first passing health check, slowest container"],
    )
    noop, noop_floor = (
        rows["`pulumi preview`, no changes"],
        rows["floor: inspect every container, volume, network and image (Engine API)"],
    )
    lines = [
        f"Docker target on the real provider: {platform.node()}, {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}; {int(rows['resources'])} resources; previews median of {args.reps}",
        "",
        "| what | seconds | floor | seconds | vs floor |",
        "| --- | ---: | --- | ---: | ---: |",
        f"| `pulumi up`, create, every container healthy | {up:.2f} | engine: create to first passing health "
        f"check, slowest container | {up_floor:.2f} | {up / up_floor:.1f}x |",
        f"| `pulumi preview`, no changes | {noop:.2f} | Engine API: inspect every container, volume, network and "
        f"image | {noop_floor:.3f} | {noop / noop_floor:.0f}x |",
    ]
    write_report(OUT, lines)
    print(json.dumps({k: round(v, 3) for k, v in rows.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

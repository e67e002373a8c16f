"""`make bench-engine`: the prod stack through the real engine on the local API server, against a floor.

Measures wall time of `pulumi up` (create), a no-op `pulumi preview`, and a preview after one config
change (Prometheus retention), each through the Automation API with the built CLI and provider.
The floor: the same objects sent to the same API server as server-side applies with dryRun=All, in
one process, through the Python Kubernetes client: what any tool must at least spend to have the
API server check the stack. Prints a Markdown table and writes build/bench-engine.md.
Not a test: timings depend on the machine."""

from __future__ import annotations

import argparse
import copy
import datetime
import platform
import statistics
import tempfile
import time
from pathlib import Path

import kubernetes

from observability_stack.configs.load import from_stack_file
from tools.bench.mocks import write_report
from tools.engine import local
from tools.engine.cluster import CONTEXT, LocalCluster, object_path
from tools.harness.manifests import manifests
from tools.harness.mockrun import ROOT, run_program

OUT = ROOT / "build" / "bench-engine.md"
PASSPHRASE = "bench-passphrase"
SECRETS = {"grafana_admin_password": "bench-admin-password"}
TARGET_NOOP_SECONDS = 10.0


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def floor_objects(config: dict) -> list[dict]:
    """Every object the program registers, as the mocks record it; auto-named Secrets get a fixed name."""
    run = run_program({**config, "observability:secrets": SECRETS}, stack="prod")
    objects = []
    for name, obj in sorted(manifests(run).items()):
        obj = copy.deepcopy(obj)
        obj.get("metadata", {}).setdefault("name", name.split("-", 1)[1].removesuffix(".yaml"))
        objects.append(obj)
    return objects


def floor_pass(client: kubernetes.client.ApiClient, objects: list[dict]) -> None:
    for obj in objects:
        metadata = obj["metadata"]
        path = object_path(obj["apiVersion"], obj["kind"], metadata["name"], metadata.get("namespace"))
        client.call_api(
            path,
            "PATCH",
            query_params=[("fieldManager", "bench-floor"), ("dryRun", "All"), ("force", "true")],
            header_params={"Content-Type": "application/apply-patch+yaml", "Accept": "application/json"},
            body=obj,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        home = Path(tmp)
        cluster = LocalCluster(home / "cluster")
        cluster.up()
        try:
            rows = measure(home, cluster, args.reps)
        finally:
            cluster.down()
    lines = [
        f"Real engine on a local API server: {platform.node()}, {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}; median of {args.reps}",
        "",
        "| what | seconds | vs floor |",
        "| --- | ---: | ---: |",
    ]
    floor = rows.pop("floor: server-side apply dry-run of every object (Python client, one process)")
    lines.append(f"| floor: server-side apply dry-run of every object (Python client) | {floor:.2f} | 1.0x |")
    for label, seconds in rows.items():
        lines.append(f"| {label} | {seconds:.2f} | {seconds / floor:.1f}x |")
    noop = rows["`pulumi preview`, no changes"]
    verdict = "met" if noop <= TARGET_NOOP_SECONDS else "missed"
    lines += ["", f"No-op preview target ({TARGET_NOOP_SECONDS:.0f} s on this machine): {verdict}."]
    write_report(OUT, lines)
    return 0


def measure(home: Path, cluster: LocalCluster, reps: int) -> dict[str, float]:
    stack, stack_file = local.scratch_stack(home, "prod", PASSPHRASE)
    config = local.on_cluster(from_stack_file(ROOT / "Pulumi.prod.yaml"), cluster.kubeconfig, CONTEXT)
    local.write_stack_config(stack_file, config)
    local.set_secrets(stack, SECRETS)
    rows: dict[str, float] = {}
    rows["`pulumi up`, create the prod stack (awaits pods ready)"] = timed(lambda: stack.up(color="never"))
    rows["`pulumi preview`, no changes"] = statistics.median(
        timed(lambda: stack.preview(color="never")) for _ in range(reps)
    )
    changed = copy.deepcopy(config)
    changed["observability:prometheus"] = {**changed["observability:prometheus"], "retention": "15d"}
    local.write_stack_config(stack_file, changed)
    rows["`pulumi preview`, after one change (retention)"] = statistics.median(
        timed(lambda: stack.preview(color="never")) for _ in range(reps)
    )
    local.write_stack_config(stack_file, config)
    objects = floor_objects(config)
    client = kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig), context=CONTEXT)
    floor_pass(client, objects)  # warm: connections, discovery
    rows["floor: server-side apply dry-run of every object (Python client, one process)"] = statistics.median(
        timed(lambda: floor_pass(client, objects)) for _ in range(reps)
    )
    stack.destroy(color="never")
    return rows


if __name__ == "__main__":
    raise SystemExit(main())

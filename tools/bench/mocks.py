"""`make bench`: how long the program takes to evaluate under the SDK's mocks, against a floor.

Every measurement runs in its own subprocess (fresh imports, its own peak RSS, its own hash seed)
and reports the median of a few warm evaluations. Prints a Markdown table and writes build/bench.md.
Not a test: timings depend on the machine."""

from __future__ import annotations

import argparse
import cProfile
import datetime
import hashlib
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from observability_stack.configs.load import from_stack_file
from tools.harness.mockrun import ROOT, run_program

OUT = ROOT / "build" / "bench.md"
FLOOR = ROOT / "tools" / "bench_floor.py"
REPS = 7
# One "1x" of user config: this many scrape jobs, rule groups, SLOs and dashboards.
UNIT = 5
SCALES = (1, 10, 100)
TARGET_FLOOR_RATIO = 1.5
TARGET_10X_RATIO = 10.0


# ---- config generation -------------------------------------------------------------------


def scaled_config(stack: str, count: int, dashboards_dir: Path) -> dict:
    config = from_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    prometheus = dict(config.get("observability:prometheus") or {})
    prometheus["scrape_jobs"] = [{"job_name": f"bench-job-{i}", "targets": [f"bench-{i}:9100"]} for i in range(count)]
    prometheus["rule_groups"] = [
        {
            "name": f"bench.group{i}",
            "rules": [
                {
                    "record": f"bench:requests:rate5m_{i}",
                    "expr": f'sum(rate(bench_requests_total{{job="bench-job-{i}"}}[5m]))',
                },
                {
                    "alert": f"BenchDown{i}",
                    "expr": f'up{{job="bench-job-{i}"}} == 0',
                    "for": "5m",
                    "labels": {"severity": "warning"},
                    "annotations": {"summary": f"bench-job-{i} is down"},
                },
            ],
        }
        for i in range(count)
    ]
    config["observability:prometheus"] = prometheus
    config["observability:slos"] = [
        {
            "name": f"bench_slo_{i}",
            "description": f"bench service {i} answers",
            "objective": 0.999,
            "window": "30d",
            "sli": {
                "kind": "ratio",
                "error_query": f'bench_requests_total{{job="bench-job-{i}",code=~"5.."}}',
                "total_query": f'bench_requests_total{{job="bench-job-{i}"}}',
            },
        }
        for i in range(count)
    ]
    dashboards_dir.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        panels = [
            {
                "id": p,
                "type": "timeseries",
                "title": f"panel {p}",
                "gridPos": {"x": 0, "y": p * 8, "w": 24, "h": 8},
                "targets": [{"expr": f'rate(bench_requests_total{{job="bench-job-{i}"}}[5m])', "refId": "A"}],
            }
            for p in range(6)
        ]
        (dashboards_dir / f"bench-{i:04d}.json").write_text(json.dumps({"title": f"Bench {i}", "panels": panels}))
    grafana = dict(config.get("observability:grafana") or {})
    grafana["dashboards_dir"] = str(dashboards_dir)  # absolute: joined to the project root unchanged
    config["observability:grafana"] = grafana
    return config


# ---- child: one measurement ----------------------------------------------------------------


def digest(records) -> str:
    """What a preview compares: every resource's inputs, resources in URN order."""
    text = json.dumps(sorted([r.urn, r.inputs] for r in records), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def child(spec: dict) -> dict:
    stack = spec["stack"]
    with tempfile.TemporaryDirectory() as tmp:
        if spec["kind"] == "render":
            from tools.commands.render import render

            def once():
                return render(stack, Path(tmp) / "render")
        else:
            config = from_stack_file(ROOT / f"Pulumi.{stack}.yaml")
            if spec.get("scale"):
                config = scaled_config(stack, spec["scale"] * UNIT, Path(tmp) / "dashboards")
            program = None
            if spec["kind"] == "floor":
                shape = run_program(config, stack=stack).records
                (Path(tmp) / "shape.json").write_text(json.dumps([[r.type, r.name, r.custom, r.inputs] for r in shape]))
                os.environ["BENCH_FLOOR_SHAPE"] = str(Path(tmp) / "shape.json")
                program = FLOOR

            def once():
                return run_program(config, stack=stack, program=program)

        start = time.perf_counter()
        first = once()  # cold: imports the program's modules
        cold = time.perf_counter() - start
        if spec.get("profile"):
            profiler = cProfile.Profile()
            profiler.runcall(once)
            buffer = io.StringIO()
            # The program's own code and the libraries it calls; the SDK's share is what the floor measures.
            stats = pstats.Stats(profiler, stream=buffer).sort_stats("cumulative")
            stats.print_stats(
                r"/(components|configs)/|yaml/__init__|pulumi/runtime/resource.py:\d+\((register_resource|_get_stack_trace)",
                20,
            )
            return {"profile": buffer.getvalue()}
        times, digests = [], [digest(first.records)]
        for _ in range(spec["reps"]):
            start = time.perf_counter()
            run = once()
            times.append(time.perf_counter() - start)
            digests.append(digest(run.records))
    return {
        "median": statistics.median(times),
        "cold": cold,
        "resources": len(first.records),
        "digest": digests[0],
        "stable": len(set(digests)) == 1,
        # Linux reports kilobytes.
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(spec: dict) -> dict:
    """Run one measurement in a fresh interpreter; an error (a stack that does not build) is reported, not raised."""
    result = subprocess.run(
        [sys.executable, "-m", "tools.bench.mocks", "--child", json.dumps(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        return {"error": (result.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


# ---- parent: the table ---------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def row(label: str, result: dict, note: str = "") -> str:
    if "error" in result:
        return f"| {label} | – | – | – | – | – | failed: {result['error'][:120]} |"
    stable = "yes" if result["stable"] else "**NO**"
    return (
        f"| {label} | {result['resources']} | {ms(result['median'])} | {ms(result['cold'])} | "
        f"{result['peak_mib']:.0f} MiB | {stable} | {note} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--reps", type=int, default=REPS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    started = time.perf_counter()
    rows, checks, hot = [], [], []
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    for stack in stacks:
        program = measure({"kind": "program", "stack": stack, "reps": args.reps})
        floor = measure({"kind": "floor", "stack": stack, "reps": args.reps})
        render = measure({"kind": "render", "stack": stack, "reps": max(3, args.reps // 2)})
        again = measure({"kind": "program", "stack": stack, "reps": 1})  # another process, another hash seed
        ratio = program["median"] / floor["median"] if "error" not in program and "error" not in floor else None
        rows.append(row(f"{stack}: program", program, f"{ratio:.2f}x the floor" if ratio else ""))
        rows.append(
            row(f"{stack}: floor (bare program, same resources)", floor, "first run after the real one's imports")
        )
        rows.append(row(f"{stack}: `tools.commands.render` (program + files + manifests)", render))
        if "error" not in program and "error" not in again:
            same = program["digest"] == again["digest"]
            checks.append(
                f"- {stack}: resource inputs identical across evaluations in one process: "
                f"{'yes' if program['stable'] else 'NO'}; across two processes: {'yes' if same else 'NO'}"
            )
        if ratio is not None:
            ok = ratio <= TARGET_FLOOR_RATIO
            checks.append(
                f"- {stack}: program / floor = {ratio:.2f} (target ≤ {TARGET_FLOOR_RATIO}): {'met' if ok else 'MISSED'}"
            )
            if not ok:
                hot.append((f"{stack} program", {"kind": "program", "stack": stack, "reps": 0, "profile": True}))

    scaled = {}
    for scale in SCALES:
        scaled[scale] = measure(
            {"kind": "program", "stack": "dev", "scale": scale, "reps": args.reps if scale < 100 else 3}
        )
        note = f"{scale * UNIT} scrape jobs, rule groups, SLOs and dashboards each"
        if scale > 1 and "error" not in scaled[scale] and "error" not in scaled[scale // 10]:
            note += f"; {scaled[scale]['median'] / scaled[scale // 10]['median']:.1f}x the time of {scale // 10}x"
        rows.append(row(f"dev, config {scale}x", scaled[scale], note))
    if all("error" not in scaled[s] for s in (1, 10)):
        growth = scaled[10]["median"] / scaled[1]["median"]
        ok = growth <= TARGET_10X_RATIO
        checks.append(
            f"- 10x config / 1x config = {growth:.1f}x the time (target ≤ {TARGET_10X_RATIO:.0f}x): "
            f"{'met' if ok else 'MISSED'}"
        )
        if not ok:
            hot.append(("dev 10x config", {"kind": "program", "stack": "dev", "scale": 10, "reps": 0, "profile": True}))

    lines = [
        f"Measured {datetime.date.today().isoformat()} on {platform.node() or 'this machine'}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}. "
        f"Median of {args.reps} warm evaluations under the SDK's mocks (tools.harness.mockrun), "
        "each row in its own process.",
        "",
        "| what | resources | median | first (cold) | peak RSS | inputs stable | note |",
        "| --- | ---: | ---: | ---: | ---: | :---: | --- |",
        *rows,
        "",
        *checks,
    ]
    for label, spec in hot:
        profile = measure(spec)
        lines += [
            "",
            f"Hot spots, {label} (cProfile of one warm evaluation, cumulative):",
            "",
            "```",
            profile.get("profile", profile.get("error", "")).strip(),
            "```",
        ]
    lines += ["", f"Whole bench: {time.perf_counter() - started:.0f} s."]
    write_report(OUT, lines)
    return 0


def write_report(path: Path, lines: list[str]) -> None:
    """The Markdown table, printed and kept under build/."""
    text = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())

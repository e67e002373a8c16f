"""`make bench`: what every shipped rule group costs a real Prometheus in a cluster of realistic size.

The groups are the prod stack's rendered rule files (`rule_files(cfg)` of Pulumi.prod.yaml: the meta,
host, cluster and SLO groups and the PRSM pack's), read at run time, so a rule added later is
benched too. The series they read are derived from their selectors by tools/bench/series.py (its
docstring is the cardinality model): 100 nodes, 3,000 pods with 2 containers each, the SLOs' SLIs at
1,000 series each, about 100,000 series in all. Then:

1. the pinned Prometheus starts on an empty TSDB, scraping every 15 s a synthetic exporter in this
   process (`honor_labels`, so each series keeps its own job and instance) and evaluating the groups;
2. meanwhile the history the rules read is written as OpenMetrics and backfilled with the pinned
   promtool (`tsdb create-blocks-from openmetrics`): each raw series for the longest range a rule reads
   of it (at least 10 minutes), at the 15 s scrape interval, up to the moment Prometheus started; each
   recording a rule reads over a range (the SLOs' base-window recordings, up to 30 days), at its
   group's interval. The blocks are moved into the running server's TSDB, which loads them;
3. a group is measured once the windows it reads up to HEAD_WINDOW (most rules read 5 to 15
   minutes) have been scraped since Prometheus started, so that they are all in the head, as on a
   server that has run for hours; the longer ones (1 h to 30 d) span the backfilled blocks. Reading those
   windows from blocks costs twice what reading them from the head does (measured on this machine:
   `kubernetes.workloads` 145 ms over blocks, 83 ms over the head), which a server in steady state
   never pays for them;
4. from then on each group's `prometheus_rule_group_last_duration_seconds` is read after every
   evaluation (the first one measured is dropped as warm-up) until every group has EVALUATIONS of
   them; the median is reported, with the series and samples the group reads (each rule's query
   re-run once with `stats=all`), its slowest rule (from /api/v1/rules) and the alerts it has firing
   or pending;
5. the group's floor: what reading each of its rules' selectors once at an instant costs the same
   server (`count(<selector>)`, the query's `evalTotalTime`, median of FLOOR_RUNS), summed over its
   rules. No rule can cost less than looking at the latest sample of every series it reads.

The bound per group is BOUND_MS, or FLOOR_FACTOR times its floor where that is more: the floor is
the server's price of the series, which no writing of the rule can lower, and the factor is what a
rule may spend on top of it (its windows, its functions, its joins). A rule over a 6-hour window of
thousands of series, or one repeating an expensive read, exceeds it; a rule that must look at 6,000
containers does not fail for having to. Writes build/bench-rules.md and exits 1 if any group's
median exceeds its bound or any rule fails.

    python -m tools.bench.rules [--nodes 100] [--pods 3000] [--slo-series 1000] [--evaluations 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from observability_stack.configs.load import from_stack_file, load
from observability_stack.configs.render.rules import rule_files
from tools.bench.series import Model, Series, Size, build_model, recording_value, selectors
from tools.engine import build
from tools.harness.mockrun import ROOT

OUT = ROOT / "build" / "bench-rules.md"
STACK = "prod"
SCRAPE_INTERVAL = 15
EVALUATION_INTERVAL = 15
BOUND_MS = 10.0
FLOOR_FACTOR = 2.0
FLOOR_RUNS = 3
HEAD_WINDOW = 900  # seconds: windows up to this long are measured over the head alone
LOOKBACK = 300  # Prometheus' default lookback delta, how far back an instant selector reads
EVALUATIONS = 3
MIN_HISTORY = 600  # seconds of every raw series backfilled: the 5m lookback and the first evaluations
LOAD_TIMEOUT = 300
MEASURE_TIMEOUT = 600
BIN_PROMETHEUS = build.BIN / "prometheus"
BIN_PROMTOOL = build.BIN / "promtool"


# ---- the groups ------------------------------------------------------------------------------


def shipped_groups(stack: str = STACK) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """The stack's rule files as rendered (file name -> groups), and its services' replicas."""
    cfg = load(from_stack_file(ROOT / f"Pulumi.{stack}.yaml"), str(ROOT))[0]
    return rule_files(cfg), {s: cfg.section(s).replicas for s in cfg.enabled()}


# ---- the exporter: the series' current values ---------------------------------------------------


class Exporter:
    """Serves the model's series at /metrics, counters at their rate since `origin`."""

    def __init__(self, series: list[Series], origin: float, reference: float) -> None:
        self.rows = [(s.text() + " ", s.counter, s.value + (reference if s.clock else 0)) for s in series]
        self.origin = origin
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = exporter.exposition(time.time()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def exposition(self, now: float) -> str:
        since = now - self.origin
        return "".join(f"{p}{v * since if c else v:.10g}\n" for p, c, v in self.rows)

    def close(self) -> None:
        self.server.shutdown()


# ---- the history ----------------------------------------------------------------------------


def write_history(path: Path, model: Model, origin: float, end: int) -> tuple[int, int]:
    """OpenMetrics for the history the rules read, ending before `end`; returns (series, samples)."""
    series = samples = 0
    with path.open("w") as out:
        for metric in model.metrics.values():
            for s in metric.series:
                history = max(metric.history(s), MIN_HISTORY) + SCRAPE_INTERVAL
                first = end - history // SCRAPE_INTERVAL * SCRAPE_INTERVAL
                prefix = s.text() + " "
                times = range(first, end, SCRAPE_INTERVAL)
                if s.counter:
                    rate = s.value
                    out.write("".join(f"{prefix}{rate * (t - origin):.10g} {t}\n" for t in times))
                else:
                    value = f"{s.at(end, origin, end):.10g}"
                    out.write("".join(f"{prefix}{value} {t}\n" for t in times))
                series += 1
                samples += len(times)
        for record, labels, interval, history in model.recordings:
            text = Series(record, tuple(sorted(labels.items())), False, 0).text() + " "
            value = f"{recording_value(record):.10g}"
            first = end - (history + 2 * interval) // interval * interval
            out.write("".join(f"{text}{value} {t}\n" for t in range(first, end, interval)))
            series += 1
            samples += len(range(first, end, interval))
        out.write("# EOF\n")
    return series, samples


# ---- Prometheus -----------------------------------------------------------------------------


def _get(port: int, path: str, **params: str) -> bytes:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}{query}", timeout=60) as response:
        return response.read()


def _api(port: int, path: str, **params: str) -> dict:
    return json.loads(_get(port, path, **params))["data"]


def _metric_values(text: str, metric: str) -> dict[str, float]:
    """{rule_group label: value} of one per-group metric (the label is `file;group`)."""
    found = {}
    for line in text.splitlines():
        if line.startswith(metric + "{"):
            group = line.split('rule_group="', 1)[1].split('"', 1)[0]
            found[group] = float(line.rsplit(" ", 1)[1])
    return found


def _scalar(text: str, metric: str) -> float:
    for line in text.splitlines():
        if line.startswith(metric + " ") or line.startswith(metric + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@dataclass
class GroupResult:
    file: str
    name: str
    interval: int
    rules: int
    durations: list[float] = field(default_factory=list)  # seconds, one per measured evaluation
    rule_times: dict[str, list[float]] = field(default_factory=dict)
    series: int = 0
    samples: int = 0
    floor_ms: float = 0.0  # reading each selector of each rule once, at an instant
    active_alerts: int = 0
    alert_names: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.durations) * 1000 if self.durations else float("nan")

    @property
    def bound_ms(self) -> float:
        return max(BOUND_MS, FLOOR_FACTOR * self.floor_ms)

    @property
    def over(self) -> bool:
        return not self.median_ms <= self.bound_ms

    def slowest_rule(self) -> tuple[str, float]:
        if not self.rule_times:
            return "", 0.0
        name, times = max(self.rule_times.items(), key=lambda item: statistics.median(item[1]))
        return name, statistics.median(times) * 1000


def _rule_name(rule: dict) -> str:
    return rule.get("record") or rule.get("alert") or rule["name"]


class Server:
    def __init__(self, work: Path, files: dict[str, list[dict]], exporter_port: int) -> None:
        self.data = work / "data"
        self.data.mkdir()
        rules_dir = work / "rules"
        rules_dir.mkdir()
        for name, groups in files.items():
            (rules_dir / name).write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        config = {
            "global": {"scrape_interval": f"{SCRAPE_INTERVAL}s", "evaluation_interval": f"{EVALUATION_INTERVAL}s"},
            "rule_files": [str(rules_dir / name) for name in files],
            "scrape_configs": [
                {
                    "job_name": "bench",
                    "honor_labels": True,
                    "fallback_scrape_protocol": "PrometheusText0.0.4",
                    "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
                }
            ],
        }
        (work / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log_path = work / "prometheus.log"
        self.process = subprocess.Popen(
            [
                str(BIN_PROMETHEUS),
                f"--config.file={work / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.data}",
                "--storage.tsdb.retention.time=400d",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench_rules: Prometheus exited; see {self.log_path}")
            try:
                _get(self.port, "/-/ready")
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"bench_rules: Prometheus not ready in 60s; see {self.log_path}")

    def metrics(self) -> str:
        return _get(self.port, "/metrics").decode()

    def load_blocks(self, blocks: Path) -> None:
        """Move promtool's blocks into the running TSDB and wait until it has loaded them."""
        moved = 0
        for block in sorted(blocks.iterdir()):
            if (block / "meta.json").exists():
                shutil.move(str(block), self.data / block.name)
                moved += 1
        deadline = time.time() + LOAD_TIMEOUT
        while _scalar(self.metrics(), "prometheus_tsdb_blocks_loaded") < moved:
            if time.time() > deadline:
                raise SystemExit(f"bench_rules: the TSDB did not load {moved} blocks; see {self.log_path}")
            time.sleep(2)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def measure(server: Server, results: dict[str, GroupResult], evaluations: int, since: dict[str, float]) -> None:
    """Every group's evaluations after its `since`, the first one dropped, until each has `evaluations`."""
    seen: dict[str, list[float]] = {key: [] for key in results}  # evaluation timestamps
    slowest = max(r.interval for r in results.values())
    deadline = max(since.values()) + max(MEASURE_TIMEOUT, (evaluations + 2) * slowest)
    while any(len(r.durations) < evaluations for r in results.values()):
        if time.time() > deadline:
            short = [k for k, r in results.items() if len(r.durations) < evaluations]
            raise SystemExit(f"bench_rules: too few evaluations of {', '.join(short)}; see {server.log_path}")
        time.sleep(2)
        text = server.metrics()
        durations = _metric_values(text, "prometheus_rule_group_last_duration_seconds")
        stamps = _metric_values(text, "prometheus_rule_group_last_evaluation_timestamp_seconds")
        rules = {
            f"{g['file']};{g['name']}": g for g in _api(server.port, "/api/v1/rules")["groups"]
        }  # per-rule times of the same evaluation, give or take a poll
        for key, result in results.items():
            at = stamps.get(key, 0)
            if at <= since[key] or at in seen[key]:
                continue
            seen[key].append(at)
            if len(seen[key]) == 1:
                continue  # warm-up: the first evaluation over the freshly loaded blocks
            result.durations.append(durations[key])
            group = rules.get(key)
            if group and abs(_stamp(group["lastEvaluation"]) - at) < 1:
                for rule in group["rules"]:
                    result.rule_times.setdefault(_rule_name(rule), []).append(rule["evaluationTime"])


def _group_of(files: dict[str, list[dict]], result: GroupResult) -> dict:
    return next(g for g in files[result.file] if g["name"] == result.name)


def head_reads(files: dict[str, list[dict]], result: GroupResult) -> int:
    """Seconds of scrape after which every window up to HEAD_WINDOW the group reads is in the head (an
    instant read looks 5 minutes back): from then on its evaluations are those of a server in steady
    state. Longer windows span the backfilled blocks, as they span a real server's persisted blocks."""
    group = _group_of(files, result)
    ranges = [sel.range_s for rule in group["rules"] for sel in selectors(rule["expr"])]
    return max([LOOKBACK, *(r for r in ranges if r <= HEAD_WINDOW)])


def _stamp(rfc3339: str) -> float:
    """Seconds since the epoch of the API's `2026-12-08T10:00:00.123456789Z` (always UTC)."""
    from datetime import UTC, datetime

    whole, _, frac = rfc3339.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp() + float("0." + (frac or "0"))


def inspect(server: Server, results: dict[str, GroupResult], files: dict[str, list[dict]]) -> None:
    """Series and samples each group reads (its queries re-run once), its active alerts and rule errors."""
    for group in _api(server.port, "/api/v1/rules")["groups"]:
        result = results.get(f"{group['file']};{group['name']}")
        if result is None:
            continue
        for rule in group["rules"]:
            result.active_alerts += len(rule.get("alerts", []))
            if rule.get("alerts"):
                result.alert_names[_rule_name(rule)] = len(rule["alerts"])
            if rule.get("health") == "err":
                result.errors.append(f"{_rule_name(rule)}: {rule.get('lastError')}")
    counts: dict[str, int] = {}
    floors: dict[str, float] = {}
    for result in results.values():
        group = _group_of(files, result)
        for rule in group["rules"]:
            for sel in selectors(rule["expr"]):
                query = sel.promql()
                if query not in counts:
                    counts[query], floors[query] = _read_once(server.port, query)
                result.series += counts[query]
                result.floor_ms += floors[query]
            stats = _api(server.port, "/api/v1/query", query=rule["expr"], stats="all")
            result.samples += int(stats.get("stats", {}).get("samples", {}).get("totalQueryableSamples", 0))


def _read_once(port: int, selector: str) -> tuple[int, float]:
    """How many series `selector` matches, and what reading their latest samples costs (ms)."""
    times = []
    count = 0
    for _ in range(FLOOR_RUNS):
        data = _api(port, "/api/v1/query", query=f"count({selector})", stats="all")
        count = int(float(data["result"][0]["value"][1])) if data["result"] else 0
        times.append(data["stats"]["timings"]["evalTotalTime"] * 1000)
    return count, statistics.median(times)


# ---- the report -----------------------------------------------------------------------------


def report(results: dict[str, GroupResult], size: Size, facts: dict[str, str]) -> str:
    lines = [
        f"# Rule evaluation cost: every shipped group of Pulumi.{STACK}.yaml",
        "",
        f"{size.nodes} nodes, {size.pods:,} pods x {size.containers_per_pod} containers, SLIs at "
        f"{size.slo_series:,} series each (tools/bench/series.py): {facts['series']} series exported and "
        f"scraped every {SCRAPE_INTERVAL}s, {facts['backfilled']} backfilled ({facts['times']}). "
        f"Prometheus {build.PROMETHEUS} (module); median `prometheus_rule_group_last_duration_seconds` of "
        f"{facts['evaluations']} evaluations per group, once the windows up to {HEAD_WINDOW // 60}m it reads "
        "are all in the head (first evaluation dropped). "
        "Series: matched by the group's selectors, summed over its rules; samples: the queries' "
        "`totalQueryableSamples`; floor: reading the latest sample of each of those series once "
        f"(`count(<selector>)`, median of {FLOOR_RUNS}). Bound: {BOUND_MS:g} ms, or {FLOOR_FACTOR:g} x the "
        "floor where that is more.",
        "",
        "| file | group | every | rules | series read | samples read | floor ms | bound ms | median ms "
        "| slowest rule (ms) | active alerts |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in results.values():
        rule, ms = r.slowest_rule()
        over = " **over**" if r.over else ""
        lines.append(
            f"| {r.file} | {r.name} | {r.interval}s | {r.rules} | {r.series:,} | {r.samples:,} | "
            f"{r.floor_ms:.2f} | {r.bound_ms:.1f} | {r.median_ms:.2f}{over} | {rule} ({ms:.2f}) | "
            f"{r.active_alerts} |"
        )
    total = sum(r.median_ms * 60 / r.interval for r in results.values())
    lines += ["", f"All groups: {total:.0f} ms of rule evaluation per minute of wall clock."]
    active = ", ".join(f"{name} ({n})" for r in results.values() for name, n in r.alert_names.items())
    if active:
        lines += ["", f"Alerts firing or pending over the synthetic series: {active}."]
    errors = [f"- {r.file} {r.name}: {e}" for r in results.values() for e in r.errors]
    if errors:
        lines += ["", "Rules failing:", *errors]
    if facts.get("unmodelled"):
        lines += ["", f"Metrics with no family in the model (10 series each): {facts['unmodelled']}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=Size.nodes)
    parser.add_argument("--pods", type=int, default=Size.pods)
    parser.add_argument("--slo-series", type=int, default=Size.slo_series)
    parser.add_argument("--evaluations", type=int, default=EVALUATIONS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    files, replicas = shipped_groups()
    size = Size(nodes=args.nodes, pods=args.pods, slo_series=args.slo_series, replicas=replicas)
    started = time.monotonic()
    model = build_model(
        [g for groups in files.values() for g in groups], size, files.get("slo.yml", []), EVALUATION_INTERVAL
    )
    series = model.series
    with tempfile.TemporaryDirectory(prefix="bench-rules-") as tmp:
        work = Path(tmp)
        # Prometheus names a group `<rule file as configured>;<group>` in its metrics and API.
        results = {
            f"{work / 'rules' / name};{g['name']}": GroupResult(name, g["name"], _interval_s(g), len(g["rules"]))
            for name, groups in files.items()
            for g in groups
        }
        end = int(time.time()) // SCRAPE_INTERVAL * SCRAPE_INTERVAL
        origin = end - 40 * 86400  # counters count from here, so they are large and never reset
        exporter = Exporter(series, origin, end)
        server = Server(work, files, exporter.port)
        try:
            modelled = time.monotonic() - started
            count, samples = write_history(work / "history.om", model, origin, end)
            written = time.monotonic() - started - modelled
            subprocess.run(
                [
                    str(BIN_PROMTOOL),
                    "tsdb",
                    "create-blocks-from",
                    "openmetrics",
                    "--max-block-duration=1500h",
                    str(work / "history.om"),
                    str(work / "blocks"),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            (work / "history.om").unlink()
            backfilled = time.monotonic() - started - modelled - written
            server.load_blocks(work / "blocks")
            loaded_at = time.time()
            since = {key: max(loaded_at, end + head_reads(files, r)) for key, r in results.items()}
            measure(server, results, args.evaluations, since)
            measured = time.monotonic() - started - modelled - written - backfilled
            inspect(server, results, files)
        finally:
            server.stop()
            exporter.close()
    unmodelled = sorted(n for n, m in model.metrics.items() if m.family.label == "unmodelled")
    facts = {
        "series": f"{len(series):,}",
        "backfilled": f"{samples:,} samples of {count:,} series",
        "times": f"model {modelled:.0f}s, OpenMetrics {written:.0f}s, promtool {backfilled:.0f}s, "
        f"measurement {measured:.0f}s, on {os.cpu_count()} cores",
        "evaluations": str(args.evaluations),
        "unmodelled": ", ".join(f"`{n}`" for n in unmodelled),
    }
    text = report(results, size, facts)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(text)
    print(text)
    over = [r for r in results.values() if r.over or r.errors]
    if over:
        print(
            "bench_rules: over the bound or failing: "
            + ", ".join(f"{r.file} {r.name} ({r.median_ms:.1f} ms, bound {r.bound_ms:.1f})" for r in over),
            file=sys.stderr,
        )
        return 1
    return 0


def _interval_s(group: dict) -> int:
    from observability_stack.configs.models.base import duration_seconds

    return int(duration_seconds(group["interval"])) if group.get("interval") else EVALUATION_INTERVAL


if __name__ == "__main__":
    sys.exit(main())

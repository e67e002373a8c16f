"""`make bench`: what the SLO rule groups cost a real Prometheus, with a month of data behind them.

Backfills a synthetic month into a TSDB with the pinned promtool (`tsdb create-blocks-from
openmetrics`): for each shipped SLO, SERIES series of its SLI (up{} targets, FTNS counters, latency
histogram buckets, accuracy gauges), and the SLO's own recordings at the evaluation interval, as a
month of the shipped rules would have left them. Then the pinned Prometheus evaluates, on a copy of
that TSDB each:

- before: every window (5m to the SLO window) computed from the SLI's own series, in one group per
  SLO at the global interval, as the rules were until the restructure;
- after: the shipped groups (observability_stack/configs/content/slo_rules.py): short windows from the series, long
  windows from the recordings, every minute.

and reports each group's `prometheus_rule_group_last_duration_seconds` (median of its first few
evaluations). The raw series are backfilled at RAW_STEP, coarser than a real 15 s scrape to keep
the input file small, which makes "before" look cheaper than it would be.

    python -m tools.bench.rules [--series 1000] [--days 30]
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from observability_stack.configs.content.slo_rules import (
    BAD_RATE_RECORD,
    BASE_WINDOW,
    ERROR_BUDGET_RECORD,
    PAGE_CONDITIONS,
    SHORT_WINDOWS,
    TICKET_CONDITIONS,
    TIME_SLI_RECORD,
    TOTAL_RATE_RECORD,
    _burn_alert,
    _instant_error,
    _long_windows,
    _number,
    _raw_error_ratio,
    error_ratio_record,
    slo_rule_groups,
)
from observability_stack.configs.load import load_sections
from observability_stack.configs.models.slo import SLO, GaugeSLI
from tools.engine import build
from tools.harness.mockrun import ROOT

OUT = ROOT / "build" / "bench-rules.md"
EVALUATION_INTERVAL = 15
RAW_STEP = 600  # seconds between backfilled samples of the SLI's series
MEASURE_SECONDS = 300  # at most; each group is measured over EVALUATIONS evaluations
EVALUATIONS = 3


# ---- the rules before the restructure: every window from the raw series --------------------


def before_groups(slos: list[SLO]) -> list[dict]:
    groups = []
    for slo in slos:
        labels = {"slo": slo.name}
        rules = []
        if isinstance(slo.sli, GaugeSLI):
            rules.append({"record": TIME_SLI_RECORD, "expr": _instant_error(slo.sli), "labels": dict(labels)})
        for window in [*SHORT_WINDOWS, *_long_windows(slo)]:
            rules.append(
                {"record": error_ratio_record(window), "expr": _raw_error_ratio(slo, window), "labels": dict(labels)}
            )
        rules.append(
            {
                "record": ERROR_BUDGET_RECORD,
                "labels": dict(labels),
                "expr": f'1 - {error_ratio_record(slo.window)}{{slo="{slo.name}"}} / {_number(slo.error_budget)}',
            }
        )
        rules.append(_burn_alert(slo, "SLOErrorBudgetBurnFast", PAGE_CONDITIONS, "critical", "", "fast"))
        rules.append(_burn_alert(slo, "SLOErrorBudgetBurnSlow", TICKET_CONDITIONS, "warning", "15m", "slowly"))
        groups.append({"name": f"slo.{slo.name}", "rules": rules})
    return groups


# ---- synthetic data -----------------------------------------------------------------------


def _write_series(out, name: str, labels: str, start: int, end: int, step: int, value) -> None:
    out.write("".join(f"{name}{{{labels}}} {value(t)} {t}\n" for t in range(start, end, step)))


def write_openmetrics(path: Path, slos: list[SLO], series: int, start: int, end: int) -> int:
    """The SLIs' series and the SLOs' base recordings; returns the number of samples written."""
    rng = random.Random(7)
    raw = (end - start) // RAW_STEP
    recorded = (end - start) // EVALUATION_INTERVAL
    count = 0
    by_name = {slo.name: slo for slo in slos}
    with path.open("w") as out:
        out.write("# TYPE up gauge\n")
        for i in range(series):
            down = {t for t in range(start, end, RAW_STEP) if rng.random() < 0.0005}
            _write_series(
                out,
                "up",
                f'job="prsm-api",instance="api-{i}:8000"',
                start,
                end,
                RAW_STEP,
                lambda t, down=down: 0 if t in down else 1,
            )
        count += series * raw
        out.write("# TYPE prsm_ftns_transactions counter\n")
        for i in range(series // 2):
            for status, per_step in (("success", 990), ("failed", 10)):
                _write_series(
                    out,
                    "prsm_ftns_transactions_total",
                    f'instance="api-{i}:8000",status="{status}"',
                    start,
                    end,
                    RAW_STEP,
                    lambda t, p=per_step: p * (t - start) // RAW_STEP,
                )
        count += series // 2 * 2 * raw
        out.write("# TYPE prsm_request_duration_seconds histogram\n")
        for i in range(series // 4):
            for le, per_step in (("0.5", 800), ("2.0", 970), ("+Inf", 1000)):
                _write_series(
                    out,
                    "prsm_request_duration_seconds_bucket",
                    f'job="prsm-api",instance="api-{i}:8000",le="{le}"',
                    start,
                    end,
                    RAW_STEP,
                    lambda t, p=per_step: p * (t - start) // RAW_STEP,
                )
            _write_series(
                out,
                "prsm_request_duration_seconds_count",
                f'job="prsm-api",instance="api-{i}:8000"',
                start,
                end,
                RAW_STEP,
                lambda t: 1000 * (t - start) // RAW_STEP,
            )
        count += series // 4 * 4 * raw
        out.write("# TYPE prsm_model_accuracy_score gauge\n")
        for i in range(series):
            _write_series(
                out,
                "prsm_model_accuracy_score",
                f'model_id="m{i}",evaluation_type="runtime"',
                start,
                end,
                RAW_STEP,
                lambda t: 0.97,
            )
        count += series * raw
        # What a month of the shipped short groups recorded: one series per SLO and record.
        ftns, latency = series // 2, series // 4  # instances, each with the rates written above
        for record, values in (
            (
                BAD_RATE_RECORD,
                {"ftns_transaction_success": ftns * 10 / RAW_STEP, "api_latency": latency * 30 / RAW_STEP},
            ),
            (
                TOTAL_RATE_RECORD,
                {"ftns_transaction_success": ftns * 1000 / RAW_STEP, "api_latency": latency * 1000 / RAW_STEP},
            ),
            (error_ratio_record(BASE_WINDOW), {name: 0.0005 for name in by_name}),
        ):
            out.write(f"# TYPE {record.replace(':', '_')} gauge\n")
            for name, value in values.items():
                out.write(
                    "".join(f'{record}{{slo="{name}"}} {value} {t}\n' for t in range(start, end, EVALUATION_INTERVAL))
                )
                count += recorded
        out.write("# EOF\n")
    return count


# ---- running Prometheus ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def _group_values(text: str, metric: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line.startswith(metric + "{"):
            group = line.split('rule_group="', 1)[1].split('"', 1)[0].split(";", 1)[1]
            found[group] = float(line.rsplit(" ", 1)[1])
    return found


def measure(groups: list[dict], tsdb: Path, workdir: Path) -> dict[str, float]:
    """Median last-evaluation duration per group while the pinned Prometheus runs `groups` on `tsdb`."""
    data = workdir / "data"
    shutil.copytree(tsdb, data)
    (workdir / "rules.yml").write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    (workdir / "prometheus.yml").write_text(
        yaml.safe_dump(
            {
                "global": {"evaluation_interval": f"{EVALUATION_INTERVAL}s"},
                "rule_files": ["rules.yml"],
                "storage": {"tsdb": {"retention": {"time": "400d"}}},
            }
        )
    )
    port = _free_port()
    log = (workdir / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            str(build.BIN / "prometheus"),
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    samples: dict[str, dict[float, float]] = {group["name"]: {} for group in groups}  # evaluated at -> seconds
    try:
        deadline = time.time() + MEASURE_SECONDS
        while time.time() < deadline and min(map(len, samples.values())) < EVALUATIONS:
            time.sleep(2)
            try:
                text = _metrics(port)
            except OSError:
                continue
            durations = _group_values(text, "prometheus_rule_group_last_duration_seconds")
            for group, at in _group_values(text, "prometheus_rule_group_last_evaluation_timestamp_seconds").items():
                if at > 0 and group in samples:
                    samples[group][at] = durations[group]
        short = [group for group, seen in samples.items() if len(seen) < EVALUATIONS]
        if short:
            raise SystemExit(
                f"bench_rules: {', '.join(short)} evaluated fewer than {EVALUATIONS} times in "
                f"{MEASURE_SECONDS}s; see {workdir / 'prometheus.log'}"
            )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    return {group: statistics.median(seen.values()) for group, seen in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=1000, help="series per SLO")
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    # The PRSM pack's four SLOs: one of each SLI kind, over the series generated here.
    slos = list(load_sections({"content_packs": ["packs/prsm"]}, project_root=str(ROOT))[0].slos)
    with tempfile.TemporaryDirectory(prefix="bench-rules-") as tmp:
        work = Path(tmp)
        end = int(time.time()) - 60
        start = end - args.days * 86400
        started = time.monotonic()
        samples = write_openmetrics(work / "input.om", slos, args.series, start, end)
        generated = time.monotonic() - started
        tsdb = work / "tsdb"
        subprocess.run(
            [
                str(build.BIN / "promtool"),
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--max-block-duration=1500h",
                str(work / "input.om"),
                str(tsdb),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (work / "input.om").unlink()
        backfilled = time.monotonic() - started - generated
        before, after = (work / "before", work / "after")
        before.mkdir(), after.mkdir()
        results = {
            "before": measure(before_groups(slos), tsdb, before),
            "after": measure(slo_rule_groups(slos), tsdb, after),
        }
    lines = [
        f"# SLO rule evaluation: {args.series} series per SLO, {args.days} days of data",
        "",
        f"{samples:,} samples backfilled (raw SLI series every {RAW_STEP}s, recordings every {EVALUATION_INTERVAL}s) "
        f"in {generated:.0f}s + {backfilled:.0f}s; Prometheus {build.PROMETHEUS} (module), evaluation interval "
        f"{EVALUATION_INTERVAL}s; median `prometheus_rule_group_last_duration_seconds` of {EVALUATIONS} "
        "evaluations per group.",
        "",
        "| SLO | before: one group, every window from the series | after: short group | after: long group (every 1m) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for slo in slos:
        b = results["before"].get(f"slo.{slo.name}")
        short, long = results["after"].get(f"slo.{slo.name}"), results["after"].get(f"slo.{slo.name}.long")
        lines.append(
            f"| {slo.name} ({slo.window}) | {b * 1000:.1f} ms | {short * 1000:.1f} ms | {long * 1000:.1f} ms |"
        )
    per_minute = 60 // EVALUATION_INTERVAL
    before_minute = sum(results["before"].values()) * per_minute
    after_minute = sum(
        seconds * (1 if group.endswith(".long") else per_minute) for group, seconds in results["after"].items()
    )
    lines += [
        "",
        f"Rule evaluation time per minute of wall clock, all SLO groups: before {before_minute * 1000:.0f} ms, "
        f"after {after_minute * 1000:.0f} ms (the long groups run once a minute, the others every "
        f"{EVALUATION_INTERVAL}s).",
    ]
    text = "\n".join(lines) + "\n"
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

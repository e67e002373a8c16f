"""SLO model validation, and promtool proof that the burn-rate alerts page, ticket and stay quiet."""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel, ValidationError

from observability_stack.configs.content.slo_rules import ERROR_BUDGET_RECORD, error_ratio_record, slo_rule_groups
from observability_stack.configs.models.slo import SLO
from tests.promtool_helpers import alert_group, alert_names, check_rules, run_rule_test_suites, run_rule_tests
from tests.prsm_pack import prsm_slos

FAST, SLOW = "SLOErrorBudgetBurnFast", "SLOErrorBudgetBurnSlow"
PER_STEP = 10_000  # events per series step: enough to express a 0.05 % error ratio in integers

# --- synthetic SLI input: segments of (minutes, bad fraction) ---------------------------------


def _counter(steps: list[int]) -> str:
    """promtool values for a counter growing by steps[i] at step i (run-length encoded with _x)."""
    parts, total, i = ["0"], 0, 0
    while i < len(steps):
        j = i
        while j < len(steps) and steps[j] == steps[i]:
            j += 1
        parts.append(f"{total + steps[i]}+{steps[i]}x{j - i - 1}")
        total, i = total + steps[i] * (j - i), j
    return " ".join(parts)


def _bad_counts(segments, per_step=PER_STEP) -> list[int]:
    return [round(per_step * bad) for minutes, bad in segments for _ in range(minutes)]


def _flags(segments, samples_per_minute: int) -> list[bool]:
    """Per sample: is it bad? A fraction b puts one bad sample in the middle of every 1/b samples."""
    flags = []
    for minutes, bad in segments:
        n = minutes * samples_per_minute
        period = 1 if bad >= 1 else (math.inf if bad == 0 else round(1 / bad))
        flags += [bad >= 1 or (bad > 0 and (k % period) == period // 2) for k in range(n)]
    return flags


def _levels(flags: list[bool], good: str, bad: str) -> str:
    runs, i = [], 0
    while i < len(flags):
        j = i
        while j < len(flags) and flags[j] == flags[i]:
            j += 1
        runs.append(f"{bad if flags[i] else good}x{j - i - 1}" if j - i > 1 else (bad if flags[i] else good))
        i = j
    return " ".join(runs)


def _api_availability(segments):
    return {'up{job="prsm-api",instance="api-0:8000"}': _levels(_flags(segments, 4), "1", "0")}, "15s"


def _api_latency(segments):
    slow = _bad_counts(segments)
    fast = [PER_STEP - s for s in slow]
    base = 'prsm_request_duration_seconds_{}{{job="prsm-api"{}}}'
    return {
        base.format("bucket", ',le="0.5"'): _counter([f // 2 for f in fast]),
        base.format("bucket", ',le="2.0"'): _counter(fast),
        base.format("bucket", ',le="+Inf"'): _counter([PER_STEP] * len(fast)),
        base.format("count", ""): _counter([PER_STEP] * len(fast)),
    }, "1m"


def _ftns(segments):
    failed = _bad_counts(segments)
    return {
        'prsm_ftns_transactions_total{transaction_type="transfer",status="failed"}': _counter(failed),
        'prsm_ftns_transactions_total{transaction_type="transfer",status="success"}': _counter(
            [PER_STEP - f for f in failed]
        ),
    }, "1m"


def _accuracy(segments):
    return {
        'prsm_model_accuracy_score{model_id="m1",evaluation_type="runtime"}': _levels(
            _flags(segments, 1), "0.97", "0.90"
        )
    }, "1m"


SERIES = {
    "api_availability": _api_availability,
    "api_latency": _api_latency,
    "ftns_transaction_success": _ftns,
    "model_accuracy": _accuracy,
}
SLOS = {slo.name: slo for slo in prsm_slos()}


def _page_bound_minutes(slo: SLO) -> int:
    # 100 % errors after clean traffic: the 1h error ratio reaches 14.4 x budget after this long.
    return math.ceil(14.4 * slo.error_budget * 60) + 1


def _scenario(slo: SLO, segments, checks: list[tuple[str, str, bool]]) -> dict:
    series, interval = SERIES[slo.name](segments)
    expected = [(alert, at, [_labels(slo, alert)] if firing else []) for alert, at, firing in checks]
    return alert_group(series, expected, interval=interval)


def _labels(slo: SLO, alert: str) -> dict:
    return {"slo": slo.name, "category": "slo", "severity": "critical" if alert == FAST else "warning"}


def _scenarios(slo: SLO) -> list[dict]:
    budget, bound = slo.error_budget, _page_bound_minutes(slo)
    return [
        # Total outage after 6 clean hours (so the 6h window is not just the outage): quiet
        # before, paging within the bound.
        _scenario(slo, [(360, 0.0), (bound + 1, 1.0)], [(FAST, "359m", False), (FAST, f"{360 + bound}m", True)]),
        # 2.5x burn (budget gone in 40 % of the window): a ticket, not a page.
        _scenario(slo, [(180, 2.5 * budget)], [(SLOW, "3h", True), (FAST, "3h", False)]),
        # Half the budget rate: nothing at all.
        _scenario(slo, [(360, 0.5 * budget)], [(FAST, "6h", False), (SLOW, "5h", False), (SLOW, "6h", False)]),
    ]


def test_every_slo_alert_and_default_slo_is_exercised():
    assert alert_names(slo_rule_groups(prsm_slos())) == {FAST, SLOW}
    assert set(SERIES) == set(SLOS)


def test_fast_burn_pages_within_ten_minutes_for_high_objectives():
    # The scenarios assert the page at this bound; objectives of 0.95 inherently need ~45 min.
    assert _page_bound_minutes(SLOS["api_availability"]) <= 5
    assert _page_bound_minutes(SLOS["ftns_transaction_success"]) <= 10


def test_burn_rate_alerts_page_ticket_and_stay_quiet(tmp_path):
    # Each SLO's scenarios run against its own group only: four times fewer rules to evaluate.
    run_rule_test_suites(tmp_path, [(slo_rule_groups([slo]), _scenarios(slo)) for slo in prsm_slos()])


def test_recording_rules_and_budget(tmp_path):
    groups = slo_rule_groups(prsm_slos())
    check_rules(tmp_path, groups)
    assert [g["name"] for g in groups] == [
        name for slo in prsm_slos() for name in (f"slo.{slo.name}", f"slo.{slo.name}.long")
    ]
    for slo in prsm_slos():
        short, long = (
            next(g for g in groups if g["name"] == name) for name in (f"slo.{slo.name}", f"slo.{slo.name}.long")
        )
        records = {r["record"]: r["expr"] for g in (short, long) for r in g["rules"] if "record" in r}
        for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", slo.window):
            assert error_ratio_record(window) in records
        assert ERROR_BUDGET_RECORD in records
        assert all(r["labels"]["slo"] == slo.name for g in (short, long) for r in g["rules"])
        assert "interval" not in short and long["interval"] == "1m"
        assert alert_names([short]) == {FAST} and alert_names([long]) == {SLOW}
        # Days of samples are read only from the SLO's own one-series recordings, never from the SLI's series.
        for rule in long["rules"]:
            if "record" in rule:
                assert "slo:" in rule["expr"] and "prsm_" not in rule["expr"] and "up{" not in rule["expr"], rule


@pytest.mark.parametrize("failed_series, remaining", [(True, 0.5), (False, 1.0)])
def test_error_budget_remaining_is_computed(tmp_path, failed_series, remaining):
    # Without failed_series no failure counter exists at all, as before a service's first failure.
    slo = SLOS["ftns_transaction_success"]
    series, interval = _ftns([(120, 0.5 * slo.error_budget)])
    if not failed_series:
        series = {s: v for s, v in series.items() if "failed" not in s}
    record = f'{ERROR_BUDGET_RECORD}{{slo="{slo.name}"}}'
    # Rounded: the windows are sums of tiles, exact to the last few bits only.
    test = {
        "interval": interval,
        "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "promql_expr_test": [
            {
                "expr": f"round({record}, 1e-9)",
                "eval_time": "2h",
                "exp_samples": [{"labels": f'{{slo="{slo.name}"}}', "value": remaining}],
            }
        ],
    }
    run_rule_tests(tmp_path, slo_rule_groups([slo]), [test])


def test_duplicate_slo_names_are_rejected():
    with pytest.raises(ValueError, match="api_latency"):
        slo_rule_groups([SLOS["api_latency"], SLOS["api_latency"]])


# --- model validation: the error location names the field ------------------------------------


class Config(BaseModel):
    slos: list[SLO]


def _raw(**changes) -> dict:
    raw = SLOS["ftns_transaction_success"].model_dump()
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    "changes, loc",
    [
        ({"objective": 1.0}, ("slos", 1, "objective")),
        ({"objective": 0}, ("slos", 1, "objective")),
        ({"window": "30 days"}, ("slos", 1, "window")),
        ({"name": "API-Availability"}, ("slos", 1, "name")),
        ({"sli": {"kind": "percentile", "query": "x"}}, ("slos", 1, "sli")),
        (
            {"sli": {"kind": "ratio", "error_query": "sum(rate(x[5m]))", "total_query": "x"}},
            ("slos", 1, "sli", "ratio", "error_query"),
        ),
        (
            {"sli": {"kind": "latency", "metric": "m", "threshold_seconds": 0}},
            ("slos", 1, "sli", "latency", "threshold_seconds"),
        ),
        (
            {"sli": {"kind": "availability", "selector": 'probe_success{job="x"}'}},
            ("slos", 1, "sli", "availability", "selector"),
        ),
        ({"surprise": 1}, ("slos", 1, "surprise")),
    ],
)
def test_bad_slo_input_names_the_field(changes, loc):
    good = SLOS["api_latency"].model_dump()
    with pytest.raises(ValidationError) as info:
        Config(slos=[good, _raw(**changes)])
    assert [e["loc"] for e in info.value.errors()] == [loc]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"objective": 0.9}, "too low for burn-rate paging"),
        ({"window": "6h"}, "shorter than 1d"),
    ],
)
def test_cross_checks_are_reported_on_the_slo(changes, message):
    with pytest.raises(ValidationError) as info:
        Config(slos=[_raw(**changes)])
    (error,) = info.value.errors()
    assert error["loc"] == ("slos", 0) and message in error["msg"]


def test_the_prsm_packs_slos_match_the_guide():
    assert {s.name: (s.objective, s.window, s.sli.kind) for s in prsm_slos()} == {
        "api_availability": (0.999, "30d", "availability"),
        "api_latency": (0.95, "24h", "latency"),
        "ftns_transaction_success": (0.99, "7d", "ratio"),
        "model_accuracy": (0.95, "24h", "gauge"),
    }

"""Recording rules and multi-window multi-burn-rate alerts for SLOs (Google SRE workbook, ch. 5)."""

from __future__ import annotations

from observability_stack.configs.models.base import duration_seconds
from observability_stack.configs.models.slo import PAGE_BURN_RATE, SLO, AvailabilitySLI, GaugeSLI, LatencySLI, RatioSLI

# Only the base window (5m) is computed from the SLI's own series, once per evaluation: the bad and
# total event rates (event SLIs) or the error ratio (time SLIs). Every longer window is a sum of
# consecutive tiles of a shorter one, read back with `offset` (1h = 12 x 5m, 6h = 6 x 1h, 1d = 4 x 6h,
# 3d and the SLO window = n x 1d), so no rule reads more than one sample per tile however many
# series the SLI selects or however long the window (`make bench`: reading 1,000 raw series over
# every window up to 6h cost 37 to 213 ms per evaluation, a month of 15 s recordings 19 ms; tiled,
# every SLO group stays under 10 ms). Tiling, unlike
# `sum_over_time(<5m rate>[1h])`, covers exactly the window, so the page does not lag by half the
# base window. The tiles' bad and total sums are recorded for 1h, 6h and 1d (a time SLI's total is
# its number of tiles), so a ratio of sums weighs busy and quiet hours as their traffic does and a
# window with only part of its history (a new SLO, a gap) is the ratio over what there is. Windows
# from 1d up are in a second group evaluated every LONG_INTERVAL.
BASE_WINDOW = "5m"
SHORT_WINDOWS = ("5m", "30m", "1h", "2h", "6h")
LONG_WINDOWS = ("1d", "3d")
RATE_WINDOWS = SHORT_WINDOWS + LONG_WINDOWS
LONG_INTERVAL = "1m"
# window -> the shorter window it is tiled with; the tiles' sums are recorded for SUMMED_WINDOWS.
TILES = {"30m": "5m", "1h": "5m", "2h": "1h", "6h": "1h", "1d": "6h", "3d": "1d"}
SUMMED_WINDOWS = ("1h", "6h", "1d")

# (burn-rate factor, long window, short window). The workbook derives these for a 30d window,
# but a burn rate is already normalised by the window (burn 1 = spending exactly the budget
# over the SLO window), so the factors are kept for every window, as Pyrra and Sloth do.
# Scaling them to keep "the same fraction of budget" (factor * W / 30d) would page a 24h SLO at a
# burn of 0.48 and ticket it at 0.033, i.e. while it is comfortably meeting its objective.
# Kept factors keep the time to exhaustion proportional to the window (W / 14.4: 1.7h of a 24h
# budget) at the cost that more of a short window's budget is spent before the page: a burn of
# 14.4 over 1h is 60 % of a 24h budget, and for objective 0.95 (max burn 20) a total outage needs
# ~43 min to page. The SLO model rejects objectives where 14.4 is unreachable.
PAGE_CONDITIONS = ((PAGE_BURN_RATE, "1h", "5m"), (6.0, "6h", "30m"))
TICKET_CONDITIONS = ((3.0, "1d", "2h"), (1.0, "3d", "6h"))


def error_ratio_record(window: str) -> str:
    """Name of the recording rule holding the SLI error ratio over `window`."""
    return f"slo:sli_error:ratio_rate{_canonical_window(window)}"


ERROR_BUDGET_RECORD = "slo:error_budget:remaining"
TIME_SLI_RECORD = "slo:sli_error:instant"
# Event SLIs: the bad and total event rates over the base window, the tiles of every longer window.
BAD_RATE_RECORD = f"slo:sli_events_bad:rate{BASE_WINDOW}"
TOTAL_RATE_RECORD = f"slo:sli_events_total:rate{BASE_WINDOW}"


def bad_sum_record(window: str) -> str:
    """Sum over `window`'s base-window tiles of the bad rate (event SLIs) or error ratio (time SLIs)."""
    return f"slo:sli_bad:sum{window}"


def total_sum_record(window: str) -> str:
    """Sum over `window`'s base-window tiles of the total rate (event SLIs) or 1 per tile (time SLIs)."""
    return f"slo:sli_total:sum{window}"


def _canonical_window(window: str) -> str:
    # A 24h SLO window and the 1d alert window are the same series; record it once.
    seconds = duration_seconds(window)
    for candidate in RATE_WINDOWS:
        if duration_seconds(candidate) == seconds:
            return candidate
    return window


def _number(value: float) -> str:
    return f"{value:.10g}"


def _le_matcher(threshold: float) -> str:
    # Prometheus 3 normalises le to a float form ("2.0") on ingestion; 2.x stores what the
    # exporter wrote (Go clients write "2"). Match both so the SLI works on either.
    forms = sorted({_number(threshold), repr(float(threshold))})
    return 'le=~"' + "|".join(f.replace(".", "[.]") for f in forms) + '"'


def _with_matchers(metric: str, *matchers: str) -> str:
    joined = ",".join(m for m in matchers if m.strip())
    return f"{metric}{{{joined}}}" if joined else metric


def _bad_and_total_rates(sli: RatioSLI | LatencySLI, window: str) -> tuple[str, str]:
    if isinstance(sli, RatioSLI):
        # A counter of failures is often absent until the first failure; `or vector(0)` keeps the
        # ratio at 0 instead of leaving no series at all.
        return f"(sum(rate({sli.error_query}[{window}])) or vector(0))", f"sum(rate({sli.total_query}[{window}]))"
    good = _with_matchers(f"{sli.metric}_bucket", sli.matchers, _le_matcher(sli.threshold_seconds))
    total = f"sum(rate({_with_matchers(f'{sli.metric}_count', sli.matchers)}[{window}]))"
    return f"({total} - sum(rate({good}[{window}])))", total


def _instant_error(sli: GaugeSLI) -> str:
    bad_op = "<" if sli.comparison == ">=" else ">"
    # max(): with several gauge series, any one on the wrong side makes the instant bad.
    return f"max(({sli.query}) {bad_op} bool {_number(sli.target)})"


def _raw_error_ratio(slo: SLO, window: str) -> str:
    """The error ratio over `window` from the SLI's own series."""
    sli = slo.sli
    if isinstance(sli, AvailabilitySLI):
        # From up's own samples (one per scrape) rather than a 1m recording: a single failed
        # 15s scrape then counts as 15s of downtime, not a whole evaluation interval.
        return f"1 - avg(avg_over_time({sli.selector}[{window}]))"
    if isinstance(sli, GaugeSLI):
        # Recorded first (same group, evaluated in order) so each window is a cheap avg_over_time.
        return f'avg_over_time({TIME_SLI_RECORD}{{slo="{slo.name}"}}[{window}])'
    bad, total = _bad_and_total_rates(sli, window)
    return f"{bad} / {total}"


def _recorded_error_ratio(slo: SLO, window: str) -> str:
    """The error ratio over `window` from every base-window recording in it: for an SLO window no
    tile divides (not a whole number of hours), at the cost of reading each of those samples."""
    sel = f'{{slo="{slo.name}"}}'
    if isinstance(slo.sli, (RatioSLI, LatencySLI)):
        return f"sum_over_time({BAD_RATE_RECORD}{sel}[{window}]) / sum_over_time({TOTAL_RATE_RECORD}{sel}[{window}])"
    return f"avg_over_time({error_ratio_record(BASE_WINDOW)}{sel}[{window}])"


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _tiled_sum(aggregation: str, record: str, slo: SLO, tile: str, count: int) -> str:
    """`aggregation` of `record` over `count` consecutive `tile`s ending now. A tile with no sample
    (before the SLO's first evaluation, or in a gap) counts 0; the newest must exist."""
    sel = f'{record}{{slo="{slo.name}"}}'
    step = int(duration_seconds(tile))
    terms = [f"{aggregation}({sel})"]
    terms += [f"({aggregation}({sel} offset {_duration(i * step)}) or vector(0))" for i in range(1, count)]
    return "(" + " + ".join(terms) + ")"


def _tile_sums(slo: SLO, window: str, tile: str) -> tuple[str, str]:
    """(bad, total) sums over `window` from `tile`-long tiles."""
    count = int(duration_seconds(window) // duration_seconds(tile))
    if tile != BASE_WINDOW:
        return (
            _tiled_sum("sum", bad_sum_record(tile), slo, tile, count),
            _tiled_sum("sum", total_sum_record(tile), slo, tile, count),
        )
    if isinstance(slo.sli, (RatioSLI, LatencySLI)):
        return (
            _tiled_sum("sum", BAD_RATE_RECORD, slo, tile, count),
            _tiled_sum("sum", TOTAL_RATE_RECORD, slo, tile, count),
        )
    ratio = error_ratio_record(BASE_WINDOW)  # time SLIs: each tile's error ratio, weighing 1
    return _tiled_sum("sum", ratio, slo, tile, count), _tiled_sum("count", ratio, slo, tile, count)


def _window_tile(window: str) -> str | None:
    """The tile `window` is built of: TILES', else the longest summed window dividing it."""
    if window in TILES:
        return TILES[window]
    seconds = duration_seconds(window)
    return next((t for t in reversed(SUMMED_WINDOWS) if seconds % duration_seconds(t) == 0), None)


def _window_rules(slo: SLO, window: str) -> list[dict]:
    """The recordings of one window: its tile sums where they are tiles themselves, and its ratio."""
    labels = {"slo": slo.name}
    sel = f'{{slo="{slo.name}"}}'
    tile = _window_tile(window)
    if tile is None:
        return [{"record": error_ratio_record(window), "expr": _recorded_error_ratio(slo, window), "labels": labels}]
    bad, total = _tile_sums(slo, window, tile)
    if window not in SUMMED_WINDOWS:
        return [{"record": error_ratio_record(window), "expr": f"{bad} / {total}", "labels": dict(labels)}]
    return [
        {"record": bad_sum_record(window), "expr": bad, "labels": dict(labels)},
        {"record": total_sum_record(window), "expr": total, "labels": dict(labels)},
        {
            "record": error_ratio_record(window),
            "expr": f"{bad_sum_record(window)}{sel} / {total_sum_record(window)}{sel}",
            "labels": dict(labels),
        },
    ]


def _long_windows(slo: SLO) -> list[str]:
    windows = list(LONG_WINDOWS)
    if _canonical_window(slo.window) not in RATE_WINDOWS:
        windows.append(slo.window)
    return windows


def _burn_condition(slo: SLO, factor: float, long: str, short: str) -> str:
    threshold = f"({_number(factor)} * {_number(slo.error_budget)})"
    sel = f'{{slo="{slo.name}"}}'
    return f"({error_ratio_record(long)}{sel} > {threshold} and {error_ratio_record(short)}{sel} > {threshold})"


def _burn_alert(slo: SLO, name: str, conditions, severity: str, for_: str, speed: str) -> dict:
    windows = ", ".join(f"{factor:g}x over {long} and {short}" for factor, long, short in conditions)
    return {
        "alert": name,
        "expr": " or ".join(_burn_condition(slo, *c) for c in conditions),
        **({"for": for_} if for_ else {}),
        "labels": {"severity": severity, "category": "slo", "slo": slo.name},
        "annotations": {
            "summary": f"SLO {slo.name} is burning its error budget {speed}",
            "description": (
                f"{slo.description} (objective {slo.objective:g} over {slo.window}). Error ratio "
                f"{{{{ $value | humanizePercentage }}}} exceeds a burn-rate threshold ({windows}); "
                f"error budget is {_number(slo.error_budget * 100)} %."
            ),
        },
    }


def slo_rule_groups_of(slo: SLO) -> list[dict]:
    """Two groups per SLO. The first, at the global evaluation interval, records the base window from
    the SLI's series, the short windows from its tiles, and holds the page; the second, every
    LONG_INTERVAL, records the long windows (1d, 3d, the SLO window) from the first group's tiles and
    holds the ticket, so no rule reads more than the base window of the SLI's series."""
    labels = {"slo": slo.name}
    sel = f'{{slo="{slo.name}"}}'
    short: list[dict] = []
    if isinstance(slo.sli, GaugeSLI):
        short.append({"record": TIME_SLI_RECORD, "expr": _instant_error(slo.sli), "labels": dict(labels)})
    if isinstance(slo.sli, (RatioSLI, LatencySLI)):
        bad, total = _bad_and_total_rates(slo.sli, BASE_WINDOW)
        short.append({"record": BAD_RATE_RECORD, "expr": bad, "labels": dict(labels)})
        short.append({"record": TOTAL_RATE_RECORD, "expr": total, "labels": dict(labels)})
        base = f"{BAD_RATE_RECORD}{sel} / {TOTAL_RATE_RECORD}{sel}"
    else:
        base = _raw_error_ratio(slo, BASE_WINDOW)
    short.append({"record": error_ratio_record(BASE_WINDOW), "expr": base, "labels": dict(labels)})
    for window in SHORT_WINDOWS[1:]:
        short += _window_rules(slo, window)
    # No `for` on the page: the 5m short window already stops it flapping, and any delay here
    # adds directly to time-to-page (workbook, "multiwindow, multi-burn-rate alerts").
    short.append(_burn_alert(slo, "SLOErrorBudgetBurnFast", PAGE_CONDITIONS, "critical", "", "fast"))
    long = [rule for window in _long_windows(slo) for rule in _window_rules(slo, window)]
    long.append(
        {
            "record": ERROR_BUDGET_RECORD,
            "expr": f'1 - {error_ratio_record(slo.window)}{{slo="{slo.name}"}} / {_number(slo.error_budget)}',
            "labels": dict(labels),
        }
    )
    long.append(_burn_alert(slo, "SLOErrorBudgetBurnSlow", TICKET_CONDITIONS, "warning", "15m", "slowly"))
    return [
        {"name": f"slo.{slo.name}", "rules": short},
        {"name": f"slo.{slo.name}.long", "interval": LONG_INTERVAL, "rules": long},
    ]


def slo_rule_groups(slos: list[SLO]) -> list[dict]:
    names = [s.name for s in slos]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate SLO names: {', '.join(duplicates)}")
    return [group for slo in slos for group in slo_rule_groups_of(slo)]

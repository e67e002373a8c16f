"""The rule-cost bound of `make bench` (tools/bench/rules.py): 10 ms, or twice what reading the group's
series once costs where that is more, and a group never measured fails."""

from __future__ import annotations

import pytest

from tools.bench.rules import BOUND_MS, FLOOR_FACTOR, GroupResult, head_reads


def _group(median_ms: float | None, floor_ms: float) -> GroupResult:
    result = GroupResult("f.yml", "g", 15, 1, floor_ms=floor_ms)
    if median_ms is not None:
        result.durations = [median_ms / 1000] * 3
    return result


@pytest.mark.parametrize(
    "median_ms, floor_ms, over",
    [
        (9.9, 1.0, False),  # cheap series: the flat bound
        (10.1, 1.0, True),
        (60.0, 35.0, False),  # 6,000 containers: the floor's price, doubled, is the bound
        (71.0, 35.0, True),  # an hour of samples of the same series costs more than that
        (None, 1.0, True),  # never evaluated: not a pass
    ],
)
def test_a_group_is_held_to_the_flat_bound_or_its_floor(median_ms, floor_ms, over):
    group = _group(median_ms, floor_ms)
    assert group.bound_ms == max(BOUND_MS, FLOOR_FACTOR * floor_ms)
    assert group.over is over


@pytest.mark.parametrize(
    "expr, wait",
    [
        ("up == 0", 300),  # an instant read looks 5 minutes back
        ("rate(a_total[5m]) > 0 and increase(b_total[15m]) > 2", 900),
        ("increase(a_total[1h]) > 50", 300),  # an hour spans the blocks on any server: not waited for
        ("predict_linear(a[6h], 3600) < 0 and rate(b_total[10m]) > 0", 600),
    ],
)
def test_a_group_is_measured_once_its_short_windows_are_in_the_head(expr, wait):
    files = {"f.yml": [{"name": "g", "rules": [{"alert": "A", "expr": expr}]}]}
    assert head_reads(files, GroupResult("f.yml", "g", 15, 1)) == wait

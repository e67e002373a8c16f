"""`make test` shuffles the suite; the engine scenarios keep the order they are written in."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

SCENARIO, FAST = "tests/test_engine_kubernetes.py", "tests/test_config_errors.py"


def _collected(*options: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *options, SCENARIO, FAST],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_the_fast_suite_is_shuffled_and_the_engine_scenarios_are_not():
    written = _collected("-p", "no:randomly")
    orders = [_collected(f"--randomly-seed={seed}") for seed in (1, 2)]
    for order in orders:
        assert sorted(order) == sorted(written)
        assert [t for t in order if t.startswith(SCENARIO)] == [t for t in written if t.startswith(SCENARIO)]
    fast = [[t for t in order if t.startswith(FAST)] for order in (written, *orders)]
    assert fast[1] != fast[0] and fast[2] != fast[1], "the fast tests were not shuffled"

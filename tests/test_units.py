"""One parser per unit (observability_stack/configs/units.py), read alike by every target."""

from __future__ import annotations

from fractions import Fraction

import pytest

from observability_stack.components.targets.kubernetes_pod import STARTUP_PERIOD, _probes
from observability_stack.components.workload import HealthCheck, Workload
from observability_stack.configs.docker_forms import go_duration, nano_cpus
from observability_stack.configs.models.service import Resources
from observability_stack.configs.units import byte_count, cpu_cores, duration_ns, duration_seconds


@pytest.mark.parametrize(
    ("text", "seconds"), [("15s", 15), ("1h30m", 5400), ("2w", 14 * 86400), ("1y", 365 * 86400), ("1s500ms", 1.5)]
)
def test_prometheus_durations(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize(("text", "nanos"), [("1m30s", 90 * 10**9), ("1.5s", 1_500_000_000), ("250ms", 250 * 10**6)])
def test_go_durations(text, nanos):
    assert duration_ns(text) == nanos


@pytest.mark.parametrize("text", ["", "1d", "1m 30s", "s"])
def test_what_go_refuses(text):
    with pytest.raises(ValueError, match="not a Go duration"):
        duration_ns(text)


def test_quantities_are_exact():
    assert cpu_cores("250m") == Fraction(1, 4) and cpu_cores("1.5") == Fraction(3, 2)
    assert byte_count("512Mi") == 512 * 2**20 and byte_count("10G") == 10**10
    assert byte_count("8Ei") == 2**63  # one past int64: a float could not tell it from 2^63-1
    assert nano_cpus("250m") == 250_000_000


def _workload(start_period: str) -> Workload:
    return Workload(
        service="tempo",
        image="grafana/tempo:2.8.0",
        args=[],
        health=HealthCheck("/ready", 3200, start_period=start_period),
        requests=Resources(),
        limits=Resources(),
        config_dir="/etc/tempo",
        config_files={},
        secret_dir="/run/secrets/tempo",
        ports=[],
    )


def test_a_start_period_in_minutes_and_seconds_reaches_both_targets_alike():
    """The pod builder read only `\\d+[smh]` and failed on `1m30s`, which the Docker form takes."""
    w = _workload("15m30s")
    startup = _probes(w)["startup_probe"]
    assert startup.failure_threshold == (15 * 60 + 30) // STARTUP_PERIOD
    assert go_duration(w.health.start_period) == "15m30s"

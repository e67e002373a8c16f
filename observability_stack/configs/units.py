"""Durations, CPU and byte quantities: one parser each, used by the models, the Docker forms and the
Kubernetes pod builder, so a value the config accepts is read the same way wherever it is deployed.

Two duration grammars, because the upstream tools have two: Prometheus' (model.ParseDuration: `1h30m`,
`15d`, read by Prometheus, Alertmanager and Loki's config) and Go's (time.ParseDuration: `1m30s`,
`1.5s`, the Docker Engine's health check fields). Exact arithmetic throughout (Fraction): a value next
to the int64 limit is judged right, where a float rounds 2^63-1 up."""

from __future__ import annotations

import re
from fractions import Fraction

# Kubernetes caps a quantity at 2^63-1 without a word (resource.Quantity), the Docker engine holds
# memory in an int64 of bytes and durations in an int64 of nanoseconds, the kubelet CPU in an int64
# of millicores: beyond, the amount deployed is not the amount written.
INT64_MAX = 2**63 - 1

# Prometheus' grammar: units from largest to smallest, each at most once.
PROMETHEUS_DURATION = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")
_PROMETHEUS_SECONDS: dict[str, int | Fraction] = {
    "y": 365 * 86400,
    "w": 7 * 86400,
    "d": 86400,
    "h": 3600,
    "m": 60,
    "s": 1,
    "ms": Fraction(1, 1000),
}
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_GO_NANOS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}

CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
# Kubernetes' suffixes (resource.Quantity) without the milli and exponent forms.
BYTES = re.compile(r"^(\d+(?:\.\d+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_BYTE_FACTORS: dict[str | None, int] = {
    **{unit: 10 ** (3 * i) for i, unit in enumerate(("k", "M", "G", "T", "P", "E"), 1)},
    **{unit: 2 ** (10 * i) for i, unit in enumerate(("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"), 1)},
    None: 1,
}


def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration (`1h30m` -> 5400.0); the grammar is checked by the models."""
    total = Fraction(0)
    for amount, unit in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", value):
        total += int(amount) * _PROMETHEUS_SECONDS[unit]
    return float(total)


def duration_ns(text: str) -> int:
    """A Go duration ("15s", "1m30s", "1.5s"), as time.ParseDuration reads it."""
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a Go duration")
    return sum(int(Fraction(number) * _GO_NANOS[unit]) for number, unit in parts)


def cpu_cores(value: str) -> Fraction:
    """A Kubernetes CPU quantity ("500m", "1", "1.5") in cores."""
    match = CPU.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a CPU quantity (e.g. 250m, 1, 1.5)")
    number, milli = match.groups()
    return Fraction(number) / (1000 if milli else 1)


def byte_count(value: str) -> Fraction:
    """A Kubernetes byte quantity ("512Mi", "10G") in bytes."""
    match = BYTES.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a byte quantity (e.g. 512Mi, 1Gi, 10Gi)")
    number, unit = match.groups()
    return Fraction(number) * _BYTE_FACTORS[unit]

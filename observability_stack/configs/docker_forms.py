"""Values in the exact form the Docker provider reads them back, so an unchanged stack has no diff.

pulumi-docker bridges kreuzwerker/terraform-provider-docker. After every create and refresh the
provider's Read stores what the engine reports, and the next `pulumi up` compares the program's
inputs with that. Where Read normalises a value, an input in another form differs every time: a
perpetual update, or a replacement where the field is ForceNew. Read at the provider's source
(internal/provider/resource_docker_container_funcs.go, resource_docker_container.go, helpers.go,
kreuzwerker v4.x, 2026-07):

| field | ForceNew | Read stores | e.g. input -> stored |
| --- | --- | --- | --- |
| cpus | yes | nanoInt64ToDecimalString(HostConfig.NanoCPUs) | "1" -> "1.0", "0.25" -> "0.25", "10" -> "10." |
| memory, memory_reservation | no (updated in place) | HostConfig bytes / 1024 / 1024 | whole MiB: unchanged |
| memory_swap | no (updated in place) | HostConfig.MemorySwap / 1024 / 1024 when above 0 | unset -> twice `memory` (the engine's default): set it |
| healthcheck interval, timeout, start_period, start_interval | no, and not updatable: a perpetual update | time.Duration.String() | "60s" -> "1m0s", "90s" -> "1m30s" |
| healthcheck test | no | Config.Healthcheck.Test, as sent | unchanged |
| capabilities add | yes | HostConfig.CapAdd, which Docker Engine 20.10 prefixes | "NET_BIND_SERVICE" -> "CAP_NET_BIND_SERVICE" |
| capabilities drop "ALL", security_opts, log_opts, user, restart | yes / no | as sent (checked on Docker Engine 20.10) | unchanged |
| command | yes | Config.Cmd | [] -> the image's CMD: leave it unset instead |
| network_mode | yes | HostConfig.NetworkMode: "bridge" even with networks_advanced | leave it unset (default "bridge") |
| security_opts with pid_mode "host" | yes | HostConfig.SecurityOpt, to which the engine adds "label=disable" for a container in the host's PID namespace (checked on Docker Engine 20.10) | send it: a replacement on every `pulumi up` otherwise |
| ports | yes | every binding the engine reports | one `ip`: an engine that also binds `::` for 0.0.0.0 reads back two (kreuzwerker issue 909) |

Pure functions, shared by config validation (a value with no stable form is refused before anything
is registered) and the Docker target.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .units import INT64_MAX, byte_count, cpu_cores, duration_ns

# What the engine appends to SecurityOpt for a container in the host's PID namespace.
HOST_PID_SECURITY_OPTS = ("label=disable",)


def nano_cpus(quantity: str) -> int:
    """A Kubernetes CPU quantity ("500m", "1", "1.5") in the engine's NanoCPUs."""
    nanos = cpu_cores(quantity) * 10**9
    if nanos.denominator != 1:
        raise ValueError(f"{quantity!r} is finer than the engine's 1e-9 CPU")
    if nanos > INT64_MAX:
        raise ValueError(
            f"{quantity!r} is beyond the engine's largest CPU limit (NanoCPUs is an int64: about 9.2e9 cores)"
        )
    return int(nanos)


def _float_string(value: Fraction, places: int) -> str:
    """Go's big.Rat.FloatString: the last digit rounded to nearest, halves away from zero."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):.{places}f}"


def cpus_read_back(nanos: int) -> str:
    """What the provider's Read stores for NanoCPUs (helpers.go nanoInt64ToDecimalString), quirks
    included: it counts every "0" character, so 10 cores read back as "10." and 0.05 as "0.1"."""
    if nanos == 0:
        return "0"
    value = Fraction(nanos, 10**9)
    text = _float_string(value, 9)
    if text.count("0") == 9:
        return _float_string(value, 1)
    return text.rstrip("0")


def docker_cpus(quantity: str) -> str:
    """The `cpus` input for a CPU quantity: the form Read stores, refused where that form does not
    stand for the same amount (the provider would then replace the container on every update)."""
    nanos = nano_cpus(quantity)
    stored = cpus_read_back(nanos)
    if Fraction(stored.rstrip(".") or "0") * 10**9 != nanos:
        raise ValueError(
            f"{quantity!r}: the Docker provider reads it back as {stored!r}, another amount, and "
            f"would replace the container on every `pulumi up`; pick a value such as 250m, 500m or 1"
        )
    return stored


def go_duration(text: str) -> str:
    """The duration in Go's time.Duration.String() form: "60s" -> "1m0s", "500ms" -> "500ms"."""
    nanos = duration_ns(text)
    if nanos == 0:
        return "0s"
    if nanos < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if nanos >= size:
                return f"{_trim(Fraction(nanos, size))}{unit}"
    hours, rest = divmod(nanos, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = _trim(Fraction(rest, 10**9))
    if hours:
        return f"{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{minutes}m{seconds}s"
    return f"{seconds}s"


def _trim(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{Decimal(value.numerator) / Decimal(value.denominator):f}".rstrip("0").rstrip(".")


def memory_mib(quantity: str) -> int:
    """A memory quantity in whole MiB, the unit of the provider's `memory` (Docker refuses under 6 MiB)."""
    return max(6, int(byte_count(quantity) / 2**20))

"""Shared base and field types for the config models."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

# Prometheus' duration grammar (model.ParseDuration): units from largest to smallest, each at most once.
_DURATION = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")
_UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


class Model(BaseModel):
    """Strict base: unknown keys are errors, so a typo in stack config never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _check_duration(value: str) -> str:
    if not value or value == "0" or not _DURATION.match(value):
        raise ValueError(f"{value!r} is not a duration (expected e.g. 30s, 5m, 1h30m, 15d)")
    if duration_seconds(value) * 1e9 > 2**63 - 1:
        raise ValueError(f"{value!r} is beyond the longest duration Prometheus and Alertmanager hold (about 292y)")
    return value


def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus-style duration string."""
    total = 0.0
    for amount, unit in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", value):
        total += int(amount) * _UNIT_SECONDS[unit]
    return total


Duration = Annotated[str, AfterValidator(_check_duration)]


def _not_a_bool(value: object) -> object:
    # pydantic's lax mode reads true/false as 1/0; a port or a count given as a boolean is a mistake.
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {str(value).lower()}")
    return value


Int = Annotated[int, BeforeValidator(_not_a_bool)]

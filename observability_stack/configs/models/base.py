"""Shared base and field types for the config models."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from ..units import PROMETHEUS_DURATION, duration_seconds


class Model(BaseModel):
    """Strict base: unknown keys are errors, so a typo in stack config never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _check_duration(value: str) -> str:
    if not value or value == "0" or not PROMETHEUS_DURATION.match(value):
        raise ValueError(f"{value!r} is not a duration (expected e.g. 30s, 5m, 1h30m, 15d)")
    if duration_seconds(value) * 1e9 > 2**63 - 1:
        raise ValueError(f"{value!r} is beyond the longest duration Prometheus and Alertmanager hold (about 292y)")
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]


def _not_a_bool(value: object) -> object:
    # pydantic's lax mode reads true/false as 1/0; a port or a count given as a boolean is a mistake.
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {str(value).lower()}")
    return value


Int = Annotated[int, BeforeValidator(_not_a_bool)]

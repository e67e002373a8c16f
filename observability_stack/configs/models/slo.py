"""Service level objectives: what fraction of events (or of time) must be good, over which window."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from observability_stack.configs.models.base import Duration, Model, duration_seconds
from observability_stack.configs.models.expressions import PromQL

# A metric name with optional label matchers, e.g. prsm_requests_total{job="prsm-api",code=~"5.."}.
# Only a selector is accepted (not arbitrary PromQL) because the rule builder wraps it in
# sum(rate(<selector>[<window>])) for every alerting window.
SELECTOR_PATTERN = (
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"([^"\\]|\\.)*"\s*,?\s*)*\})?$'
)
MATCHERS_PATTERN = r'^(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"([^"\\]|\\.)*"\s*,?)*\s*$'
METRIC_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"

# The fast-burn page fires at a burn rate of 14.4 (see configs/content/slo_rules.py). Below this
# objective even 100 % errors burn slower than that, so the page could never fire.
PAGE_BURN_RATE = 14.4
MIN_OBJECTIVE = 1 - 1 / PAGE_BURN_RATE


class RatioSLI(Model):
    """Bad events / all events, both counted by counters."""

    kind: Literal["ratio"]
    error_query: str = Field(pattern=SELECTOR_PATTERN, description="counter selector of bad events")
    total_query: str = Field(pattern=SELECTOR_PATTERN, description="counter selector of all events")


class LatencySLI(Model):
    """Requests slower than a threshold are bad, counted from a classic histogram."""

    kind: Literal["latency"]
    metric: str = Field(pattern=METRIC_PATTERN, description="histogram base name, without _bucket/_count")
    matchers: str = Field(default="", pattern=MATCHERS_PATTERN, description='e.g. job="prsm-api"')
    # Must be one of the histogram's bucket bounds, or the SLI silently counts every request as bad.
    threshold_seconds: float = Field(gt=0)


class GaugeSLI(Model):
    """Time-based: the fraction of time a gauge is on the wrong side of a target is bad."""

    kind: Literal["gauge"]
    query: PromQL = Field(description="PromQL expression of the gauge, e.g. avg(prsm_model_accuracy_score)")
    target: float
    comparison: Literal[">=", "<="] = Field(default=">=", description="how the gauge must compare to target to be good")


class AvailabilitySLI(Model):
    """Time-based: the fraction of scrapes in which the targets were down is bad."""

    kind: Literal["availability"]
    selector: str = Field(pattern=r"^up\{.*\}$", description='an up{...} selector, e.g. up{job="prsm-api"}')


SLI = Annotated[RatioSLI | LatencySLI | GaugeSLI | AvailabilitySLI, Field(discriminator="kind")]


class SLO(Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    description: str = Field(min_length=1)
    objective: float = Field(gt=0, lt=1, description="fraction of good events (or of good time)")
    window: Duration
    sli: SLI

    @property
    def error_budget(self) -> float:
        return round(1 - self.objective, 12)

    @model_validator(mode="after")
    def _cross_checks(self) -> SLO:
        if duration_seconds(self.window) < 86400:
            raise ValueError(f"window {self.window!r} is shorter than 1d, shorter than the burn-rate alert windows")
        if self.objective <= MIN_OBJECTIVE:
            raise ValueError(
                f"objective {self.objective} is too low for burn-rate paging: even 100 % errors burn the "
                f"budget slower than {PAGE_BURN_RATE}x; use an objective above {MIN_OBJECTIVE:.4f}"
            )
        return self

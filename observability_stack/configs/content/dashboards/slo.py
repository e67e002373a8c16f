"""SLO dashboard, one row per SLO: attainment over the window, budget left, burn rates."""

from __future__ import annotations

from observability_stack.configs.content.dashboards.builder import Dashboard, Panel, Row, Target, Threshold
from observability_stack.configs.content.slo_rules import ERROR_BUDGET_RECORD, error_ratio_record
from observability_stack.configs.models.slo import SLO


def _row(slo: SLO) -> Row:
    sel = f'{{slo="{slo.name}"}}'
    budget = f"{slo.error_budget:.10g}"
    burn = tuple(Target(f"{error_ratio_record(w)}{sel} / {budget}", f"burn rate {w}") for w in ("5m", "1h", "6h", "3d"))
    return Row(
        f"{slo.name}: {slo.description}",
        (
            Panel(
                f"SLI over {slo.window}",
                "stat",
                (Target(f"1 - {error_ratio_record(slo.window)}{sel}", "SLI"),),
                unit="percentunit",
                decimals=3,
                width=6,
                thresholds=(Threshold("red"), Threshold("green", slo.objective)),
                description=f"Objective {slo.objective:g} over {slo.window}",
            ),
            Panel(
                "Error budget remaining",
                "gauge",
                (Target(f"{ERROR_BUDGET_RECORD}{sel}", "remaining"),),
                unit="percentunit",
                min=0,
                max=1,
                width=6,
                thresholds=(Threshold("red"), Threshold("yellow", 0.25), Threshold("green", 0.5)),
            ),
            Panel(
                "Burn rate",
                "timeseries",
                burn,
                width=12,
                min=0,
                thresholds=(Threshold("green"), Threshold("orange", 1), Threshold("red", 14.4)),
                description="1 = spending exactly the budget over the window; 14.4 over 1h pages",
            ),
        ),
    )


def slo_dashboard(slos: list[SLO], title: str = "Service Level Objectives") -> Dashboard:
    return Dashboard(
        title=title,
        tags=("slo", "reliability"),
        time_from="now-7d",
        rows=[_row(slo) for slo in slos],
    )

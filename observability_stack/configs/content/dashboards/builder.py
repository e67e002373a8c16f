"""Dashboards as data (Dashboard, Row, Panel, Target), built into Grafana's JSON model by Grafana's own
Foundation SDK (`grafana-foundation-sdk`, its build for the Grafana schema the stack deploys).

Every dashboard gets a `datasource` variable that its panels and queries use, so it can be pointed at
another Prometheus. A dashboard that reads raw series also gets `job` and `instance` variables, and a
matcher for each of them goes into every raw selector in its queries. Recording rules' series
(names with a colon) are aggregated past job and instance, so they are left alone.

A dashboard may declare label variables too (`Variable`: namespace, pod, node): each lists a label's
values (`label_values(<selector>, <label>)`, its selector parsed), and its matcher goes into every raw
selector as job's and instance's do, except in the panels that declare their series lack the label
(`Panel.ignores`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import promql_parser
from grafana_foundation_sdk.builders import common, gauge, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

GRID_WIDTH = 24
# The provisioned Prometheus (configs/render/grafana.py): the variable's default.
PROMETHEUS_UID = "prometheus"
DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid="${datasource}")
FILTERS = {"job": "$job", "instance": "$instance"}

PanelType = Literal["stat", "gauge", "timeseries", "table"]
_PANELS: dict[str, Any] = {
    "stat": stat.Panel,
    "gauge": gauge.Panel,
    "timeseries": timeseries.Panel,
    "table": table.Panel,
}


def stable_uid(name: str) -> str:
    """A uid derived from the name, so links and provisioning survive regeneration (max 40 chars)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if len(slug) <= 40:
        return slug
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{slug[:31].rstrip('-')}-{digest}"


def _parse(expr: str):
    """Parse a panel query: Grafana's interval variables ($__rate_interval) stand where durations go."""
    return promql_parser.parse(re.sub(r"\$__\w+", "5m", expr))


def _selectors(node) -> list:
    """Every vector selector in a parsed PromQL expression."""
    found = []
    if isinstance(node, promql_parser.VectorSelector):
        return [node]
    for attribute in ("expr", "lhs", "rhs", "vector_selector", "param"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, str | int | float):
            found += _selectors(child)
    for child in getattr(node, "args", None) or []:
        found += _selectors(child)
    return found


def with_filters(expr: str, filters: dict[str, str] = FILTERS) -> str:
    """`expr` with `job=~"$job"` and `instance=~"$instance"` (or `filters`' label=~"value" matchers) in
    every raw-series selector that does not match that label already. Checked by parsing the result:
    every such selector must carry them."""
    names = {s.name for s in _selectors(_parse(expr)) if s.name and ":" not in s.name}
    for name in sorted(names, key=len, reverse=True):

        def add(match: re.Match, name: str = name) -> str:
            existing = match.group(1) or ""
            matchers = [
                f'{label}=~"{value}"'
                for label, value in filters.items()
                # A selector pinned to one value keeps it; a negative or regex matcher still gets the filter.
                if not re.search(rf'(?<!\w){label}\s*=\s*"', existing)
            ]
            if not matchers:
                return match.group(0)
            inner = ", ".join([*matchers, existing] if existing else matchers)
            return f"{name}{{{inner}}}"

        # The metric name as a selector: not part of a longer name, not a function call.
        expr = re.sub(rf"(?<![\w:]){re.escape(name)}(?![\w:(])(?:\s*\{{([^}}]*)\}})?", add, expr)
    for selector in _selectors(_parse(expr)):
        if selector.name in names:
            labels = {str(m.name) for m in selector.matchers.matchers}
            missing = set(filters) - labels
            if missing:
                raise ValueError(f"{expr}: {selector.name} lacks {sorted(missing)}")
    return expr


@dataclass(frozen=True)
class Variable:
    """A dashboard variable over the values of the label `name` on the series `selector` picks (it may
    name an earlier variable, as `kube_pod_info{namespace=~"$namespace"}`); multi-valued, All by default."""

    name: str
    selector: str
    label: str = ""

    @property
    def query(self) -> str:
        return f"label_values({self.selector}, {self.name})"

    def check(self) -> None:
        """The selector must be one raw series selector, as Grafana's label_values takes."""
        parsed = _parse(self.selector)
        if not isinstance(parsed, promql_parser.VectorSelector) or not parsed.name or ":" in parsed.name:
            raise ValueError(f"variable {self.name}: {self.selector!r} is not a raw series selector")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", self.name) or self.name in (*FILTERS, "datasource"):
            raise ValueError(f"variable {self.name!r}: not a label name of its own")


@dataclass(frozen=True)
class Target:
    expr: str
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True)
class Threshold:
    color: str
    value: float | None = None


@dataclass(frozen=True)
class Panel:
    title: str
    type: PanelType
    targets: tuple[Target, ...]
    width: int = 6
    height: int = 8
    unit: str = ""
    min: float | None = None
    max: float | None = None
    decimals: int | None = None
    thresholds: tuple[Threshold, ...] = ()
    description: str = ""
    # The dashboard's label variables this panel's series do not carry (node-level series on a
    # namespaced dashboard): their matchers stay out of its queries.
    ignores: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """Panels laid out left to right, wrapping at the grid width."""

    title: str
    panels: tuple[Panel, ...]


def _query(target: Target, ref_id: str, filters: dict[str, str] | None) -> prometheus.Dataquery:
    query = (
        prometheus.Dataquery()
        .ref_id(ref_id)
        .datasource(DATASOURCE)
        .expr(with_filters(target.expr, filters) if filters else target.expr)
        .legend_format(target.legend or "__auto")
    )
    if target.instant:
        query = query.instant().format(PromQueryFormat.TABLE)
    return query


def _panel(panel: Panel, panel_id: int, filters: dict[str, str] | None):
    built = _PANELS[panel.type]().id(panel_id).title(panel.title).datasource(DATASOURCE)
    built = built.span(panel.width).height(panel.height)
    for index, target in enumerate(panel.targets):
        built = built.with_target(_query(target, chr(ord("A") + index), filters))
    if panel.unit:
        built = built.unit(panel.unit)
    for key in ("min", "max", "decimals"):
        if getattr(panel, key) is not None:
            built = getattr(built, key)(getattr(panel, key))
    if panel.thresholds:
        steps = [dm.Threshold(color=t.color, value=t.value) for t in panel.thresholds]
        built = built.thresholds(gd.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE).steps(steps))
    if panel.type in ("stat", "gauge"):
        # The latest value, not the series' mean: "is it up now" must not average an outage away.
        built = built.reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    if panel.description:
        built = built.description(panel.description)
    return built


@dataclass
class Dashboard:
    title: str
    tags: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    time_from: str = "now-24h"
    refresh: str = "1m"
    description: str = ""
    # Label variables after job and instance, in this order (an earlier one may narrow a later one).
    variables: tuple[Variable, ...] = ()

    @property
    def uid(self) -> str:
        return stable_uid(self.title)

    def _reads_raw_series(self) -> bool:
        return any(
            s.name and ":" not in s.name
            for row in self.rows
            for panel in row.panels
            for target in panel.targets
            for s in _selectors(_parse(target.expr))
        )

    def _filters(self, panel: Panel) -> dict[str, str]:
        unknown = set(panel.ignores) - {v.name for v in self.variables}
        if unknown:
            raise ValueError(f"{self.title}: panel {panel.title!r} ignores no variable {sorted(unknown)}")
        return FILTERS | {v.name: f"${v.name}" for v in self.variables if v.name not in panel.ignores}

    def to_json(self) -> dict:
        filtered = self._reads_raw_series()
        if self.variables and not filtered:
            raise ValueError(f"{self.title}: label variables filter raw series, and it reads none")
        built = (
            gd.Dashboard(self.title)
            .uid(self.uid)
            .description(self.description)
            .tags(list(self.tags))
            .timezone("browser")
            .editable()
            .tooltip(dm.DashboardCursorSync.CROSSHAIR)
            .refresh(self.refresh)
            .time(self.time_from, "now")
            .with_variable(
                gd.DatasourceVariable("datasource")
                .label("Data source")
                .type("prometheus")
                .current(dm.VariableOption(text=PROMETHEUS_UID, value=PROMETHEUS_UID, selected=True))
            )
        )
        if filtered:
            for variable in self.variables:
                variable.check()
            for name, query, label in (
                ("job", "label_values(up, job)", "Job"),
                ("instance", 'label_values(up{job=~"$job"}, instance)', "Instance"),
                *((v.name, v.query, v.label or v.name.capitalize()) for v in self.variables),
            ):
                built = built.with_variable(
                    gd.QueryVariable(name)
                    .label(label)
                    .datasource(DATASOURCE)
                    .query(query)
                    .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
                    .multi(True)
                    .include_all(True)
                    # All matches series without the label too, as no filter would.
                    .all_value(".*")
                    .current(dm.VariableOption(text="All", value="$__all", selected=True))
                    .sort(dm.VariableSort.ALPHABETICAL_ASC)
                )
        panel_id = 1
        for row in self.rows:
            built = built.with_row(gd.Row(row.title).id(panel_id))
            panel_id += 1
            for panel in row.panels:
                built = built.with_panel(_panel(panel, panel_id, self._filters(panel) if filtered else None))
                panel_id += 1
        # Plain JSON types, as the provisioning file holds them.
        return json.loads(json.dumps(built.build(), cls=JSONEncoder))

"""A small typed builder for Grafana dashboard JSON (the provisioning file form, schemaVersion 39)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

SCHEMA_VERSION = 39
GRID_WIDTH = 24
PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}

PanelType = Literal["stat", "gauge", "timeseries", "table"]


def stable_uid(name: str) -> str:
    """A uid derived from the name, so links and provisioning survive regeneration (max 40 chars)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if len(slug) <= 40:
        return slug
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{slug[:31].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class Target:
    expr: str
    legend: str = ""
    instant: bool = False

    def to_json(self, ref_id: str) -> dict:
        target = {
            "refId": ref_id,
            "datasource": dict(PROMETHEUS),
            "expr": self.expr,
            "legendFormat": self.legend or "__auto",
        }
        if self.instant:
            target.update(instant=True, range=False, format="table")
        return target


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

    def to_json(self, panel_id: int, x: int, y: int) -> dict:
        defaults: dict = {}
        if self.unit:
            defaults["unit"] = self.unit
        for key in ("min", "max", "decimals"):
            if getattr(self, key) is not None:
                defaults[key] = getattr(self, key)
        if self.thresholds:
            defaults["thresholds"] = {
                "mode": "absolute",
                "steps": [{"color": t.color, "value": t.value} for t in self.thresholds],
            }
        panel = {
            "id": panel_id,
            "type": self.type,
            "title": self.title,
            "datasource": dict(PROMETHEUS),
            "gridPos": {"h": self.height, "w": self.width, "x": x, "y": y},
            "targets": [t.to_json(chr(ord("A") + i)) for i, t in enumerate(self.targets)],
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": _options(self.type),
        }
        if self.description:
            panel["description"] = self.description
        return panel


def _options(panel_type: str) -> dict:
    if panel_type in ("stat", "gauge"):
        return {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    if panel_type == "timeseries":
        return {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        }
    return {"showHeader": True}


@dataclass(frozen=True)
class Row:
    """Panels laid out left to right, wrapping at the grid width."""

    title: str
    panels: tuple[Panel, ...]


@dataclass
class Dashboard:
    title: str
    tags: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    time_from: str = "now-24h"
    refresh: str = "1m"
    description: str = ""

    @property
    def uid(self) -> str:
        return stable_uid(self.title)

    def to_json(self) -> dict:
        panels: list[dict] = []
        next_id, y = 1, 0
        for row in self.rows:
            panels.append(
                {
                    "id": next_id,
                    "type": "row",
                    "title": row.title,
                    "collapsed": False,
                    "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
                    "panels": [],
                }
            )
            next_id, y, x, line_height = next_id + 1, y + 1, 0, 0
            for panel in row.panels:
                if x + panel.width > GRID_WIDTH:
                    x, y, line_height = 0, y + line_height, 0
                panels.append(panel.to_json(next_id, x, y))
                next_id, x, line_height = next_id + 1, x + panel.width, max(line_height, panel.height)
            y += line_height
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": list(self.tags),
            "timezone": "browser",
            "editable": True,
            "graphTooltip": 1,
            "schemaVersion": SCHEMA_VERSION,
            "version": 1,
            "refresh": self.refresh,
            "time": {"from": self.time_from, "to": "now"},
            "templating": {"list": []},
            "annotations": {"list": []},
            "links": [],
            "panels": panels,
        }

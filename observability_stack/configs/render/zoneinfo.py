"""Time-zone data for Alertmanager's `time_intervals` locations.

The upstream image carries no zoneinfo, and Alertmanager then refuses a `location` at load time,
which no config check catches. Go reads the database from the directory in $ZONEINFO, so the
zones the config names are shipped with it, from the pinned `tzdata` package (same bytes on every
render, whatever the machine's own /usr/share/zoneinfo holds)."""

from __future__ import annotations

from importlib import resources

from ..models.stack import StackConfig

ZONEINFO_DIR = "zoneinfo"


def locations(cfg: StackConfig) -> list[str]:
    return sorted(
        {
            spec.location
            for interval in cfg.alertmanager.time_intervals
            for spec in interval.time_intervals
            if spec.location and spec.location not in ("UTC", "Local")
        }
    )


def zoneinfo_files(cfg: StackConfig) -> dict[str, bytes]:
    """Relative path under the config directory -> TZif bytes, for every location in use."""
    root = resources.files("tzdata").joinpath("zoneinfo")
    return {f"{ZONEINFO_DIR}/{name}": root.joinpath(*name.split("/")).read_bytes() for name in locations(cfg)}

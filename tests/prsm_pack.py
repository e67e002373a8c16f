"""The repository's PRSM content pack (packs/prsm), as the tests of its rules, SLOs and dashboards read it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from observability_stack.configs.load import load_sections
from observability_stack.configs.models.slo import SLO
from observability_stack.configs.models.stack import StackConfig
from observability_stack.configs.render.grafana import dashboards

PACK = "packs/prsm"
ROOT = Path(__file__).resolve().parent.parent


def prsm_config(**sections) -> StackConfig:
    """A stack config that loads the pack, as Pulumi.dev.yaml does, with these sections over it."""
    cfg, _, _ = load_sections({"content_packs": [PACK], **sections}, project_root=str(ROOT))
    return cfg


@cache
def _pack() -> StackConfig:
    return prsm_config()


def prsm_slos() -> list[SLO]:
    return list(_pack().slos)


def prsm_rule_groups() -> list[dict]:
    """The groups of the pack's rules/prsm.yml."""
    return [group.as_dict() for group in _pack().prometheus.rule_files["prsm.yml"]]


def prsm_dashboards() -> dict[str, dict]:
    """The pack's PRSM folder: file name -> dashboard."""
    return dashboards(_pack(), str(ROOT))["PRSM"]


# Stack config that loads the pack, as a Pulumi.<stack>.yaml does; absolute, so any working directory reads it.
PACK_CONFIG = {"observability:content_packs": [str(ROOT / PACK)]}

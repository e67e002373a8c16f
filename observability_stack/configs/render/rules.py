"""Prometheus rule files: shipped groups (seed, stack meta-monitoring, SLOs) and the user's own."""

from __future__ import annotations

from ..content.host_rules import host_rule_groups
from ..content.meta_rules import meta_rule_groups
from ..content.seed_rules import seed_rule_groups
from ..content.slo_rules import slo_rule_groups
from ..models.stack import StackConfig
from .common import to_yaml


def rule_files(cfg: StackConfig, include_user: bool = True) -> dict[str, list[dict]]:
    """File name (relative to the rules directory) -> rule groups. Empty files are left out."""
    files = {
        "prsm.yml": seed_rule_groups() if cfg.prometheus.default_rules else [],
        "stack.yml": meta_rule_groups(cfg.enabled(), {s: cfg.section(s).replicas for s in cfg.enabled()}),
        "hosts.yml": host_rule_groups(cfg.enabled()),
        "slo.yml": slo_rule_groups(cfg.slos),
        "user.yml": [group.as_dict() for group in cfg.prometheus.rule_groups] if include_user else [],
    }
    return {name: groups for name, groups in files.items() if groups}


def rule_groups(cfg: StackConfig, include_user: bool = True) -> list[dict]:
    return [group for groups in rule_files(cfg, include_user).values() for group in groups]


def render_rule_files(cfg: StackConfig) -> dict[str, str]:
    return {f"rules/{name}": to_yaml({"groups": groups}) for name, groups in rule_files(cfg).items()}

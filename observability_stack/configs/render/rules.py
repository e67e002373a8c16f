"""Prometheus rule files: the user's and content packs' files, the shipped groups (stack
meta-monitoring, hosts, SLOs) and the user's own groups."""

from __future__ import annotations

from collections.abc import Callable

from ..content.cluster_rules import cluster_rule_groups
from ..content.dashboards import ClusterSources
from ..content.host_rules import host_rule_groups
from ..content.meta_rules import meta_rule_groups
from ..content.self_rules import self_rule_groups
from ..content.slo_rules import slo_rule_groups
from ..models.stack import StackConfig
from .common import Topology, to_yaml


def _lower_alert(rule: dict) -> str:
    return rule["alert"].lower()


def _slo_of(rule: dict) -> str:
    return rule["labels"]["slo"]


def with_runbooks(
    groups: list[dict], pattern: str | None, group: str, runbook: Callable[[dict], str] = _lower_alert
) -> list[dict]:
    """The shipped groups with a `runbook_url` on every alert, from `common.runbook_url_pattern`."""
    if pattern is None:
        return groups
    for rule_group in groups:
        for rule in rule_group["rules"]:
            if "alert" in rule:
                rule.setdefault("annotations", {})["runbook_url"] = pattern.format(group=group, runbook=runbook(rule))
    return groups


def cluster_sources(cfg: StackConfig) -> ClusterSources | None:
    """What of the cluster Prometheus scrapes and kube-state-metrics collects, which both the cluster
    rules and the Kubernetes dashboards follow; None off Kubernetes (no cluster API: no cluster)."""
    if not Topology.of(cfg).pod_discovery:
        return None
    cluster, enabled = cfg.prometheus.cluster, cfg.enabled()
    collectors = cfg.kube_state_metrics.collectors if "kube-state-metrics" in enabled else ()
    return ClusterSources(
        kubelet=cluster.kubelet,
        api_server=cluster.api_server,
        coredns=cluster.coredns,
        collectors=frozenset(collectors),
        node_exporter="node-exporter" in enabled,
    )


def _cluster_groups(cfg: StackConfig) -> list[dict]:
    sources = cluster_sources(cfg)
    if sources is None:
        return []
    return cluster_rule_groups(
        sources.kubelet,
        sources.api_server,
        sources.coredns,
        sources.collectors,
        cfg.prometheus.cluster.control_plane.scraped(),
    )


def shipped_rule_files(cfg: StackConfig) -> dict[str, list[dict]]:
    """The files of the groups the stack writes itself, by name."""
    pattern = cfg.common.runbook_url_pattern
    replicas = {s: cfg.section(s).replicas for s in cfg.enabled()}
    return {
        "stack.yml": with_runbooks(
            meta_rule_groups(cfg.enabled(), replicas) + self_rule_groups(cfg.enabled(), replicas),
            pattern,
            "observability",
        ),
        "hosts.yml": with_runbooks(host_rule_groups(cfg.enabled()), pattern, "observability"),
        "cluster.yml": with_runbooks(_cluster_groups(cfg), pattern, "kubernetes"),
        "slo.yml": with_runbooks(slo_rule_groups(cfg.slos), pattern, "slo", _slo_of),
    }


def rule_files(cfg: StackConfig) -> dict[str, list[dict]]:
    """File name (relative to the rules directory) -> rule groups. Empty files are left out."""
    files = {
        **{name: [group.as_dict() for group in groups] for name, groups in cfg.prometheus.rule_files.items()},
        **shipped_rule_files(cfg),
        "user.yml": [group.as_dict() for group in cfg.prometheus.rule_groups],
    }
    return {name: groups for name, groups in files.items() if groups}


def render_rule_files(cfg: StackConfig) -> dict[str, str]:
    return {f"rules/{name}": to_yaml({"groups": groups}) for name, groups in rule_files(cfg).items()}

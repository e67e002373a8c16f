"""Alerts on the observability stack itself (the scrape job of each service is its service name)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import registry


def alert(
    name: str, expr: str, for_: str, severity: str, summary: str, description: str, category: str = "stack"
) -> dict:
    """An alerting rule as the shipped groups write it: severity and category labels (the runbook link
    is added from `common.runbook_url_pattern` when the rule files are rendered)."""
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        rule["for"] = for_
    rule["labels"] = {"severity": severity, "category": category}
    rule["annotations"] = {"summary": summary, "description": description}
    return rule


def down_alert_name(service: str) -> str:
    return f"{registry.registered(service).title}Down"


def _down(service: str) -> dict:
    up = f'up{{job="{service}"}}'
    return alert(
        down_alert_name(service),
        # absent(): a target that vanished from discovery has no up series to be 0.
        f"{up} == 0 or absent({up})",
        "2m",
        # A service whose death silences every other alert pages; the rest degrade dashboards, logs
        # or traces and can wait for working hours.
        "critical" if registry.facts(service).pages_when_down else "warning",
        f"{service} is down",
        f"{service} target {{{{ $labels.instance }}}} has been down or missing for 2 minutes",
    )


def _prometheus_rules() -> list[dict]:
    job = '{job="prometheus"}'
    by = "sum by (job, instance)"
    return [
        alert(
            "PrometheusRuleEvaluationFailures",
            f"{by} (increase(prometheus_rule_evaluation_failures_total{job}[5m])) > 0",
            "5m",
            "warning",
            "Prometheus fails to evaluate rules",
            "{{ $labels.instance }} failed {{ $value | humanize }} rule evaluations in 5 minutes; "
            "some alerts or recordings are not being computed",
        ),
        alert(
            "PrometheusNotificationsFailing",
            f"({by} (rate(prometheus_notifications_errors_total{job}[5m]))"
            f" / {by} (rate(prometheus_notifications_sent_total{job}[5m])) > 0.01)"
            f" or {by} (increase(prometheus_notifications_dropped_total{job}[5m])) > 0",
            "5m",
            "critical",
            "Prometheus cannot deliver alerts to Alertmanager",
            "{{ $labels.instance }} gets errors sending to Alertmanager (over 1 %) or drops alerts",
        ),
    ]


def _alertmanager_rules() -> list[dict]:
    job = '{job="alertmanager"}'
    by = "sum by (job, instance, integration)"
    return [
        alert(
            "AlertmanagerNotificationsFailing",
            f"{by} (rate(alertmanager_notifications_failed_total{job}[5m]))"
            f" / {by} (rate(alertmanager_notifications_total{job}[5m])) > 0.01",
            "5m",
            "critical",
            "Alertmanager fails to send notifications",
            "{{ $value | humanizePercentage }} of {{ $labels.integration }} notifications "
            "from {{ $labels.instance }} failed",
        ),
    ]


def _alertmanager_mesh_rule(replicas: int) -> dict:
    # Each member reports the mesh as it sees it: a dead member drops out of every survivor's count
    # (its own `up` is AlertmanagerDown), a partitioned one counts fewer than the rest.
    return alert(
        "AlertmanagerClusterMembersMissing",
        f'alertmanager_cluster_members{{job="alertmanager"}} < {replicas}',
        "5m",
        "warning",
        "Alertmanager's gossip mesh is missing members",
        f"{{{{ $labels.instance }}}} sees {{{{ $value }}}} of the {replicas} Alertmanagers: a dead member "
        "leaves less failover, a partitioned one sends duplicate notifications of its own",
    )


def _prometheus_pair_rule(replicas: int) -> dict:
    # Every replica scrapes every other one, so a survivor counts the missing copy as not up.
    return alert(
        "PrometheusReplicaMissing",
        f'count by (job) (up{{job="prometheus"}} == 1) < {replicas}',
        "5m",
        "warning",
        "A Prometheus replica of the HA set is not running",
        f"only {{{{ $value }}}} of the {replicas} Prometheus replicas are up: the others still evaluate and "
        "alert, with less failover left, and the missing copy's data has a gap",
    )


def _loki_rules() -> list[dict]:
    errors = 'loki_request_duration_seconds_count{job="loki",status_code=~"5.."}'
    total = 'loki_request_duration_seconds_count{job="loki"}'
    by = "sum by (job, route)"
    return [
        alert(
            "LokiRequestErrors",
            f"{by} (rate({errors}[5m])) / {by} (rate({total}[5m])) > 0.05",
            "15m",
            "warning",
            "Loki is answering requests with errors",
            "{{ $value | humanizePercentage }} of Loki requests to {{ $labels.route }} fail with 5xx",
        ),
    ]


def _watchdog() -> dict:
    # Always firing: Alertmanager routes it (alertname="Watchdog") to a dead man's switch, so the
    # absence of this alert is what reveals a broken Prometheus -> Alertmanager -> receiver path.
    return alert(
        "Watchdog",
        "vector(1)",
        "",
        "none",
        "Alerting pipeline heartbeat",
        "This alert always fires. If it stops arriving, Prometheus or Alertmanager is broken.",
    )


def meta_rule_groups(enabled: list[str], replicas: Mapping[str, int] | None = None) -> list[dict]:
    """`replicas`: each replicated service's count; the HA alerts exist only for more than one."""
    replicas = replicas or {}
    known = registry.names()
    unknown = sorted(set(enabled) - set(known))
    if unknown:
        raise ValueError(f"unknown services: {', '.join(unknown)} (known: {', '.join(known)})")
    on = [s for s in known if s in enabled]
    rules = [_down(s) for s in on]
    if "prometheus" in on:
        rules += _prometheus_rules()
    if "prometheus" in on and replicas.get("prometheus", 1) > 1:
        rules.append(_prometheus_pair_rule(replicas["prometheus"]))
    if "alertmanager" in on:
        rules += _alertmanager_rules()
        if replicas.get("alertmanager", 1) > 1:
            rules.append(_alertmanager_mesh_rule(replicas["alertmanager"]))
    if "loki" in on:
        rules += _loki_rules()
    rules.append(_watchdog())
    return [{"name": "stack.meta", "rules": rules}]

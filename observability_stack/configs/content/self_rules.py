"""What stops the stack from alerting, keeping data, showing logs or dashboards, as broadly as the
Prometheus, Alertmanager and Loki mixins watch their own servers; written for this stack (one group per
service, each only when that service runs). The Down alerts and the first notification alerts are in
meta_rules.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .meta_rules import alert

# Services that expose the Go client's process collector (process_start_time_seconds).
_GO_PROCESSES = ("prometheus", "alertmanager", "grafana", "loki", "promtail", "alloy", "node-exporter")


def _prometheus(enabled: set[str], replicas: Mapping[str, int]) -> list[dict]:
    job = 'job="prometheus"'
    by = "sum by (job, instance)"
    rules = [
        alert(
            "PrometheusConfigReloadFailed",
            f"max_over_time(prometheus_config_last_reload_successful{{{job}}}[5m]) == 0",
            "10m",
            "warning",
            "Prometheus could not load its new configuration",
            "{{ $labels.instance }} keeps running the previous configuration: the last reload failed "
            "(see its log); changed jobs and rule files are not in effect",
        ),
        alert(
            "PrometheusMissedRuleEvaluations",
            "sum by (job, instance, rule_group)"
            f" (increase(prometheus_rule_group_iterations_missed_total{{{job}}}[5m])) > 0",
            "15m",
            "warning",
            "Prometheus skips evaluations of {{ $labels.rule_group }}",
            "The group takes longer than its interval: {{ $value | humanize }} evaluations were skipped in 5 "
            "minutes, so its alerts and recordings lag",
        ),
        alert(
            "PrometheusTSDBCompactionsFailing",
            f"{by} (increase(prometheus_tsdb_compactions_failed_total{{{job}}}[3h])) > 0",
            "",
            "warning",
            "Prometheus fails to compact its storage",
            "{{ $value | humanize }} compactions failed on {{ $labels.instance }} in 3 hours: the head block "
            "grows, memory with it, and retention is not applied",
        ),
        alert(
            "PrometheusTSDBReloadsFailing",
            f"{by} (increase(prometheus_tsdb_reloads_failures_total{{{job}}}[3h])) > 0",
            "",
            "warning",
            "Prometheus fails to reload its storage blocks",
            "{{ $value | humanize }} block reloads failed on {{ $labels.instance }} in 3 hours: a block on disk "
            "may be corrupt",
        ),
        alert(
            "PrometheusTSDBWALCorruptions",
            f"{by} (increase(prometheus_tsdb_wal_corruptions_total{{{job}}}[3h])) > 0",
            "",
            "warning",
            "Prometheus found a corrupt write-ahead log",
            "{{ $labels.instance }} repaired a corrupt WAL segment; the samples after the corruption are lost",
        ),
        alert(
            "PrometheusNotIngestingSamples",
            f"{by} (rate(prometheus_tsdb_head_samples_appended_total{{{job}}}[5m])) <= 0",
            "10m",
            "warning",
            "Prometheus stores no new samples",
            "{{ $labels.instance }} appended nothing to its head block for 10 minutes, though it scrapes itself",
        ),
        alert(
            "PrometheusTargetSyncFailures",
            f"{by} (increase(prometheus_target_sync_failed_total{{{job}}}[30m])) > 0",
            "5m",
            "warning",
            "Prometheus cannot turn discovered targets into scrapes",
            "{{ $labels.instance }} failed {{ $value | humanize }} target syncs in 30 minutes: some targets are not "
            "scraped (a bad relabeling, or a scrape config that does not apply)",
        ),
        alert(
            "PrometheusServiceDiscoveryFailing",
            f"{by} (increase(prometheus_sd_refresh_failures_total{{{job}}}[10m])) > 0"
            f" or {by} (increase(prometheus_sd_kubernetes_failures_total{{{job}}}[10m])) > 0",
            "20m",
            "warning",
            "Prometheus' service discovery keeps failing",
            "{{ $labels.instance }} fails to list or watch its targets: new targets are not found and "
            "removed ones linger",
        ),
        alert(
            "PrometheusQueryLoadHigh",
            f"avg_over_time(prometheus_engine_queries{{{job}}}[5m])"
            f" / max_over_time(prometheus_engine_queries_concurrent_max{{{job}}}[5m]) > 0.8",
            "15m",
            "warning",
            "Prometheus runs near its concurrent query limit",
            "{{ $value | humanizePercentage }} of the query slots are busy: dashboards and rule evaluations wait",
        ),
    ]
    if "alertmanager" in enabled:
        rules += [
            alert(
                "PrometheusNotificationQueueFilling",
                f"predict_linear(prometheus_notifications_queue_length{{{job}}}[5m], 30 * 60)"
                f" > min_over_time(prometheus_notifications_queue_capacity{{{job}}}[5m])",
                "15m",
                "warning",
                "Prometheus' alert queue fills up",
                "At the last 5 minutes' rate the queue of alerts for Alertmanager is full within 30 minutes; "
                "alerts are then dropped",
            ),
            alert(
                "PrometheusNotConnectedToAlertmanagers",
                f"max_over_time(prometheus_notifications_alertmanagers_discovered{{{job}}}[5m]) < 1",
                "10m",
                "critical",
                "Prometheus knows no Alertmanager",
                "{{ $labels.instance }} has no Alertmanager to send to: no alert reaches anyone",
            ),
        ]
    return rules


def _alertmanager(enabled: set[str], replicas: Mapping[str, int]) -> list[dict]:
    job = 'job="alertmanager"'
    rules = [
        alert(
            "AlertmanagerConfigReloadFailed",
            f"max_over_time(alertmanager_config_last_reload_successful{{{job}}}[5m]) == 0",
            "10m",
            "critical",
            "Alertmanager could not load its new configuration",
            "{{ $labels.instance }} keeps routing by the previous configuration: changed receivers and routes "
            "are not in effect",
        ),
        alert(
            "AlertmanagerInvalidAlerts",
            f"sum by (job, instance) (increase(alertmanager_alerts_invalid_total{{{job}}}[5m])) > 0",
            "15m",
            "warning",
            "Alertmanager rejects alerts it receives",
            "{{ $labels.instance }} dropped {{ $value | humanize }} invalid alerts in 5 minutes: they are never "
            "notified",
        ),
    ]
    if replicas.get("alertmanager", 1) > 1:
        rules.append(
            alert(
                "AlertmanagerConfigInconsistent",
                f'count by (job) (count_values by (job) ("config_hash", alertmanager_config_hash{{{job}}})) != 1',
                "20m",
                "critical",
                "The Alertmanagers run different configurations",
                "{{ $value }} configurations are loaded across the mesh: the same alert is routed differently "
                "depending on which member sends it",
            )
        )
    return rules


def _loki(enabled: set[str], replicas: Mapping[str, int]) -> list[dict]:
    job = 'job="loki"'
    return [
        alert(
            "LokiPanics",
            f"sum by (job, instance) (increase(loki_panic_total{{{job}}}[10m])) > 0",
            "",
            "warning",
            "Loki panicked",
            "{{ $labels.instance }} recovered from {{ $value | humanize }} panics in 10 minutes: queries or "
            "pushes failed with them",
        ),
        alert(
            "LokiRequestLatencyHigh",
            "histogram_quantile(0.99, sum by (job, route, le) (rate(loki_request_duration_seconds_bucket"
            # Tailing holds its request open by design.
            f'{{{job}, route!~"(?i).*tail.*"}}[5m]))) > 1',
            "15m",
            "warning",
            "Loki answers {{ $labels.route }} slowly",
            "The 99th percentile of {{ $labels.route }} requests takes {{ $value | humanizeDuration }}",
        ),
        alert(
            "LokiDiscardingLogs",
            f"sum by (job, reason) (increase(loki_discarded_samples_total{{{job}}}[5m])) > 0",
            "15m",
            "warning",
            "Loki refuses log lines ({{ $labels.reason }})",
            "{{ $value | humanize }} lines were discarded in 5 minutes for {{ $labels.reason }} (rate or stream "
            "limits, lines too old or too long): they are lost",
        ),
        alert(
            "LokiRuleEvaluationFailures",
            f"sum by (job, instance) (increase(loki_prometheus_rule_evaluation_failures_total{{{job}}}[5m])) > 0",
            "15m",
            "warning",
            "Loki's ruler fails to evaluate the log alerts",
            "{{ $value | humanize }} evaluations failed in 5 minutes: the security alerts on logs are not computed",
        ),
    ]


def _grafana(enabled: set[str], replicas: Mapping[str, int]) -> list[dict]:
    count = "grafana_http_request_duration_seconds_count"
    by = "sum by (job, instance)"
    return [
        alert(
            "GrafanaRequestErrors",
            f'{by} (rate({count}{{job="grafana", status_code=~"5.."}}[5m]))'
            f' / {by} (rate({count}{{job="grafana"}}[5m])) > 0.05',
            "15m",
            "warning",
            "Grafana answers with errors",
            "{{ $value | humanizePercentage }} of Grafana's requests fail with 5xx: dashboards do not load",
        ),
    ]


def _log_collector(service: str, dropped: str, requests: str) -> Callable[[set[str], Mapping[str, int]], list[dict]]:
    """promtail and Alloy's loki.write count the same two things under their own names."""

    def rules(enabled: set[str], replicas: Mapping[str, int]) -> list[dict]:
        job = f'job="{service}"'
        by = "sum by (job, instance)"
        return [
            alert(
                "LogCollectorDroppingLogs",
                f"{by} (increase({dropped}{{{job}}}[10m])) > 0",
                "",
                "warning",
                "The log collector on {{ $labels.instance }} drops logs",
                "{{ $value | humanize }} entries were given up after every retry in 10 minutes: they never reach Loki",
            ),
            alert(
                "LogCollectorPushErrors",
                f'{by} (rate({requests}{{{job}, status_code!~"2.."}}[5m]))'
                f" / {by} (rate({requests}{{{job}}}[5m])) > 0.1",
                "15m",
                "warning",
                "The log collector on {{ $labels.instance }} fails to push to Loki",
                "{{ $value | humanizePercentage }} of its pushes fail: logs are delayed, then dropped",
            ),
        ]

    return rules


_BY_SERVICE = {
    "prometheus": _prometheus,
    "alertmanager": _alertmanager,
    "loki": _loki,
    "grafana": _grafana,
    "promtail": _log_collector("promtail", "promtail_dropped_entries_total", "promtail_request_duration_seconds_count"),
    "alloy": _log_collector("alloy", "loki_write_dropped_entries_total", "loki_write_request_duration_seconds_count"),
}


def _restarts(enabled: set[str]) -> dict | None:
    jobs = [service for service in _GO_PROCESSES if service in enabled]
    if not jobs:
        return None
    # What a crash loop looks like where no kube-state-metrics counts restarts (the Docker target).
    return alert(
        "StackServiceRestarting",
        f'changes(process_start_time_seconds{{job=~"{"|".join(jobs)}"}}[30m]) > 3',
        "",
        "warning",
        "{{ $labels.job }} keeps restarting",
        "{{ $labels.instance }} started {{ $value }} times in 30 minutes: it is crash-looping",
    )


def self_rule_groups(enabled: list[str], replicas: Mapping[str, int] | None = None) -> list[dict]:
    """One group per enabled service watched here, then the restarts of all of them."""
    on, replicas = set(enabled), replicas or {}
    groups = [
        {"name": f"stack.{service}", "rules": rules(on, replicas)}
        for service, rules in _BY_SERVICE.items()
        if service in on
    ]
    restarts = _restarts(on)
    if restarts:
        groups.append({"name": "stack.restarts", "rules": [restarts]})
    return groups

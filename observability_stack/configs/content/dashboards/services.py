"""Prometheus, Alertmanager and Loki, each from its own metrics: what the meta rules
(content/meta_rules.py) watch and what explains it. One dashboard a service, shipped when it runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from observability_stack.configs.content.dashboards.builder import Dashboard, Panel, Row, Target, Threshold

RATE = "$__rate_interval"
UP = (Threshold("red"), Threshold("green", 1))
RED_AT_1 = (Threshold("green"), Threshold("red", 1))


def _ts(title: str, targets: Iterable[Target], unit: str = "", width: int = 12, **kwargs) -> Panel:
    return Panel(title, "timeseries", tuple(targets), width=width, unit=unit, min=0, **kwargs)


def _stat(title: str, expr: str, legend: str, thresholds=UP, **kwargs) -> Panel:
    return Panel(title, "stat", (Target(expr, legend),), width=4, height=4, thresholds=thresholds, **kwargs)


def _rate(expr: str) -> str:
    return expr.replace("[R]", f"[{RATE}]")


def prometheus_dashboard() -> Dashboard:
    return Dashboard(
        "Prometheus Health",
        ("observability", "prometheus"),
        [
            Row(
                "Server",
                (
                    _stat("Config reloaded", "min(prometheus_config_last_reload_successful)", "reloaded"),
                    _stat(
                        "Alertmanagers discovered",
                        "min(prometheus_notifications_alertmanagers_discovered)",
                        "discovered",
                    ),
                    _stat("Targets down", "count(up == 0) or vector(0)", "down", thresholds=RED_AT_1),
                    _stat("Head series", "sum(prometheus_tsdb_head_series)", "series", thresholds=()),
                    _stat(
                        "Rule failures (1h)",
                        "sum(increase(prometheus_rule_evaluation_failures_total[1h])) or vector(0)",
                        "failures",
                        thresholds=RED_AT_1,
                    ),
                    _stat(
                        "Notifications dropped (1h)",
                        "sum(increase(prometheus_notifications_dropped_total[1h])) or vector(0)",
                        "dropped",
                        thresholds=RED_AT_1,
                    ),
                ),
            ),
            Row(
                "Scrapes",
                (
                    _ts("Targets down by job", (Target("count by (job) (up == 0)", "{{job}}"),), width=8),
                    _ts(
                        "Scrape duration by job",
                        (Target("max by (job) (scrape_duration_seconds)", "{{job}}"),),
                        "s",
                        width=8,
                    ),
                    _ts(
                        "Samples scraped by job",
                        (Target("sum by (job) (scrape_samples_scraped)", "{{job}}"),),
                        width=8,
                    ),
                ),
            ),
            Row(
                "Rules",
                (
                    _ts(
                        "Rule evaluation failures",
                        (
                            Target(
                                f"sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[{RATE}]))",
                                "{{rule_group}}",
                            ),
                        ),
                        width=8,
                    ),
                    _ts(
                        "Rule group duration of its interval",
                        (
                            Target(
                                "max by (rule_group) (prometheus_rule_group_last_duration_seconds"
                                " / prometheus_rule_group_interval_seconds)",
                                "{{rule_group}}",
                            ),
                        ),
                        "percentunit",
                        width=8,
                        thresholds=(Threshold("green"), Threshold("red", 1)),
                        description="Above 100 % the group cannot finish before its next evaluation is due",
                    ),
                    _ts(
                        "Rule group iterations missed (1h)",
                        (
                            Target(
                                "sum by (rule_group) (increase(prometheus_rule_group_iterations_missed_total[1h])) > 0",
                                "{{rule_group}}",
                            ),
                        ),
                        width=8,
                    ),
                ),
            ),
            Row(
                "Notifications to Alertmanager",
                (
                    _ts(
                        "Notifications sent",
                        (
                            Target(
                                _rate("sum by (alertmanager) (rate(prometheus_notifications_sent_total[R]))"),
                                "{{alertmanager}}",
                            ),
                        ),
                        "ops",
                        width=8,
                    ),
                    _ts(
                        "Notification errors",
                        (
                            Target(
                                _rate(
                                    "sum by (alertmanager) (rate(prometheus_notifications_errors_total[R]))"
                                    " / sum by (alertmanager) (rate(prometheus_notifications_sent_total[R]))"
                                ),
                                "{{alertmanager}}",
                            ),
                        ),
                        "percentunit",
                        width=8,
                    ),
                    _ts(
                        "Notification queue fill",
                        (
                            Target(
                                "max by (instance) (prometheus_notifications_queue_length"
                                " / prometheus_notifications_queue_capacity)",
                                "{{instance}}",
                            ),
                        ),
                        "percentunit",
                        width=8,
                        max=1,
                    ),
                ),
            ),
            Row(
                "Storage and queries",
                (
                    _ts(
                        "Samples appended",
                        (
                            Target(
                                _rate("sum by (instance) (rate(prometheus_tsdb_head_samples_appended_total[R]))"),
                                "{{instance}}",
                            ),
                        ),
                        "short",
                        width=8,
                    ),
                    _ts(
                        "Block storage",
                        (Target("sum by (instance) (prometheus_tsdb_storage_blocks_bytes)", "{{instance}}"),),
                        "bytes",
                        width=8,
                    ),
                    _ts(
                        "TSDB failures (1h)",
                        (
                            Target("sum(increase(prometheus_tsdb_compactions_failed_total[1h]))", "compactions"),
                            Target("sum(increase(prometheus_tsdb_reloads_failures_total[1h]))", "block reloads"),
                            Target("sum(increase(prometheus_tsdb_wal_corruptions_total[1h]))", "WAL corruptions"),
                        ),
                        width=8,
                    ),
                    _ts(
                        "Query duration p90 by stage",
                        (
                            Target(
                                'max by (slice) (prometheus_engine_query_duration_seconds{quantile="0.9"})',
                                "{{slice}}",
                            ),
                        ),
                        "s",
                        width=24,
                    ),
                ),
            ),
        ],
        time_from="now-6h",
        description="Prometheus' own health: config, scrapes, rule evaluation, notifications and storage",
    )


def alertmanager_dashboard() -> Dashboard:
    return Dashboard(
        "Alertmanager Health",
        ("observability", "alertmanager"),
        [
            Row(
                "Server",
                (
                    _stat("Config reloaded", "min(alertmanager_config_last_reload_successful)", "reloaded"),
                    _stat("Cluster members", "min(alertmanager_cluster_members)", "members", thresholds=()),
                    _stat("Failed peers", "max(alertmanager_cluster_failed_peers)", "failed", thresholds=RED_AT_1),
                    _stat(
                        "Alerts firing",
                        'sum(alertmanager_alerts{state="active"})',
                        "active",
                        thresholds=(),
                    ),
                    _stat(
                        "Silences active",
                        'sum(alertmanager_silences{state="active"})',
                        "active",
                        thresholds=(),
                    ),
                    _stat(
                        "Notifications failed (1h)",
                        "sum(increase(alertmanager_notifications_failed_total[1h])) or vector(0)",
                        "failed",
                        thresholds=RED_AT_1,
                    ),
                ),
            ),
            Row(
                "Alerts",
                (
                    _ts("Alerts by state", (Target("sum by (state) (alertmanager_alerts)", "{{state}}"),), width=8),
                    _ts(
                        "Alerts received",
                        (
                            Target(
                                _rate("sum by (status) (rate(alertmanager_alerts_received_total[R]))"), "{{status}}"
                            ),
                            Target(_rate("sum(rate(alertmanager_alerts_invalid_total[R]))"), "invalid"),
                        ),
                        "ops",
                        width=8,
                    ),
                    _ts("Silences by state", (Target("sum by (state) (alertmanager_silences)", "{{state}}"),), width=8),
                ),
            ),
            Row(
                "Notifications",
                (
                    _ts(
                        "Notifications sent",
                        (
                            Target(
                                _rate("sum by (integration) (rate(alertmanager_notifications_total[R]))"),
                                "{{integration}}",
                            ),
                        ),
                        "ops",
                        width=8,
                    ),
                    _ts(
                        "Notifications failed",
                        (
                            Target(
                                _rate("sum by (integration) (rate(alertmanager_notifications_failed_total[R]))"),
                                "{{integration}}",
                            ),
                        ),
                        "ops",
                        width=8,
                    ),
                    _ts(
                        "Notification latency p99",
                        (
                            Target(
                                _rate(
                                    "histogram_quantile(0.99, sum by (integration, le)"
                                    " (rate(alertmanager_notification_latency_seconds_bucket[R])))"
                                ),
                                "{{integration}}",
                            ),
                        ),
                        "s",
                        width=8,
                    ),
                ),
            ),
        ],
        time_from="now-6h",
        description="Alertmanager's own health: config, cluster, the alerts it holds and the notifications it sends",
    )


def loki_dashboard() -> Dashboard:
    return Dashboard(
        "Loki Health",
        ("observability", "loki"),
        [
            Row(
                "Ingestion",
                (
                    _ts(
                        "Lines received",
                        (Target(_rate("sum(rate(loki_distributor_lines_received_total[R]))"), "lines/s"),),
                        "short",
                        width=8,
                    ),
                    _ts(
                        "Bytes received",
                        (Target(_rate("sum(rate(loki_distributor_bytes_received_total[R]))"), "bytes/s"),),
                        "Bps",
                        width=8,
                    ),
                    _ts(
                        "Lines discarded by reason",
                        (Target(_rate("sum by (reason) (rate(loki_discarded_samples_total[R]))"), "{{reason}}"),),
                        "short",
                        width=8,
                        description="Lines Loki refused: rate or stream limits, too old, too long",
                    ),
                    _ts(
                        "Streams in memory",
                        (Target("sum by (instance) (loki_ingester_memory_streams)", "{{instance}}"),),
                        width=8,
                    ),
                    _ts(
                        "Chunks in memory",
                        (Target("sum by (instance) (loki_ingester_memory_chunks)", "{{instance}}"),),
                        width=8,
                    ),
                    _ts(
                        "Chunks flushed by reason",
                        (Target(_rate("sum by (reason) (rate(loki_ingester_chunks_flushed_total[R]))"), "{{reason}}"),),
                        "ops",
                        width=8,
                    ),
                ),
            ),
            Row(
                "Requests",
                (
                    _ts(
                        "Requests by route",
                        (Target(_rate("sum by (route) (rate(loki_request_duration_seconds_count[R]))"), "{{route}}"),),
                        "reqps",
                        width=8,
                    ),
                    _ts(
                        "5xx ratio by route",
                        (
                            Target(
                                _rate(
                                    'sum by (route) (rate(loki_request_duration_seconds_count{status_code=~"5.."}[R]))'
                                    " / sum by (route) (rate(loki_request_duration_seconds_count[R]))"
                                ),
                                "{{route}}",
                            ),
                        ),
                        "percentunit",
                        width=8,
                        thresholds=(Threshold("green"), Threshold("red", 0.05)),
                    ),
                    _ts(
                        "Latency p99 by route",
                        (
                            Target(
                                _rate(
                                    "histogram_quantile(0.99, sum by (route, le)"
                                    " (rate(loki_request_duration_seconds_bucket[R])))"
                                ),
                                "{{route}}",
                            ),
                        ),
                        "s",
                        width=8,
                    ),
                ),
            ),
        ],
        time_from="now-6h",
        description="Loki's own health: what it ingests and refuses, its in-memory streams, its requests",
    )


# Service -> (file name, dashboard): shipped beside stack-health.json when the service runs.
SERVICE_DASHBOARDS: dict[str, tuple[str, Callable[[], Dashboard]]] = {
    "prometheus": ("prometheus.json", prometheus_dashboard),
    "alertmanager": ("alertmanager.json", alertmanager_dashboard),
    "loki": ("loki.json", loki_dashboard),
}


def service_dashboards(enabled: list[str]) -> dict[str, Dashboard]:
    return {name: build() for service, (name, build) in SERVICE_DASHBOARDS.items() if service in enabled}

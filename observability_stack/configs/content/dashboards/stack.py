"""Self-health of the observability stack: is each service up, and are its pipelines working."""

from __future__ import annotations

from observability_stack.configs.content.dashboards.builder import Dashboard, Panel, Row, Target, Threshold

RATE = "$__rate_interval"


def _up(service: str) -> Panel:
    return Panel(
        service,
        "stat",
        (Target(f'min(up{{job="{service}"}})', service),),
        width=4,
        height=4,
        thresholds=(Threshold("red"), Threshold("green", 1)),
        min=0,
        max=1,
    )


def stack_dashboard(enabled: list[str]) -> Dashboard:
    rows = [Row("Services up", tuple(_up(s) for s in enabled))]
    if "prometheus" in enabled:
        rows.append(
            Row(
                "Prometheus",
                (
                    Panel(
                        "Scrape duration by job",
                        "timeseries",
                        (Target("max by (job) (scrape_duration_seconds)", "{{job}}"),),
                        width=12,
                        unit="s",
                        min=0,
                    ),
                    Panel(
                        "Rule evaluation failures",
                        "timeseries",
                        (
                            Target(
                                f"sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[{RATE}]))",
                                "{{rule_group}}",
                            ),
                        ),
                        width=12,
                        min=0,
                    ),
                ),
            )
        )
    if "loki" in enabled:
        rows.append(
            Row(
                "Loki",
                (
                    Panel(
                        "Ingestion rate",
                        "timeseries",
                        (Target(f"sum(rate(loki_distributor_bytes_received_total[{RATE}]))", "bytes/s"),),
                        width=12,
                        unit="Bps",
                        min=0,
                    ),
                    Panel(
                        "Request errors (5xx)",
                        "timeseries",
                        (
                            Target(
                                "sum by (route) "
                                f'(rate(loki_request_duration_seconds_count{{status_code=~"5.."}}[{RATE}]))',
                                "{{route}}",
                            ),
                        ),
                        width=12,
                        unit="reqps",
                        min=0,
                    ),
                ),
            )
        )
    if "alertmanager" in enabled:
        rows.append(
            Row(
                "Alertmanager",
                (
                    Panel(
                        "Notifications sent",
                        "timeseries",
                        (
                            Target(
                                f"sum by (integration) (rate(alertmanager_notifications_total[{RATE}]))",
                                "{{integration}}",
                            ),
                        ),
                        width=12,
                        unit="ops",
                        min=0,
                    ),
                    Panel(
                        "Notifications failed",
                        "timeseries",
                        (
                            Target(
                                f"sum by (integration) (rate(alertmanager_notifications_failed_total[{RATE}]))",
                                "{{integration}}",
                            ),
                        ),
                        width=12,
                        unit="ops",
                        min=0,
                    ),
                ),
            )
        )
    return Dashboard(title="Observability Stack Health", tags=("observability", "meta"), time_from="now-6h", rows=rows)

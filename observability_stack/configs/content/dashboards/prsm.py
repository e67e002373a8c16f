"""The guide's executive and technical-operations dashboards, with corrected PromQL."""

from __future__ import annotations

from observability_stack.configs.content.dashboards.builder import Dashboard, Panel, Row, Target, Threshold

RATE = "$__rate_interval"


def executive_dashboard() -> Dashboard:
    return Dashboard(
        title="PRSM Executive Overview",
        tags=("prsm", "executive"),
        description="Business view: usage, AI query quality, FTNS volume and overall health",
        rows=[
            Row(
                "Last 24 hours",
                (
                    # prsm_user_sessions_total counts sessions started, so this is sessions rather than
                    # distinct users; the guide's metric set has no unique-user gauge.
                    Panel(
                        "Active Users (24h)",
                        "stat",
                        (Target("sum(increase(prsm_user_sessions_total[24h]))", "Sessions"),),
                        unit="short",
                        decimals=0,
                    ),
                    Panel(
                        "AI Query Success Rate",
                        "stat",
                        (
                            Target(
                                f"sum(rate(prsm_query_success_total[{RATE}])) / sum(rate(prsm_query_total[{RATE}]))",
                                "Success rate",
                            ),
                        ),
                        unit="percentunit",
                        min=0,
                        max=1,
                        thresholds=(Threshold("red"), Threshold("yellow", 0.95), Threshold("green", 0.99)),
                    ),
                    Panel(
                        "FTNS Token Volume (24h)",
                        "stat",
                        (Target("sum(increase(prsm_ftns_transactions_total[24h]))", "Transactions"),),
                        unit="short",
                        decimals=0,
                    ),
                    Panel(
                        "System Health Score",
                        "gauge",
                        (Target("avg(prsm_system_health_score)", "Health score"),),
                        min=0,
                        max=100,
                        thresholds=(Threshold("red"), Threshold("yellow", 70), Threshold("green", 90)),
                    ),
                ),
            )
        ],
    )


def _quantile(q: float) -> str:
    return f"histogram_quantile({q}, sum by (le) (rate(prsm_request_duration_seconds_bucket[{RATE}])))"


def operations_dashboard() -> Dashboard:
    return Dashboard(
        title="PRSM Technical Operations",
        tags=("prsm", "operations"),
        time_from="now-6h",
        description="API latency, database pool and P2P network",
        rows=[
            Row(
                "API",
                (
                    Panel(
                        "API Response Times",
                        "timeseries",
                        (Target(_quantile(0.95), "p95"), Target(_quantile(0.5), "p50")),
                        width=12,
                        unit="s",
                        min=0,
                    ),
                    Panel(
                        "Database Connection Pool",
                        "timeseries",
                        (
                            Target("sum(prsm_db_connections_active)", "Active"),
                            Target("sum(prsm_db_connections_idle)", "Idle"),
                            Target("sum(prsm_db_connections_max)", "Max"),
                        ),
                        width=12,
                        unit="short",
                        min=0,
                    ),
                ),
            ),
            Row(
                "P2P network",
                (
                    # The guide's dashboard queried prsm_p2p_consensus_participation_rate, but the
                    # metric the application defines is prsm_consensus_participation_rate.
                    Panel(
                        "P2P Network Status",
                        "table",
                        (
                            Target("sum by (instance) (prsm_p2p_peers_connected)", "Connected peers", instant=True),
                            Target(
                                "avg by (instance) (prsm_consensus_participation_rate)",
                                "Consensus participation",
                                instant=True,
                            ),
                        ),
                        width=12,
                    ),
                    Panel(
                        "Connected Peers",
                        "timeseries",
                        (Target("sum(prsm_p2p_peers_connected)", "Peers"),),
                        width=12,
                        unit="short",
                        min=0,
                    ),
                ),
            ),
        ],
    )

"""The enterprise guide's PRSM alert rules, with their PromQL corrected.

Fixes against the guide:
- every ratio and quantile aggregates first (sum by (..., le) for histogram_quantile), so label
  differences between numerator and denominator cannot make the expression silently empty;
- PRSMAPIDown also fires when the target vanished from service discovery (absent()), which a
  bare `up == 0` never notices;
- increase() of the security counters is summed across API replicas, since an attacker's
  attempts are spread over whichever replica the load balancer picks.
"""

from __future__ import annotations

RUNBOOK_BASE = "https://wiki.company.com/prsm/runbooks"


def _rule(alert: str, expr: str, for_: str, labels: dict, summary: str, description: str, runbook: str) -> dict:
    return {
        "alert": alert,
        "expr": expr,
        "for": for_,
        "labels": labels,
        "annotations": {"summary": summary, "description": description, "runbook_url": f"{RUNBOOK_BASE}/{runbook}"},
    }


def _critical_rules() -> list[dict]:
    return [
        _rule(
            "PRSMAPIDown",
            'up{job="prsm-api"} == 0 or absent(up{job="prsm-api"})',
            "1m",
            {"severity": "critical", "category": "availability"},
            "PRSM API is down",
            "PRSM API target {{ $labels.instance }} has been down (or missing) for more than 1 minute",
            "api-down",
        ),
        _rule(
            "HighErrorRate",
            "sum by (job) (rate(prsm_requests_failed_total[5m])) / sum by (job) (rate(prsm_requests_total[5m])) > 0.1",
            "2m",
            {"severity": "critical", "category": "performance"},
            "High error rate detected",
            "Error rate of {{ $labels.job }} is {{ $value | humanizePercentage }} over the last 5 minutes",
            "high-error-rate",
        ),
        _rule(
            "DatabaseConnectionExhaustion",
            "sum by (job, instance) (prsm_db_connections_active)"
            " / sum by (job, instance) (prsm_db_connections_max) > 0.9",
            "1m",
            {"severity": "critical", "category": "database"},
            "Database connection pool nearly exhausted",
            "Database connections of {{ $labels.instance }} are at {{ $value | humanizePercentage }} of capacity",
            "db-connection-exhaustion",
        ),
    ]


def _warning_rules() -> list[dict]:
    return [
        _rule(
            "HighLatency",
            "histogram_quantile(0.95, sum by (job, le) (rate(prsm_request_duration_seconds_bucket[5m]))) > 2",
            "5m",
            {"severity": "warning", "category": "performance"},
            "High API latency",
            "95th percentile latency of {{ $labels.job }} is {{ $value | humanizeDuration }}",
            "high-latency",
        ),
        _rule(
            "FTNSTransactionBacklog",
            "prsm_ftns_pending_transactions > 100",
            "2m",
            {"severity": "warning", "category": "ftns", "component": "ftns"},
            "FTNS transaction backlog",
            "{{ $value }} FTNS transactions are pending",
            "ftns-backlog",
        ),
    ]


def _security_rules() -> list[dict]:
    return [
        _rule(
            "SuspiciousLoginPattern",
            "sum by (job) (increase(prsm_failed_login_attempts_total[1h])) > 50",
            "1m",
            {"severity": "warning", "category": "security"},
            "Suspicious login pattern detected",
            "{{ $value | humanize }} failed login attempts in the last hour",
            "suspicious-logins",
        ),
        _rule(
            "UnauthorizedAPIAccess",
            "sum by (job) (increase(prsm_unauthorized_requests_total[5m])) > 10",
            "1m",
            {"severity": "critical", "category": "security"},
            "Unauthorized API access attempts",
            "{{ $value | humanize }} unauthorized requests in 5 minutes",
            "unauthorized-access",
        ),
    ]


def seed_rule_groups() -> list[dict]:
    return [
        {"name": "prsm.critical", "rules": _critical_rules()},
        {"name": "prsm.warning", "rules": _warning_rules()},
        {"name": "prsm.security", "rules": _security_rules()},
    ]

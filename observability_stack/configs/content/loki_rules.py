"""The guide's security event correlation as Loki ruler (LogQL) alerting rules.

The guide kept per-IP event buffers in the application; the Loki ruler does the same counting
server-side over every log stream, so nothing in the application has to stay up for it to work.

Source IP extraction uses a `regexp` stage instead of `| json`: it matches both JSON logs
(`"source_ip": "10.0.0.1"`) and logfmt/plain logs (`source_ip=10.0.0.1`), and a line it does not
match simply gets no label, whereas the json parser marks non-JSON lines with __error__, which
fails the whole metric query unless those lines are dropped (losing the events they describe).
Events without a recognisable IP are grouped under source_ip="" rather than ignored.
"""

from __future__ import annotations

# `{job=~".+"}` is the cheapest selector Loki accepts that still covers every stream; narrow it
# to the API and ingress jobs once their names are known, which also cuts false positives.
ALL_STREAMS = '{job=~".+"}'
SOURCE_IP = r'| regexp `source_ip"?\s*[:=]\s*"?(?P<source_ip>[0-9A-Fa-f.:]+)`'

# (alert, line regex, window, threshold, severity, summary)
PATTERNS = (
    (
        "BruteForceAuthentication",
        r"(?i)failed.*authentication",
        "5m",
        10,
        "warning",
        "Brute-force authentication attempts",
    ),
    (
        # The guide's `(union|select|drop|insert|update).*from` also matched ordinary prose such as
        # "update received from peer"; requiring SQL keyword pairs keeps the intent with fewer
        # false positives.
        "SQLInjectionAttempt",
        r"(?i)(\bunion\b.*\bselect\b|\bselect\b.*\bfrom\b|\bdrop\s+table\b|\binsert\s+into\b|\bupdate\b.*\bset\b|'\s*or\s+'?1'?\s*=\s*'?1)",
        "1m",
        3,
        "warning",
        "SQL injection patterns in requests",
    ),
    (
        "PrivilegeEscalationAttempt",
        r"(?i)(sudo|admin|root).*unauthorized",
        "1m",
        1,
        "critical",
        "Privilege escalation attempt",
    ),
)


def _expr(line_regex: str, window: str, threshold: int) -> str:
    return (
        f"sum by (source_ip) (count_over_time({ALL_STREAMS} |~ `{line_regex}` {SOURCE_IP} [{window}])) >= {threshold}"
    )


def loki_security_rule_groups() -> list[dict]:
    rules = []
    for alert, regex, window, threshold, severity, summary in PATTERNS:
        rules.append(
            {
                "alert": alert,
                "expr": _expr(regex, window, threshold),
                "labels": {"severity": severity, "category": "security"},
                "annotations": {
                    "summary": summary,
                    "description": (
                        f"{{{{ $value }}}} matching log lines from source IP {{{{ $labels.source_ip }}}} "
                        f"within {window} (threshold {threshold})"
                    ),
                },
            }
        )
    return [{"name": "security.correlation", "rules": rules}]

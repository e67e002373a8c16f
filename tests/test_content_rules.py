"""Seed, meta and Loki security rules: promtool validity and a firing/quiet unit test per alert."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest

from observability_stack.configs.content.loki_rules import loki_security_rule_groups
from observability_stack.configs.content.meta_rules import down_alert_name, meta_rule_groups
from observability_stack.configs.content.slo_rules import slo_rule_groups
from observability_stack.configs.models.stack import SERVICES
from tests.promtool_helpers import alert_names, alert_test, check_rules, run_rule_tests
from tests.prsm_pack import prsm_rule_groups, prsm_slos

API = {"job": "prsm-api", "instance": "api-0:8000"}
API_SEL = 'job="prsm-api",instance="api-0:8000"'
PROM_SEL = 'job="prometheus",instance="prometheus:9090"'
AM_SEL = 'job="alertmanager",instance="alertmanager:9093",integration="slack"'
MESH_SEL = 'job="alertmanager",instance="alertmanager-0:9093"'
REPLICAS = {"prometheus": 2, "alertmanager": 3}  # the HA alerts exist only for replicated services


class Case(NamedTuple):
    alert: str
    firing: dict[str, str]  # series -> promtool values
    quiet: dict[str, str] | None  # None: the alert has no quiet state (Watchdog)
    eval_time: str
    labels: dict[str, str]  # all expected labels except alertname


def _histogram(bounds_counts: dict[str, str]) -> dict[str, str]:
    return {f'prsm_request_duration_seconds_bucket{{{API_SEL},le="{le}"}}': v for le, v in bounds_counts.items()}


def _down_case(service: str) -> Case:
    up = f'up{{job="{service}",instance="{service}:1"}}'
    severity = "critical" if service in ("prometheus", "alertmanager") else "warning"
    return Case(
        down_alert_name(service),
        {up: "1 1 0x6"},
        {up: "1x8"},
        "6m",
        {"severity": severity, "category": "stack", "job": service, "instance": f"{service}:1"},
    )


CASES = [
    Case(
        "PRSMAPIDown",
        {f"up{{{API_SEL}}}": "1 1 0x5"},
        {f"up{{{API_SEL}}}": "1x7"},
        "5m",
        {"severity": "critical", "category": "availability", **API},
    ),
    # A target gone from discovery: no up series at all.
    Case(
        "PRSMAPIDown",
        {'up{job="other"}': "1x5"},
        {f"up{{{API_SEL}}}": "1x7"},
        "5m",
        {"severity": "critical", "category": "availability", "job": "prsm-api"},
    ),
    # The failure counter carries a label the total lacks; the guide's unaggregated ratio was empty.
    Case(
        "HighErrorRate",
        {
            f'prsm_requests_failed_total{{{API_SEL},code="500"}}': "0+20x10",
            f"prsm_requests_total{{{API_SEL}}}": "0+100x10",
        },
        {
            f'prsm_requests_failed_total{{{API_SEL},code="500"}}': "0+5x10",
            f"prsm_requests_total{{{API_SEL}}}": "0+100x10",
        },
        "10m",
        {"severity": "critical", "category": "performance", "job": "prsm-api"},
    ),
    Case(
        "DatabaseConnectionExhaustion",
        {
            f'prsm_db_connections_active{{{API_SEL},pool="main"}}': "95x5",
            f"prsm_db_connections_max{{{API_SEL}}}": "100x5",
        },
        {
            f'prsm_db_connections_active{{{API_SEL},pool="main"}}': "80x5",
            f"prsm_db_connections_max{{{API_SEL}}}": "100x5",
        },
        "5m",
        {"severity": "critical", "category": "database", **API},
    ),
    Case(
        "HighLatency",
        _histogram({"0.5": "0x20", "1.0": "0x20", "2.0": "0+1x20", "5.0": "0+10x20", "+Inf": "0+10x20"}),
        _histogram({"0.5": "0+9x20", "1.0": "0+10x20", "2.0": "0+10x20", "5.0": "0+10x20", "+Inf": "0+10x20"}),
        "12m",
        {"severity": "warning", "category": "performance", "job": "prsm-api"},
    ),
    Case(
        "FTNSTransactionBacklog",
        {f"prsm_ftns_pending_transactions{{{API_SEL}}}": "150x5"},
        {f"prsm_ftns_pending_transactions{{{API_SEL}}}": "50x5"},
        "5m",
        {"severity": "warning", "category": "ftns", "component": "ftns", **API},
    ),
    # 30 failures/h on each of two replicas: only the sum across replicas crosses 50.
    Case(
        "SuspiciousLoginPattern",
        {f'prsm_failed_login_attempts_total{{job="prsm-api",instance="api-{i}"}}': "0+0.5x70" for i in (0, 1)},
        {'prsm_failed_login_attempts_total{job="prsm-api",instance="api-0"}': "0+0.5x70"},
        "65m",
        {"severity": "warning", "category": "security", "job": "prsm-api"},
    ),
    # The hour is its twelve 5-minute tiles ending now: a burst of 100 within it pages, one that ended
    # more than an hour ago does not.
    Case(
        "SuspiciousLoginPattern",
        {'prsm_failed_login_attempts_total{job="prsm-api",instance="api-0"}': "0x60 0+20x5 100x10"},
        {'prsm_failed_login_attempts_total{job="prsm-api",instance="api-0"}': "0+20x5 100x70"},
        "75m",
        {"severity": "warning", "category": "security", "job": "prsm-api"},
    ),
    Case(
        "UnauthorizedAPIAccess",
        {f"prsm_unauthorized_requests_total{{{API_SEL}}}": "0+3x10"},
        {f"prsm_unauthorized_requests_total{{{API_SEL}}}": "0+1x10"},
        "10m",
        {"severity": "critical", "category": "security", "job": "prsm-api"},
    ),
    *[_down_case(s) for s in SERVICES],
    Case(
        "PrometheusRuleEvaluationFailures",
        {f'prometheus_rule_evaluation_failures_total{{{PROM_SEL},rule_group="g"}}': "0+1x15"},
        {f'prometheus_rule_evaluation_failures_total{{{PROM_SEL},rule_group="g"}}': "0x15"},
        "15m",
        {"severity": "warning", "category": "stack", "job": "prometheus", "instance": "prometheus:9090"},
    ),
    Case(
        "PrometheusNotificationsFailing",
        {
            f'prometheus_notifications_errors_total{{{PROM_SEL},alertmanager="am"}}': "0+5x15",
            f'prometheus_notifications_sent_total{{{PROM_SEL},alertmanager="am"}}': "0+100x15",
        },
        {
            f'prometheus_notifications_errors_total{{{PROM_SEL},alertmanager="am"}}': "0x15",
            f'prometheus_notifications_sent_total{{{PROM_SEL},alertmanager="am"}}': "0+100x15",
            f"prometheus_notifications_dropped_total{{{PROM_SEL}}}": "0x15",
        },
        "15m",
        {"severity": "critical", "category": "stack", "job": "prometheus", "instance": "prometheus:9090"},
    ),
    Case(
        "PrometheusNotificationsFailing",
        {f"prometheus_notifications_dropped_total{{{PROM_SEL}}}": "0+2x15"},
        {f"prometheus_notifications_dropped_total{{{PROM_SEL}}}": "0x15"},
        "15m",
        {"severity": "critical", "category": "stack", "job": "prometheus", "instance": "prometheus:9090"},
    ),
    Case(
        "AlertmanagerNotificationsFailing",
        {
            f"alertmanager_notifications_failed_total{{{AM_SEL}}}": "0+5x15",
            f"alertmanager_notifications_total{{{AM_SEL}}}": "0+100x15",
        },
        {
            f"alertmanager_notifications_failed_total{{{AM_SEL}}}": "0x15",
            f"alertmanager_notifications_total{{{AM_SEL}}}": "0+100x15",
        },
        "15m",
        {
            "severity": "critical",
            "category": "stack",
            "job": "alertmanager",
            "instance": "alertmanager:9093",
            "integration": "slack",
        },
    ),
    Case(
        "LokiRequestErrors",
        {
            'loki_request_duration_seconds_count{job="loki",route="push",status_code="500"}': "0+10x30",
            'loki_request_duration_seconds_count{job="loki",route="push",status_code="204"}': "0+90x30",
        },
        {
            'loki_request_duration_seconds_count{job="loki",route="push",status_code="500"}': "0+1x30",
            'loki_request_duration_seconds_count{job="loki",route="push",status_code="204"}': "0+99x30",
        },
        "25m",
        {"severity": "warning", "category": "stack", "job": "loki", "route": "push"},
    ),
    Case("Watchdog", {'up{job="prometheus"}': "1x3"}, None, "1m", {"severity": "none", "category": "stack"}),
    # HA (REPLICAS): the survivor of the pair sees its peer's scrape fail.
    Case(
        "PrometheusReplicaMissing",
        {f'up{{job="prometheus",instance="prometheus-{i}:9090"}}': v for i, v in ((0, "1x10"), (1, "1 1 0x8"))},
        {f'up{{job="prometheus",instance="prometheus-{i}:9090"}}': "1x10" for i in (0, 1)},
        "8m",
        {"severity": "warning", "category": "stack", "job": "prometheus"},
    ),
    Case(
        "AlertmanagerClusterMembersMissing",
        {f"alertmanager_cluster_members{{{MESH_SEL}}}": "3 3 2x8"},
        {f"alertmanager_cluster_members{{{MESH_SEL}}}": "3x10"},
        "8m",
        {"severity": "warning", "category": "stack", "job": "alertmanager", "instance": "alertmanager-0:9093"},
    ),
]


def _groups() -> list[dict]:
    return prsm_rule_groups() + meta_rule_groups(list(SERVICES), REPLICAS)


def test_every_alert_has_a_unit_test_case():
    assert alert_names(_groups()) == {case.alert for case in CASES}


def test_promtool_check_rules_on_all_groups(tmp_path):
    groups = _groups() + slo_rule_groups(prsm_slos())
    names = [g["name"] for g in groups]
    assert len(names) == len(set(names)), names
    output = check_rules(tmp_path, groups)
    assert f"SUCCESS: {sum(len(g['rules']) for g in groups)} rules found" in output


def test_alerts_fire_and_stay_quiet(tmp_path):
    tests = []
    for case in CASES:
        tests.append(alert_test(case.firing, case.alert, case.eval_time, [case.labels]))
        if case.quiet is not None:
            tests.append(alert_test(case.quiet, case.alert, case.eval_time, []))
    run_rule_tests(tmp_path, _groups(), tests)


def test_seed_rules_keep_the_guides_labels():
    rules = {r["alert"]: r for g in prsm_rule_groups() for r in g["rules"] if "alert" in r}
    assert [g["name"] for g in prsm_rule_groups()] == ["prsm.critical", "prsm.warning", "prsm.security"]
    assert rules["FTNSTransactionBacklog"]["labels"]["component"] == "ftns"
    assert {rules[a]["labels"]["category"] for a in ("SuspiciousLoginPattern", "UnauthorizedAPIAccess")} == {"security"}
    for rule in rules.values():
        assert {"summary", "description"} <= rule["annotations"].keys(), rule["alert"]
    assert "sum by (job, le)" in rules["HighLatency"]["expr"]


@pytest.mark.parametrize("enabled", [[], ["grafana"], ["loki", "promtail"], list(SERVICES)])
def test_meta_rules_only_for_enabled_services(enabled):
    names = alert_names(meta_rule_groups(enabled))
    assert "Watchdog" in names
    for service in SERVICES:
        assert (down_alert_name(service) in names) == (service in enabled)
    assert ("PrometheusRuleEvaluationFailures" in names) == ("prometheus" in enabled)
    assert ("AlertmanagerNotificationsFailing" in names) == ("alertmanager" in enabled)
    assert ("LokiRequestErrors" in names) == ("loki" in enabled)
    assert not {"PrometheusReplicaMissing", "AlertmanagerClusterMembersMissing"} & names  # one replica each


@pytest.mark.parametrize("replicas", [{}, {"prometheus": 1, "alertmanager": 1}, {"prometheus": 2}, REPLICAS])
def test_ha_rules_only_for_replicated_services(replicas):
    names = alert_names(meta_rule_groups(list(SERVICES), replicas))
    assert ("PrometheusReplicaMissing" in names) == (replicas.get("prometheus", 1) > 1)
    assert ("AlertmanagerClusterMembersMissing" in names) == (replicas.get("alertmanager", 1) > 1)


def test_ha_rules_compare_with_the_configured_replicas():
    (group,) = meta_rule_groups(list(SERVICES), {"prometheus": 3, "alertmanager": 5})
    rules = {r["alert"]: r for r in group["rules"]}
    assert rules["PrometheusReplicaMissing"]["expr"].endswith("< 3")
    assert rules["AlertmanagerClusterMembersMissing"]["expr"].endswith("< 5")


def test_meta_rules_reject_unknown_service():
    with pytest.raises(ValueError, match="tempo"):
        meta_rule_groups(["prometheus", "tempo"])


LOGQL_SELECTOR = re.compile(r'\{\s*[a-zA-Z_]\w*\s*(=|!=|=~|!~)\s*"[^"]*"\s*\}')


def test_loki_security_rules_are_well_formed():
    groups = loki_security_rule_groups()
    rules = [r for g in groups for r in g["rules"]]
    assert {r["alert"] for r in rules} == {
        "BruteForceAuthentication",
        "SQLInjectionAttempt",
        "PrivilegeEscalationAttempt",
    }
    for rule in rules:
        expr = rule["expr"]
        assert rule["labels"]["category"] == "security"
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert LOGQL_SELECTOR.search(expr), expr
        assert expr.count("(") == expr.count(")") and expr.count("`") % 2 == 0, expr
        assert re.search(r"count_over_time\(.*\[\d+m\]\)\) >= \d+$", expr), expr
        assert "sum by (source_ip)" in expr and "(?P<source_ip>" in expr
        assert "summary" in rule["annotations"]
    thresholds = {r["alert"]: int(r["expr"].rsplit(">=", 1)[1]) for r in rules}
    assert thresholds == {"BruteForceAuthentication": 10, "SQLInjectionAttempt": 3, "PrivilegeEscalationAttempt": 1}


@pytest.mark.parametrize(
    "line, alert, matches",
    [
        ('{"message": "failed user authentication", "source_ip": "10.0.0.1"}', "BruteForceAuthentication", True),
        ("GET /items?id=1 UNION SELECT password FROM users", "SQLInjectionAttempt", True),
        ("update received from peer 10.0.0.2", "SQLInjectionAttempt", False),
        ("admin endpoint: unauthorized token", "PrivilegeEscalationAttempt", True),
        ("user logged in", "BruteForceAuthentication", False),
    ],
)
def test_loki_line_filters_match_the_guides_events(line, alert, matches):
    # Go RE2 and Python re agree on the constructs used here ((?i), \b, \s, alternation).
    rule = next(r for g in loki_security_rule_groups() for r in g["rules"] if r["alert"] == alert)
    line_regex = re.search(r"\|~ `([^`]*)`", rule["expr"]).group(1)
    assert bool(re.search(line_regex, line)) is matches


@pytest.mark.parametrize("line", ['{"source_ip": "10.0.0.1", "msg": "x"}', "level=warn source_ip=10.0.0.1 msg=x"])
def test_loki_source_ip_extraction_handles_json_and_logfmt(line):
    rule = loki_security_rule_groups()[0]["rules"][0]
    regexp = re.search(r"\| regexp `([^`]*)`", rule["expr"]).group(1)
    assert re.search(regexp, line).group("source_ip") == "10.0.0.1"

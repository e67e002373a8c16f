"""The stack's alerts on its own servers (configs/content/self_rules.py): each fires on the series its
server exports and stays quiet on healthy ones (promtool test rules), and each ships only with its
service."""

from __future__ import annotations

import pytest

from observability_stack.configs.content.self_rules import self_rule_groups
from observability_stack.configs.models.stack import SERVICES
from tests.promtool_helpers import alert_names, check_rules, fire_and_quiet, run_rule_tests

PROMETHEUS = {"job": "prometheus", "instance": "prometheus:9090"}
ALERTMANAGER = {"job": "alertmanager", "instance": "alertmanager:9093"}
LOKI = {"job": "loki", "instance": "loki:3100"}
GRAFANA = {"job": "grafana", "instance": "grafana:3000"}
PROMTAIL = {"job": "promtail", "instance": "10.0.0.1:9080"}
ALLOY = {"job": "alloy", "instance": "10.0.0.1:12345"}


def s(name: str, labels: dict[str, str], **more: str) -> str:
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in {**labels, **more}.items()) + "}"


def warning(labels: dict) -> dict:
    return {**labels, "category": "stack", "severity": "warning"}


def critical(labels: dict) -> dict:
    return {**labels, "category": "stack", "severity": "critical"}


def _counter_case(alert: str, metric: str, labels: dict, rising: str = "0 0 1x10", at: str = "5m", **more: str):
    """A counter that rises once (fires) against one that stays at zero."""
    return (alert, {s(metric, labels, **more): rising}, {s(metric, labels, **more): "0x40"}, at, warning(labels))


def _loki_latency(fast: str, route: str = "loki_api_v1_query_range") -> dict[str, str]:
    # 10 requests a minute, all between 1 and 2 s unless `fast` of them are under 0.5 s.
    bucket = "loki_request_duration_seconds_bucket"
    return {
        s(bucket, LOKI, route=route, le="0.5"): fast,
        s(bucket, LOKI, route=route, le="1"): fast,
        s(bucket, LOKI, route=route, le="2"): "0+10x30",
        s(bucket, LOKI, route=route, le="+Inf"): "0+10x30",
    }


def _requests(metric: str, labels: dict, errors: str, ok: str, **more: str) -> dict[str, str]:
    return {s(metric, labels, status_code="500", **more): errors, s(metric, labels, status_code="200", **more): ok}


GRAFANA_COUNT = "grafana_http_request_duration_seconds_count"
PROMTAIL_COUNT = "promtail_request_duration_seconds_count"
ALLOY_COUNT = "loki_write_request_duration_seconds_count"

# (alert, firing series, quiet series, eval time, expected labels besides alertname)
CASES = [
    (
        "PrometheusConfigReloadFailed",
        {s("prometheus_config_last_reload_successful", PROMETHEUS): "1 1 0x20"},
        # One failed reload followed by a good one within the window is not a standing failure.
        {s("prometheus_config_last_reload_successful", PROMETHEUS): "1 0 1x20"},
        "20m",
        warning(PROMETHEUS),
    ),
    (
        "PrometheusMissedRuleEvaluations",
        {s("prometheus_rule_group_iterations_missed_total", PROMETHEUS, rule_group="slo.yml;slo.api"): "0+1x30"},
        {s("prometheus_rule_group_iterations_missed_total", PROMETHEUS, rule_group="slo.yml;slo.api"): "0x30"},
        "25m",
        warning({**PROMETHEUS, "rule_group": "slo.yml;slo.api"}),
    ),
    _counter_case("PrometheusTSDBCompactionsFailing", "prometheus_tsdb_compactions_failed_total", PROMETHEUS),
    _counter_case("PrometheusTSDBReloadsFailing", "prometheus_tsdb_reloads_failures_total", PROMETHEUS),
    _counter_case("PrometheusTSDBWALCorruptions", "prometheus_tsdb_wal_corruptions_total", PROMETHEUS),
    (
        "PrometheusNotIngestingSamples",
        {s("prometheus_tsdb_head_samples_appended_total", PROMETHEUS, type="float"): "0+100x5 500x25"},
        {s("prometheus_tsdb_head_samples_appended_total", PROMETHEUS, type="float"): "0+100x30"},
        "25m",
        warning(PROMETHEUS),
    ),
    _counter_case(
        "PrometheusTargetSyncFailures",
        "prometheus_target_sync_failed_total",
        PROMETHEUS,
        "0+1x20",
        "10m",
        scrape_job="kubelet",
    ),
    (
        "PrometheusServiceDiscoveryFailing",
        {s("prometheus_sd_kubernetes_failures_total", PROMETHEUS): "0+1x40"},
        {s("prometheus_sd_kubernetes_failures_total", PROMETHEUS): "0x40"},
        "35m",
        warning(PROMETHEUS),
    ),
    (
        "PrometheusServiceDiscoveryFailing",
        {s("prometheus_sd_refresh_failures_total", PROMETHEUS, mechanism="dns", config="x"): "0+1x40"},
        {s("prometheus_sd_refresh_failures_total", PROMETHEUS, mechanism="dns", config="x"): "0x40"},
        "35m",
        warning(PROMETHEUS),
    ),
    (
        "PrometheusQueryLoadHigh",
        {
            s("prometheus_engine_queries", PROMETHEUS): "18x30",
            s("prometheus_engine_queries_concurrent_max", PROMETHEUS): "20x30",
        },
        {
            s("prometheus_engine_queries", PROMETHEUS): "2x30",
            s("prometheus_engine_queries_concurrent_max", PROMETHEUS): "20x30",
        },
        "25m",
        warning(PROMETHEUS),
    ),
    (
        "PrometheusNotificationQueueFilling",
        {
            s("prometheus_notifications_queue_length", PROMETHEUS): "0+300x30",
            s("prometheus_notifications_queue_capacity", PROMETHEUS): "10000x30",
        },
        {
            s("prometheus_notifications_queue_length", PROMETHEUS): "50x30",
            s("prometheus_notifications_queue_capacity", PROMETHEUS): "10000x30",
        },
        "25m",
        warning(PROMETHEUS),
    ),
    (
        "PrometheusNotConnectedToAlertmanagers",
        {s("prometheus_notifications_alertmanagers_discovered", PROMETHEUS): "0x20"},
        {s("prometheus_notifications_alertmanagers_discovered", PROMETHEUS): "1x20"},
        "20m",
        critical(PROMETHEUS),
    ),
    (
        "AlertmanagerConfigReloadFailed",
        {s("alertmanager_config_last_reload_successful", ALERTMANAGER): "0x20"},
        {s("alertmanager_config_last_reload_successful", ALERTMANAGER): "1x20"},
        "20m",
        critical(ALERTMANAGER),
    ),
    _counter_case(
        "AlertmanagerInvalidAlerts", "alertmanager_alerts_invalid_total", ALERTMANAGER, "0+1x30", "25m", version="v2"
    ),
    (
        "AlertmanagerConfigInconsistent",
        {
            s("alertmanager_config_hash", ALERTMANAGER, instance="alertmanager-0:9093"): "1x30",
            s("alertmanager_config_hash", ALERTMANAGER, instance="alertmanager-1:9093"): "2x30",
        },
        {
            s("alertmanager_config_hash", ALERTMANAGER, instance="alertmanager-0:9093"): "1x30",
            s("alertmanager_config_hash", ALERTMANAGER, instance="alertmanager-1:9093"): "1x30",
        },
        "25m",
        critical({"job": "alertmanager"}),
    ),
    _counter_case("LokiPanics", "loki_panic_total", LOKI),
    (
        "LokiRequestLatencyHigh",
        _loki_latency("0x30"),
        # Fast queries, and a tail request held open for seconds as it should be.
        _loki_latency("0+10x30") | _loki_latency("0x30", route="loki_api_v1_tail"),
        "25m",
        warning({"job": "loki", "route": "loki_api_v1_query_range"}),
    ),
    (
        "LokiDiscardingLogs",
        {s("loki_discarded_samples_total", LOKI, reason="rate_limited", tenant="fake"): "0+10x30"},
        {s("loki_discarded_samples_total", LOKI, reason="rate_limited", tenant="fake"): "0x30"},
        "25m",
        warning({"job": "loki", "reason": "rate_limited"}),
    ),
    _counter_case(
        "LokiRuleEvaluationFailures",
        "loki_prometheus_rule_evaluation_failures_total",
        LOKI,
        "0+1x30",
        "25m",
        user="fake",
    ),
    (
        "GrafanaRequestErrors",
        _requests(GRAFANA_COUNT, GRAFANA, "0+10x30", "0+90x30", handler="/api/ds/query", method="POST"),
        _requests(GRAFANA_COUNT, GRAFANA, "0+1x30", "0+99x30", handler="/api/ds/query", method="POST"),
        "25m",
        warning(GRAFANA),
    ),
    _counter_case("LogCollectorDroppingLogs", "promtail_dropped_entries_total", PROMTAIL, host="loki:3100"),
    _counter_case(
        "LogCollectorDroppingLogs",
        "loki_write_dropped_entries_total",
        ALLOY,
        component_id="loki.write.default",
        reason="ingester_error",
    ),
    (
        "LogCollectorPushErrors",
        _requests(PROMTAIL_COUNT, PROMTAIL, "0+5x30", "0+5x30", host="loki:3100"),
        _requests(PROMTAIL_COUNT, PROMTAIL, "0x30", "0+5x30", host="loki:3100"),
        "25m",
        warning(PROMTAIL),
    ),
    (
        "LogCollectorPushErrors",
        _requests(ALLOY_COUNT, ALLOY, "0+5x30", "0+5x30", component_id="loki.write.default"),
        _requests(ALLOY_COUNT, ALLOY, "0x30", "0+5x30", component_id="loki.write.default"),
        "25m",
        warning(ALLOY),
    ),
    (
        "StackServiceRestarting",
        {s("process_start_time_seconds", LOKI): "1 2 3 4 5 6x20"},
        # Restarted once (an upgrade), and a service the alert does not watch restarting.
        {
            s("process_start_time_seconds", LOKI): "1 2x20",
            s("process_start_time_seconds", {"job": "prsm-api"}): "1 2 3 4 5 6x20",
        },
        "10m",
        warning(LOKI),
    ),
]

# Both log collectors' groups, so each one's cases run.
EVERYTHING = self_rule_groups(list(SERVICES), {"alertmanager": 3})


def test_every_self_alert_has_cases():
    assert alert_names(EVERYTHING) == {case[0] for case in CASES}


@pytest.mark.parametrize("collector", ["promtail", "alloy"])
def test_promtool_checks_the_groups(tmp_path, collector):
    # One log collector runs at a time (common.log_collector); both at once would be duplicate rules.
    groups = self_rule_groups(
        [s for s in SERVICES if s in (collector,) or s not in ("promtail", "alloy")], {"alertmanager": 3}
    )
    assert f"SUCCESS: {sum(len(g['rules']) for g in groups)} rules found" in check_rules(tmp_path, groups)


def test_alerts_fire_and_stay_quiet(tmp_path):
    run_rule_tests(tmp_path, EVERYTHING, fire_and_quiet(CASES))


@pytest.mark.parametrize(
    "enabled, replicas, absent",
    [
        # No Alertmanager: nothing to be connected to, no queue towards it.
        (
            ["prometheus", "grafana"],
            {},
            {"PrometheusNotConnectedToAlertmanagers", "PrometheusNotificationQueueFilling"},
        ),
        # One Alertmanager has nothing to be inconsistent with.
        (["prometheus", "alertmanager"], {"alertmanager": 1}, {"AlertmanagerConfigInconsistent"}),
        (["prometheus", "alertmanager"], {}, {"LokiPanics", "GrafanaRequestErrors", "LogCollectorDroppingLogs"}),
    ],
)
def test_each_alert_ships_only_with_what_it_watches(enabled, replicas, absent):
    names = alert_names(self_rule_groups(enabled, replicas))
    assert names and not names & absent


def test_the_restart_alert_watches_only_the_enabled_services():
    (restarts,) = [g for g in self_rule_groups(["prometheus", "loki", "jaeger"]) if g["name"] == "stack.restarts"]
    assert 'job=~"prometheus|loki"' in restarts["rules"][0]["expr"]
    assert not [g for g in self_rule_groups(["jaeger"]) if g["name"] == "stack.restarts"]

"""Every class of bad stack config fails early, in one error, naming the config path of each problem."""

import pytest
from config_error_helpers import assert_reported, problems

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load
from tests.prsm_pack import PACK_CONFIG
from tools.harness.mockrun import run_program


def paths(config: dict) -> set[str]:
    return {path for path, _ in problems(config)}


ROUTES_WITH_UNKNOWN_RECEIVER = [
    {"receiver": "default", "matchers": ['severity="critical"']},
    {"receiver": "pagerduty", "matchers": ['team="x"']},
]

CASES = {
    "unknown receiver": (
        {"observability:alertmanager": {"routes": ROUTES_WITH_UNKNOWN_RECEIVER}},
        "alertmanager.routes[1].receiver",
        "unknown receiver 'pagerduty'",
    ),
    "nested unknown receiver": (
        {"observability:alertmanager": {"routes": [{"receiver": "default", "routes": [{"receiver": "nobody"}]}]}},
        "alertmanager.routes[0].routes[0].receiver",
        "unknown receiver 'nobody'",
    ),
    "undefined time interval": (
        {"observability:alertmanager": {"routes": [{"receiver": "default", "active_time_intervals": ["weekends"]}]}},
        "alertmanager.routes[0].active_time_intervals[0]",
        "undefined time interval 'weekends'",
    ),
    "duplicate rule groups": (
        {
            "observability:prometheus": {
                "rule_groups": [
                    {"name": "mine", "rules": [{"alert": "A", "expr": "up == 0"}]},
                    {"name": "mine", "rules": [{"alert": "B", "expr": "up == 0"}]},
                ]
            }
        },
        "prometheus.rule_groups",
        "defined more than once",
    ),
    "rule group shadowing a shipped one": (
        {
            "observability:prometheus": {
                "rule_groups": [{"name": "stack.meta", "rules": [{"alert": "A", "expr": "up == 0"}]}]
            }
        },
        "prometheus.rule_groups[0].name",
        "already shipped",
    ),
    "rule group given in a pack's file too": (
        {
            **PACK_CONFIG,
            "observability:prometheus": {
                "rule_groups": [{"name": "prsm.critical", "rules": [{"alert": "A", "expr": "up == 0"}]}]
            },
        },
        "prometheus.rule_groups[0].name",
        "given twice",
    ),
    "retention not a duration": (
        {"observability:prometheus": {"retention": "30 days"}},
        "prometheus.retention",
        "not a duration",
    ),
    "s3 without bucket": ({"observability:loki": {"storage": {"type": "s3"}}}, "loki.storage", "s3.bucket"),
    "port out of range": ({"observability:grafana": {"host_port": 70000}}, "grafana.host_port", "out of range"),
    "scrape target port out of range": (
        {"observability:prometheus": {"scrape_jobs": [{"job_name": "app", "targets": ["app:99999"]}]}},
        "prometheus.scrape_jobs[0].targets",
        "1-65535",
    ),
    "image without tag": (
        {"observability:prometheus": {"image": {"repository": "prom/prometheus", "tag": ""}}},
        "prometheus.image.tag",
        "pin an exact version",
    ),
    "image latest": (
        {"observability:loki": {"image": {"repository": "grafana/loki", "tag": "latest"}}},
        "loki.image.tag",
        "not a version",
    ),
    "tag in repository": (
        {"observability:loki": {"image": {"repository": "grafana/loki:3.7.8", "tag": "3.7.8"}}},
        "loki.image.repository",
        "without a tag",
    ),
    "typo in a key": (
        {"observability:prometheus": {"scrape_intervall": "15s"}},
        "prometheus.scrape_intervall",
        "Extra inputs",
    ),
    "unknown section": ({"observability:prometheuss": {}}, "prometheuss", "Extra inputs"),
    "bad matcher": (
        {"observability:alertmanager": {"routes": [{"receiver": "default", "matchers": ["severity critical"]}]}},
        "alertmanager.routes[0].matchers",
        "not a matcher",
    ),
    "bad time zone": (
        {
            "observability:alertmanager": {
                "time_intervals": [{"name": "business_hours", "time_intervals": [{"location": "Mars/Olympus"}]}]
            }
        },
        "alertmanager.time_intervals[0].time_intervals[0].location",
        "IANA",
    ),
    "bad slack channel": (
        {
            "observability:alertmanager": {
                "receivers": [
                    {"name": "default"},
                    {"name": "a"},
                    {"name": "b", "slack": {"webhook_secret": "x", "channel": "no-hash"}},
                ]
            }
        },
        "alertmanager.receivers[2].slack.channel",
        "not a Slack channel",
    ),
    "reserved receiver": (
        {"observability:alertmanager": {"receivers": [{"name": "default"}, {"name": "deadmans-switch"}], "routes": []}},
        "alertmanager.receivers[1].name",
        "reserved",
    ),
    "replicas on docker": ({"observability:alertmanager": {"replicas": 3}}, "alertmanager.replicas", "kubernetes"),
    "single-instance service": (
        {"observability:common": {"target": "kubernetes"}, "observability:grafana": {"replicas": 2}},
        "grafana.replicas",
        "single instance",
    ),
    "promtail without loki": ({"observability:loki": {"enabled": False}}, "promtail.enabled", "Loki"),
    "host port clash": ({"observability:grafana": {"host_port": 9090}}, "common.docker", "more than one service"),
    "unknown target": ({"observability:common": {"target": "nomad"}}, "common.target", "docker"),
    "bad name prefix": ({"observability:common": {"name_prefix": "Obs_Dev"}}, "common.name_prefix", "DNS label"),
    "secrets not a map": ({"observability:secrets": "oops"}, "secrets", "must map"),
    "required secret missing": (
        {**PACK_CONFIG, "observability:alertmanager": {"require_secrets": True}},
        "alertmanager.receivers[1].pagerduty.routing_key_secret",
        "pagerduty_routing_key",
    ),
    "s3 credentials missing": (
        {"observability:loki": {"storage": {"type": "s3", "s3": {"bucket": "logs"}}}},
        "loki.storage.s3.access_key_secret",
        "not set",
    ),
    "bad docker host": (
        {"observability:common": {"docker": {"host": "example.com:2375"}}},
        "common.docker.host",
        "ssh://",
    ),
    "bad quantity": ({"observability:loki": {"limits": {"memory": "1 GB"}}}, "loki.limits.memory", "quantity"),
    "promql in a user rule": (
        {
            "observability:prometheus": {
                "rule_groups": [{"name": "mine", "rules": [{"alert": "A", "expr": "sum(rate(x[5m])"}]}]
            }
        },
        "prometheus.rule_groups[0].rules[0].expr",
        "not valid PromQL",
    ),
    "promql in an slo gauge": (
        {
            "observability:slos": [
                {
                    "name": "acc",
                    "description": "d",
                    "objective": 0.99,
                    "window": "7d",
                    "sli": {"kind": "gauge", "query": "avg(x", "target": 1},
                }
            ]
        },
        "slos[0].sli.gauge.query",
        "not valid PromQL",
    ),
    "slo gauge query that is a range": (
        {
            "observability:slos": [
                {
                    "name": "acc",
                    "description": "d",
                    "objective": 0.99,
                    "window": "7d",
                    "sli": {"kind": "gauge", "query": "prsm_accuracy[5m]", "target": 1},
                }
            ]
        },
        "slos[0].sli",
        "does not fit the SLO's slo:sli_error:instant rule",
    ),
    "slo gauge query that is a scalar": (
        {
            "observability:slos": [
                {
                    "name": "acc",
                    "description": "d",
                    "objective": 0.99,
                    "window": "7d",
                    "sli": {"kind": "gauge", "query": "scalar(prsm_accuracy)", "target": 1},
                }
            ]
        },
        "slos[0].sli",
        "got scalar",
    ),
    "template in an annotation": (
        {
            "observability:prometheus": {
                "rule_groups": [
                    {
                        "name": "mine",
                        "rules": [{"alert": "A", "expr": "up == 0", "annotations": {"summary": "{{ $labels.job "}}],
                    }
                ]
            }
        },
        "prometheus.rule_groups[0].rules[0].annotations.summary",
        "never closed",
    ),
    "template in a slack title": (
        {
            "observability:alertmanager": {
                "receivers": [
                    {"name": "default", "slack": {"webhook_secret": "x", "channel": "#c", "title": "{{ if .X }}y"}}
                ]
            }
        },
        "alertmanager.receivers[0].slack.title",
        "without its {{ end }}",
    ),
    "reserved label name": (
        {
            "observability:prometheus": {
                "rule_groups": [
                    {"name": "mine", "rules": [{"alert": "A", "expr": "up == 0", "labels": {"__name__": "x"}}]}
                ]
            }
        },
        "prometheus.rule_groups[0].rules[0].labels.__name__",
        "reserved",
    ),
    "storage size a subclass once let through": (
        {"observability:prometheus": {"storage_size": "lots"}},
        "prometheus.storage_size",
        "not a byte quantity",
    ),
    "zero storage size": ({"observability:jaeger": {"storage_size": "0Gi"}}, "jaeger.storage_size", "above zero"),
    "memory in millibytes": ({"observability:loki": {"limits": {"memory": "512m"}}}, "loki.limits.memory", "milli"),
    "cpu in memory units": ({"observability:loki": {"limits": {"cpu": "1Gi"}}}, "loki.limits.cpu", "memory unit"),
    "request above limit": (
        {"observability:grafana": {"requests": {"memory": "1Gi"}}},
        "grafana.requests.memory",
        "above limits.memory",
    ),
    "regex matcher that RE2 refuses": (
        {"observability:alertmanager": {"routes": [{"receiver": "default", "matchers": ['job=~"(?!api).*"']}]}},
        "alertmanager.routes[0].matchers",
        "RE2 syntax",
    ),
    "time range backwards": (
        {
            "observability:alertmanager": {
                "time_intervals": [
                    {
                        "name": "business_hours",
                        "time_intervals": [{"times": [{"start_time": "17:00", "end_time": "09:00"}]}],
                    }
                ]
            }
        },
        "alertmanager.time_intervals[0].time_intervals[0].times[0]",
        "is not before end_time",
    ),
    "day of month out of range": (
        {
            "observability:alertmanager": {
                "time_intervals": [{"name": "business_hours", "time_intervals": [{"days_of_month": ["1:32"]}]}]
            }
        },
        "alertmanager.time_intervals[0].time_intervals[0].days_of_month",
        "not a day of the month",
    ),
    "month name": (
        {
            "observability:alertmanager": {
                "time_intervals": [{"name": "business_hours", "time_intervals": [{"months": ["smarch"]}]}]
            }
        },
        "alertmanager.time_intervals[0].time_intervals[0].months",
        "not a month",
    ),
    "weekday range backwards": (
        {
            "observability:alertmanager": {
                "time_intervals": [{"name": "business_hours", "time_intervals": [{"weekdays": ["friday:monday"]}]}]
            }
        },
        "alertmanager.time_intervals[0].time_intervals[0].weekdays",
        "match no day",
    ),
    "zero repeat interval": (
        {"observability:alertmanager": {"repeat_interval": "0s"}},
        "alertmanager.repeat_interval",
        "cannot be zero",
    ),
    "zero repeat interval on a route": (
        {
            "observability:alertmanager": {
                "routes": [{"receiver": "default", "matchers": ['a="b"'], "repeat_interval": "0m"}]
            }
        },
        "alertmanager.routes[0].repeat_interval",
        "cannot be zero",
    ),
    "empty group_by label": (
        {"observability:alertmanager": {"group_by": ["alertname", ""]}},
        "alertmanager.group_by[1]",
        "empty label name",
    ),
    "scrape timeout above interval": (
        {
            "observability:prometheus": {
                "scrape_jobs": [
                    {"job_name": "app", "targets": ["app:9100"], "scrape_interval": "10s", "scrape_timeout": "30s"}
                ]
            }
        },
        "prometheus.scrape_jobs[0].scrape_timeout",
        "longer than the job's scrape interval",
    ),
    "duration beyond range": ({"observability:prometheus": {"retention": "1000y"}}, "prometheus.retention", "292y"),
    "upper-case image repository": (
        {"observability:prometheus": {"image": {"repository": "Prom/Prometheus", "tag": "v3.16.0"}}},
        "prometheus.image.repository",
        "not an image repository",
    ),
    "kubernetes label key": (
        {"observability:common": {"labels": {"Team Name": "x"}}},
        "common.labels.Team Name",
        "not a Kubernetes label key",
    ),
    "kubernetes label value": (
        {"observability:common": {"labels": {"env": "prod env"}}},
        "common.labels.env",
        "not a Kubernetes label value",
    ),
    "ingress host": (
        {
            "observability:common": {
                "target": "kubernetes",
                "kubernetes": {"ingress": {"enabled": True, "hosts": {"grafana": "Grafana.Example.com"}}},
            }
        },
        "common.kubernetes.ingress.hosts.grafana",
        "not a DNS name",
    ),
    "storage class": (
        {"observability:common": {"kubernetes": {"storage_class": "Fast_SSD"}}},
        "common.kubernetes.storage_class",
        "not a DNS name",
    ),
    "publish address": (
        {"observability:common": {"docker": {"publish_address": "localhost"}}},
        "common.docker.publish_address",
        "not an IP address",
    ),
    "docker network": (
        {"observability:common": {"docker": {"network": "-net"}}},
        "common.docker.network",
        "not a Docker object name",
    ),
    "metrics path": (
        {
            "observability:prometheus": {
                "scrape_jobs": [{"job_name": "app", "targets": ["app:9100"], "metrics_path": "metrics"}]
            }
        },
        "prometheus.scrape_jobs[0].metrics_path",
        "not an absolute URL path",
    ),
    "s3 bucket": (
        {"observability:loki": {"storage": {"type": "s3", "s3": {"bucket": "My_Bucket"}}}},
        "loki.storage.s3.bucket",
        "not an S3 bucket name",
    ),
    "port as a boolean": ({"observability:grafana": {"host_port": True}}, "grafana.host_port", "got true"),
    "port as words": ({"observability:grafana": {"host_port": "three thousand"}}, "grafana.host_port", "valid integer"),
    "trace count beyond int64": (
        {"observability:jaeger": {"max_traces": 10**20}},
        "jaeger.max_traces",
        "less than or equal",
    ),
    "label listed twice in group_by": (
        {"observability:alertmanager": {"group_by": ["job", "job"]}},
        "alertmanager.group_by",
        "more than once",
    ),
    "group_by everything and more": (
        {"observability:alertmanager": {"group_by": ["...", "job"]}},
        "alertmanager.group_by",
        "cannot be listed with other labels",
    ),
    "undefined template function": (
        {
            "observability:prometheus": {
                "rule_groups": [
                    {"name": "mine", "rules": [{"alert": "A", "expr": "up == 0", "labels": {"job": "{{ x }}"}}]}
                ]
            }
        },
        "prometheus.rule_groups[0].rules[0].labels.job",
        "function 'x' is not defined",
    ),
    "prometheus exposed without authentication": (
        {
            "observability:common": {
                "target": "kubernetes",
                "kubernetes": {
                    "ingress": {"enabled": True, "tls_secret": "t", "hosts": {"prometheus": "p.example.com"}}
                },
            }
        },
        "common.kubernetes.ingress.hosts.prometheus",
        "no authentication: anyone who reaches p.example.com can read",
    ),
    "alertmanager exposed without authentication": (
        {
            "observability:common": {
                "target": "kubernetes",
                "kubernetes": {
                    "ingress": {"enabled": True, "tls_secret": "t", "hosts": {"alertmanager": "a.example.com"}}
                },
            }
        },
        "common.kubernetes.ingress.hosts.alertmanager",
        "silences",
    ),
}


def test_ingress_risks_allowed_explicitly_are_warnings():
    ingress = {
        "enabled": True,
        "hosts": {"grafana": "g.example.com", "jaeger": "j.example.com"},
        "allow_unauthenticated": ["jaeger"],
    }
    _, _, warnings = load({"observability:common": {"target": "kubernetes", "kubernetes": {"ingress": ingress}}})
    assert any(
        w.startswith("observability:common.kubernetes.ingress.hosts.jaeger: jaeger has no authentication")
        for w in warnings
    ), warnings
    assert any(
        w.startswith("observability:common.kubernetes.ingress.tls_secret: not set: the UIs are served over plain HTTP")
        for w in warnings
    ), warnings
    _, _, quiet = load(
        {
            "observability:common": {
                "target": "kubernetes",
                "kubernetes": {"ingress": {**ingress, "hosts": {"grafana": "g.example.com"}, "tls_secret": "obs-tls"}},
            }
        }
    )
    assert not any("ingress" in w for w in quiet), quiet


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config_names_its_path(name):
    assert_reported(*CASES[name])


def test_every_problem_is_reported_at_once():
    config = {
        "observability:prometheus": {"retention": "soon", "host_port": 0},
        "observability:loki": {"image": {"repository": "grafana/loki", "tag": "latest"}},
    }
    assert {"prometheus.retention", "prometheus.host_port", "loki.image.tag"} <= paths(config)


def test_cross_field_problems_are_reported_together():
    config = {
        "observability:alertmanager": {"routes": ROUTES_WITH_UNKNOWN_RECEIVER, "replicas": 2},
        "observability:loki": {"enabled": False},
    }
    assert {"alertmanager.routes[1].receiver", "alertmanager.replicas", "promtail.enabled"} <= paths(config)


def test_message_prefixes_namespace_and_counts_problems():
    with pytest.raises(ConfigError) as info:
        load({"observability:grafana": {"host_port": 70000}})
    text = str(info.value)
    assert text.startswith("invalid stack config (1 problem):")
    assert "observability:grafana.host_port: port 70000 is out of range 1-65535" in text


def test_empty_config_is_a_working_dev_stack():
    config, secrets, warnings = load({})
    assert config.common.target == "docker"
    assert config.enabled() == [
        "prometheus",
        "alertmanager",
        "grafana",
        "loki",
        "promtail",
        "jaeger",
        "node-exporter",
        "cadvisor",
    ]
    # Application-agnostic: no scrape job, SLO, route or integration of anyone's application.
    assert config.prometheus.scrape_jobs == [] and config.slos == [] and config.alertmanager.routes == []
    assert [r.name for r in config.alertmanager.receivers] == ["default"]
    assert (
        "observability:alertmanager.receivers[0]: 'default' has no integration, so alerts reach no one "
        "outside Alertmanager's UI; give it slack, pagerduty, email or webhook" in warnings
    )
    assert any(w.startswith("observability:alertmanager.deadmans_switch: not set") for w in warnings)
    _, _, configured = load({"observability:alertmanager": {"deadmans_switch": {"url": "https://hc.example/ping"}}})
    assert not any("deadmans_switch" in w for w in configured)


def test_program_stops_before_registering_anything(monkeypatch):
    import pulumi

    import tools.harness.mockrun as mockrun

    monitors = []

    class Spy(mockrun.RecordingMonitor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            monitors.append(self)

    monkeypatch.setattr(mockrun, "RecordingMonitor", Spy)
    with pytest.raises(pulumi.RunError) as info:
        run_program({"observability:alertmanager": {"routes": ROUTES_WITH_UNKNOWN_RECEIVER}})
    assert "alertmanager.routes[1].receiver: unknown receiver 'pagerduty'" in str(info.value)
    assert "Traceback" not in str(info.value)
    assert monitors and monitors[0].records == []


def test_a_catch_all_route_before_others_is_a_warning_naming_the_unreachable_routes():
    routes = [{"receiver": "default"}, {"receiver": "default", "matchers": ['team="a"']}]
    _, _, warnings = load({"observability:alertmanager": {"routes": routes}})
    assert (
        "observability:alertmanager.routes[0]: matches every alert and does not continue, so "
        "alertmanager.routes[1] can never match; move it last or give it matchers"
    ) in warnings


def test_secret_references_warn_about_fallbacks_and_unused_names():
    _, _, warnings = load({**PACK_CONFIG, "observability:secrets": {"slack_webhok_url": "https://hooks.example/x"}})
    assert (
        "observability:secrets.slack_webhok_url: set, but nothing in the stack refers to it (a misspelt secret name?)"
    ) in warnings
    assert any(
        w.startswith(
            "observability:grafana.admin_password_secret: secret 'grafana_admin_password' is not "
            "set: a random admin password is generated"
        )
        for w in warnings
    )
    assert any(
        w.startswith(
            "observability:alertmanager.receivers[0].slack.webhook_secret: secret "
            "'slack_webhook_url' is not set, so that integration is left out"
        )
        for w in warnings
    )


def test_utf8_label_names_and_go_escapes_in_matchers_are_accepted(tmp_path):
    """Alertmanager 0.35 reads quoted UTF-8 label names and Go escapes in quoted values; so do we."""
    import subprocess

    from upstream import tool

    from observability_stack.configs.render.files import all_files

    routes = [{"receiver": "default", "matchers": ['"service.name"="api"', 'city=~"caf\\u00e9|bar"']}]
    cfg, secrets, _ = load({"observability:alertmanager": {"routes": routes}})
    path = tmp_path / "alertmanager.yml"
    path.write_text(all_files(cfg, secrets.names())["alertmanager"]["alertmanager.yml"])
    result = subprocess.run([tool("amtool"), "check-config", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_malformed_secrets_fail_the_program_with_every_other_problem():
    import pulumi

    with pytest.raises(pulumi.RunError) as info:
        run_program(
            {
                "observability:secrets": {"slack_webhook_url": ["not", "a", "string"]},
                "observability:prometheus": {"retention": "a week"},
            }
        )
    text = str(info.value)
    assert "observability:secrets: must map secret names to strings" in text
    assert "observability:prometheus.retention" in text

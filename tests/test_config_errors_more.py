"""More classes of bad stack config (issue 22): names given twice, Loki limits Loki cannot use,
relative host paths, sizes past what the targets hold, secrets the config names but does not set,
and Grafana settings Grafana would refuse or ignore. Each fails early, with its config path, in the
one error that lists every problem."""

import json

import pulumi
import pytest
from config_error_helpers import assert_reported, problems

from observability_stack.configs.docker_forms import docker_cpus
from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import from_stack_file, load
from tests.prsm_pack import PACK_CONFIG
from tools.harness.mockrun import run_program

INHIBIT = {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"']}
KUBERNETES = {"observability:common": {"target": "kubernetes"}}
SLACK = {"webhook_secret": "team_hook", "channel": "#team"}

CASES = {
    # Names given twice.
    "identical inhibit rules": (
        {"observability:alertmanager": {"inhibit_rules": [INHIBIT, INHIBIT]}},
        "alertmanager.inhibit_rules[1]",
        "the same inhibit rule as alertmanager.inhibit_rules[0]",
    ),
    "scrape target listed twice": (
        {"observability:prometheus": {"scrape_jobs": [{"job_name": "app", "targets": ["app:8000", "app:8000"]}]}},
        "prometheus.scrape_jobs[0].targets",
        "'app:8000' is listed more than once",
    ),
    "user job named as the stack's pod job": (
        {
            **KUBERNETES,
            "observability:prometheus": {"scrape_jobs": [{"job_name": "kubernetes-pods", "targets": ["a:1"]}]},
        },
        "prometheus.scrape_jobs[0].job_name",
        "the stack's own job for annotated pods",
    ),
    "kube-state-metrics collector twice": (
        {**KUBERNETES, "observability:kube_state_metrics": {"collectors": ["pods", "nodes", "pods"]}},
        "kube_state_metrics.collectors",
        "'pods' is listed more than once",
    ),
    "cadvisor metric family twice": (
        {"observability:cadvisor": {"disable_metrics": ["tcp", "udp", "tcp"]}},
        "cadvisor.disable_metrics",
        "'tcp' is listed more than once",
    ),
    "unauthenticated service listed twice": (
        {
            "observability:common": {
                "target": "kubernetes",
                "kubernetes": {
                    "ingress": {
                        "enabled": True,
                        "tls_secret": "t",
                        "hosts": {"jaeger": "j.example.com"},
                        "allow_unauthenticated": ["jaeger", "jaeger"],
                    }
                },
            }
        },
        "common.kubernetes.ingress.allow_unauthenticated",
        "'jaeger' is listed more than once",
    ),
    # Loki limits.
    "loki retention under a day": ({"observability:loki": {"retention": "12h"}}, "loki.retention", "below 24h"),
    "loki burst past int64 bytes": (
        {"observability:loki": {"ingestion_burst_size_mb": 2**43}},
        "loki.ingestion_burst_size_mb",
        "less than or equal",
    ),
    "loki rate past float64": (
        {"observability:loki": {"ingestion_rate_mb": 10**309}},
        "loki.ingestion_rate_mb",
        "less than or equal",
    ),
    # Host paths.
    "relative docker root": (
        {"observability:promtail": {"docker_root": "var/lib/docker"}},
        "promtail.docker_root",
        "not an absolute path",
    ),
    "docker root with a colon": (
        {"observability:promtail": {"docker_root": "/data:/docker"}},
        "promtail.docker_root",
        "cannot hold ':'",
    ),
    "relative docker socket": (
        {"observability:common": {"docker": {"host": "unix://var/run/docker.sock"}}},
        "common.docker.host",
        "must be absolute",
    ),
    # Sizes.
    "memory past int64 bytes": (
        {"observability:loki": {"limits": {"memory": "99999999999999Ti"}}},
        "loki.limits.memory",
        "2^63-1 bytes",
    ),
    "storage past int64 bytes": (
        {"observability:prometheus": {"storage_size": "8Ei"}},
        "prometheus.storage_size",
        "2^63-1 bytes",
    ),
    "cpu past the engine's nanocpus": (
        {"observability:loki": {"limits": {"cpu": "99999999999999"}}},
        "loki.limits.cpu",
        "NanoCPUs is an int64",
    ),
    "cpu past kubernetes' millicores": (
        {**KUBERNETES, "observability:loki": {"limits": {"cpu": "9" * 40}}},
        "loki.limits.cpu",
        "2^63-1 millicores",
    ),
    "prometheus retention size past int64 bytes": (
        {"observability:prometheus": {"retention_size": "99999999999EB"}},
        "prometheus.retention_size",
        "2^63-1 bytes",
    ),
    # Secrets the config names.
    "receiver secret named but unset": (
        {"observability:alertmanager": {"receivers": [{"name": "default", "slack": SLACK}], "routes": []}},
        "alertmanager.receivers[0].slack.webhook_secret",
        "secret 'team_hook' is not set",
    ),
    "grafana password secret named but unset": (
        {"observability:grafana": {"admin_password_secret": "ops_grafana"}},
        "grafana.admin_password_secret",
        "secret 'ops_grafana' is not set",
    ),
    "smtp password secret named but unset": (
        {
            **PACK_CONFIG,
            "observability:alertmanager": {
                "smtp": {"smarthost": "smtp.example.com:587", "auth_password_secret": "mail"}
            },
        },
        "alertmanager.smtp.auth_password_secret",
        "secret 'mail' is not set",
    ),
    "heartbeat token named but unset": (
        {
            "observability:alertmanager": {
                "deadmans_switch": {"url": "https://hc.example.com/ping", "bearer_token_secret": "hc_token"}
            }
        },
        "alertmanager.deadmans_switch.bearer_token_secret",
        "secret 'hc_token' is not set",
    ),
    # Grafana settings.
    "grafana admin password in plain env": (
        {"observability:grafana": {"env": {"GF_SECURITY_ADMIN_PASSWORD": "hunter2"}}},
        "grafana.env.GF_SECURITY_ADMIN_PASSWORD",
        "refuses to start with both",
    ),
    "grafana provisioning path overridden": (
        {"observability:grafana": {"env": {"GF_PATHS_PROVISIONING": "/tmp/p"}}},
        "grafana.env.GF_PATHS_PROVISIONING",
        "the stack's own",
    ),
    "grafana port overridden": (
        {"observability:grafana": {"env": {"GF_SERVER_HTTP_PORT": "8080"}}},
        "grafana.env.GF_SERVER_HTTP_PORT",
        "expect 3000",
    ),
    "grafana variable in lower case": (
        {"observability:grafana": {"env": {"gf_auth_anonymous_enabled": "true"}}},
        "grafana.env.gf_auth_anonymous_enabled",
        "would be ignored",
    ),
    "grafana variable with a dot": (
        {"observability:grafana": {"env": {"GF_AUTH.ANONYMOUS_ENABLED": "true"}}},
        "grafana.env.GF_AUTH.ANONYMOUS_ENABLED",
        "would be ignored",
    ),
    "grafana empty value": (
        {"observability:grafana": {"env": {"GF_USERS_DEFAULT_THEME": ""}}},
        "grafana.env.GF_USERS_DEFAULT_THEME",
        "ignores an empty value",
    ),
    "grafana boolean it cannot read": (
        {"observability:grafana": {"env": {"GF_AUTH_ANONYMOUS_ENABLED": "enable"}}},
        "grafana.env.GF_AUTH_ANONYMOUS_ENABLED",
        "not a boolean Grafana reads",
    ),
    "grafana root url without scheme": (
        {"observability:grafana": {"root_url": "grafana.example.com"}},
        "grafana.root_url",
        "not the URL users reach Grafana at",
    ),
    "grafana root url with a bad port": (
        {"observability:grafana": {"root_url": "https://grafana.example.com:https/"}},
        "grafana.root_url",
        "not the URL users reach Grafana at",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config_names_its_path(name):
    assert_reported(*CASES[name])


def test_each_class_is_reported_in_one_error():
    config = {
        "observability:alertmanager": {"inhibit_rules": [INHIBIT, INHIBIT]},
        "observability:loki": {"retention": "1h", "limits": {"memory": "8Ei"}},
        "observability:promtail": {"docker_root": "docker"},
        "observability:grafana": {"env": {"GF_PATHS_DATA": "/tmp"}, "admin_password_secret": "mine"},
    }
    # Field problems stop before the cross-section checks; each group is still reported whole.
    assert {"loki.retention", "loki.limits.memory", "promtail.docker_root", "grafana.env.GF_PATHS_DATA"} <= {
        path for path, _ in problems(config)
    }
    del config["observability:loki"], config["observability:promtail"], config["observability:grafana"]["env"]
    assert {"alertmanager.inhibit_rules[1]", "grafana.admin_password_secret"} <= {path for path, _ in problems(config)}


def test_a_cpu_too_large_for_the_docker_forms_is_a_config_error_not_a_traceback():
    """It was decimal.InvalidOperation from docker_forms._float_string, raised out of load()."""
    with pytest.raises(ValueError, match="NanoCPUs is an int64"):
        docker_cpus("9" * 30)
    with pytest.raises(pulumi.RunError) as info:
        run_program({"observability:grafana": {"limits": {"cpu": "9" * 30}}})
    assert "observability:grafana.limits.cpu:" in str(info.value)
    assert "Traceback" not in str(info.value) and "InvalidOperation" not in str(info.value)


def test_two_user_dashboards_with_one_title_are_refused(tmp_path):
    for name, uid in (("a.json", "dash-a"), ("b.json", "dash-b")):
        (tmp_path / name).write_text(json.dumps({"title": "Checkout", "uid": uid, "panels": []}))
    found = problems({"observability:grafana": {"dashboards_dir": str(tmp_path)}})
    assert any(path == "grafana.dashboards_dir" and "'Checkout' is also the title of a.json" in m for path, m in found)


def test_a_stack_file_with_a_section_twice_is_refused(tmp_path):
    stack = tmp_path / "Pulumi.twice.yaml"
    stack.write_text(
        "config:\n  observability:loki:\n    retention: 168h\n  observability:loki:\n    security_rules: false\n"
    )
    with pytest.raises(ConfigError) as info:
        from_stack_file(stack)
    assert "key 'observability:loki' is given twice" in str(info.value)


def test_what_stays_valid():
    """The new limits refuse only what cannot work: nearby values still load."""
    load(
        {
            "observability:loki": {"retention": "24h", "ingestion_burst_size_mb": 2**43 - 1, "storage_size": "1Pi"},
            "observability:prometheus": {"storage_size": "7Ei", "retention_size": "7EB"},
            "observability:promtail": {"docker_root": "/srv/docker"},
            "observability:common": {"docker": {"host": "unix:///run/user/1000/docker.sock"}},
            "observability:grafana": {
                "root_url": "%(protocol)s://%(domain)s:%(http_port)s/grafana/",
                "env": {"GF_AUTH_ANONYMOUS_ENABLED": "true", "GF_USERS_DEFAULT_THEME": "light", "TZ": "UTC"},
            },
        }
    )
    secrets = {"observability:secrets": {"team_hook": "https://hooks.example.com/x", "ops_grafana": "pw"}}
    load(
        {
            **secrets,
            "observability:alertmanager": {"receivers": [{"name": "default", "slack": SLACK}], "routes": []},
            "observability:grafana": {"admin_password_secret": "ops_grafana"},
        }
    )


def test_secrets_of_a_packs_receivers_still_only_warn():
    _, _, warnings = load(PACK_CONFIG)
    assert any("secret 'slack_webhook_url' is not set, so that integration is left out" in w for w in warnings)
    assert any(
        "secret 'grafana_admin_password' is not set: a random admin password is generated" in w for w in warnings
    )

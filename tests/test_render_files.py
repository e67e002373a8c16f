"""Rendered files pass the real upstream checkers, carry no secret, and are byte-identical across runs."""

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import SECRETS, stack_config
from upstream import tool

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load
from observability_stack.configs.render.files import all_files
from tests.prsm_pack import PACK_CONFIG
from tools.commands.render import main as render_main

SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
# The PRSM pack's receivers (packs/prsm), with a smarthost that turns their e-mail on.
SMARTHOST = {**PACK_CONFIG, "observability:alertmanager": {"smtp": {"smarthost": "smtp.example.org:587"}}}


def rendered(config: dict) -> dict[str, dict[str, str]]:
    cfg, secrets, _ = load(config)
    return all_files(cfg, secrets.names())


def write_tree(files: dict[str, dict[str, str]], root: Path) -> Path:
    for service, tree in files.items():
        for relative, content in tree.items():
            path = root / service / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    return root


def run(*cmd: str) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(params=["dev", "prod"])
def stack_files(request, tmp_path, secrets_config):
    config = stack_config(request.param, **secrets_config)
    return write_tree(rendered(config), tmp_path)


def test_promtool_accepts_prometheus_config_and_rules(stack_files, tmp_path):
    # The pinned promtool knows Kubernetes discovery: the prod stack's kubernetes_sd_configs jobs are checked too.
    # It also checks that the service account's token and CA exist (the cluster jobs read them in the
    # pod): here they are empty files at a path of the test's.
    config = stack_files / "prometheus" / "prometheus.yml"
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("token")
    (account / "ca.crt").write_text("")
    config.write_text(config.read_text().replace(SERVICE_ACCOUNT, str(account)))
    result = run(tool("promtool"), "check", "config", str(config))
    # The rule files are found through the relative `rules/*.yml` reference.
    assert "rule files found" in result.stdout
    rules = sorted((stack_files / "prometheus" / "rules").glob("*.yml"))
    assert rules
    run(tool("promtool"), "check", "rules", *map(str, rules))


def test_amtool_accepts_alertmanager_config(stack_files):
    result = run(tool("amtool"), "check-config", str(stack_files / "alertmanager" / "alertmanager.yml"))
    assert "SUCCESS" in result.stdout


def test_loki_rules_are_rule_groups_with_security_category(stack_files):
    groups = yaml.safe_load((stack_files / "loki" / "rules" / "fake" / "security.yml").read_text())["groups"]
    assert groups and all(rule["labels"]["category"] == "security" for g in groups for rule in g["rules"])


def test_make_render_writes_checkable_tree(tmp_path):
    out = tmp_path / "out"
    assert render_main(["--stack", "dev", "--out", str(out)]) == 0
    run(tool("promtool"), "check", "config", str(out / "files" / "prometheus" / "prometheus.yml"))
    run(tool("amtool"), "check-config", str(out / "files" / "alertmanager" / "alertmanager.yml"))
    resources = json.loads((out / "resources.json").read_text())
    assert [r["urn"] for r in resources] == sorted(r["urn"] for r in resources)


def test_render_is_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert render_main(["--stack", "dev", "--out", str(first)]) == 0
    assert render_main(["--stack", "dev", "--out", str(second)]) == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_bad_stack_file_fails_render_cleanly(tmp_path, monkeypatch, capsys):
    import tools.commands.render as render

    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(yaml.safe_dump({"config": {"observability:prometheus": {"retention": "forever"}}}))
    monkeypatch.setattr(render, "ROOT", tmp_path)
    assert render.main(["--stack", "bad", "--out", str(tmp_path / "out")]) == 1
    assert "observability:prometheus.retention" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, message",
    [
        ("config: {observability:prometheus: {retention: 30d}", "not valid YAML"),
        ("- just\n- a list\n", "a stack file is a mapping"),
        ("config:\n  - observability:prometheus\n", "a stack file is a mapping"),
        (
            "config:\n  observability:prometheus: &loop\n    scrape_jobs: [*loop]\n",
            "refers to the structure that contains it",
        ),
    ],
)
def test_a_broken_stack_file_fails_render_cleanly(tmp_path, monkeypatch, capsys, text, message):
    import tools.commands.render as render

    (tmp_path / "Pulumi.bad.yaml").write_text(text)
    monkeypatch.setattr(render, "ROOT", tmp_path)
    assert render.main(["--stack", "bad", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("invalid stack config (1 problem):") and "(Pulumi.bad.yaml): " in err and message in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_secret_value_in_any_file(stack, secrets_config):
    files = rendered(stack_config(stack, **secrets_config))
    for service, tree in files.items():
        for relative, content in tree.items():
            for name, value in SECRETS.items():
                assert value not in content, f"{name} written into {service}/{relative}"


def test_secrets_are_referenced_through_files(secrets_config):
    files = rendered({**secrets_config, **SMARTHOST})
    am = yaml.safe_load(files["alertmanager"]["alertmanager.yml"])
    receivers = {r["name"]: r for r in am["receivers"]}
    assert receivers["default"]["slack_configs"][0]["api_url_file"] == "/run/secrets/alertmanager/slack_webhook_url"
    assert receivers["pagerduty-critical"]["pagerduty_configs"][0]["routing_key_file"].endswith(
        "/pagerduty_routing_key"
    )
    assert am["global"]["smtp_auth_password_file"].endswith("/smtp_password")
    text = files["alertmanager"]["alertmanager.yml"]
    assert "api_url:" not in text and "routing_key:" not in text and "smtp_auth_password:" not in text


def test_unset_secret_drops_only_that_integration():
    am = yaml.safe_load(rendered(SMARTHOST)["alertmanager"]["alertmanager.yml"])
    receivers = {r["name"]: r for r in am["receivers"]}
    assert "slack_configs" not in receivers["default"]
    assert receivers["security-team"]["email_configs"][0]["to"] == "security-team@company.com"
    assert "smtp_auth_password_file" not in am["global"]


def test_email_without_smarthost_is_left_out_with_a_warning(secrets_config):
    """An example SMTP host would fail every send and fire the stack's own AlertmanagerNotificationsFailing."""
    cfg, secrets, warnings = load({**PACK_CONFIG, **secrets_config})
    am = yaml.safe_load(all_files(cfg, secrets.names())["alertmanager"]["alertmanager.yml"])
    receivers = {r["name"]: r for r in am["receivers"]}
    assert "email_configs" not in receivers["security-team"] and "slack_configs" in receivers["security-team"]
    assert not any(key.startswith("smtp_") for key in am["global"])
    assert any("alertmanager.receivers[2].email" in w and "smarthost is not set" in w for w in warnings), warnings
    strict = {**PACK_CONFIG, **secrets_config, "observability:alertmanager": {"require_secrets": True}}
    with pytest.raises(ConfigError, match=r"alertmanager.receivers\[2\].email: alertmanager.smtp.smarthost is not set"):
        load(strict)


def test_alertmanager_uses_matchers_never_match():
    text = rendered(PACK_CONFIG)["alertmanager"]["alertmanager.yml"]
    config = yaml.safe_load(text)

    def walk(route):
        assert "match" not in route and "match_re" not in route
        for child in route.get("routes", []):
            walk(child)

    walk(config["route"])
    assert config["route"]["routes"][0]["matchers"] == ['alertname="Watchdog"']
    assert config["time_intervals"][0]["time_intervals"][0]["location"] == "America/New_York"
    assert config["inhibit_rules"][0]["source_matchers"] == ['severity="critical"']


def test_loki_config_is_loki3_without_removed_keys():
    text = rendered({})["loki"]["loki.yaml"]
    for removed in ("shared_store", "enforce_metric_name", "max_look_back_period", "boltdb", "table_manager"):
        assert removed not in text
    loki = yaml.safe_load(text)
    schema = loki["schema_config"]["configs"][0]
    assert (schema["store"], schema["schema"]) == ("tsdb", "v13")
    assert loki["compactor"]["retention_enabled"] and loki["compactor"]["delete_request_store"] == "filesystem"
    assert loki["ruler"]["alertmanager_url"] == "http://alertmanager:9093"


def test_loki_s3_credentials_come_from_environment():
    config = {
        "observability:loki": {
            "storage": {"type": "s3", "s3": {"bucket": "logs", "endpoint": "minio:9000", "s3forcepathstyle": True}}
        },
        "observability:secrets": {"loki_s3_access_key_id": "AKIAEXAMPLE", "loki_s3_secret_access_key": "s3cr3t"},
    }
    cfg, secrets, _ = load(config)
    text = all_files(cfg, secrets.names())["loki"]["loki.yaml"]
    assert "AKIAEXAMPLE" not in text and "s3cr3t" not in text
    aws = yaml.safe_load(text)["common"]["storage"]["s3"]
    assert aws["access_key_id"] == "${LOKI_S3_ACCESS_KEY_ID}" and aws["bucketnames"] == "logs"
    assert yaml.safe_load(text)["compactor"]["delete_request_store"] == "s3"


def test_grafana_datasources_and_escaped_trace_link():
    files = rendered({})["grafana"]
    sources = yaml.safe_load(files["provisioning/datasources/datasources.yaml"])["datasources"]
    by_uid = {s["uid"]: s for s in sources}
    assert set(by_uid) == {"prometheus", "loki", "jaeger", "alertmanager"}
    assert by_uid["prometheus"]["isDefault"] is True
    # `$$` is Grafana's escape: a bare `${__value.raw}` would be expanded as an environment variable.
    assert by_uid["loki"]["jsonData"]["derivedFields"][0]["url"] == "$${__value.raw}"
    assert by_uid["jaeger"]["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert "[auth.anonymous]\nenabled = false" in files["grafana.ini"]


def test_jaeger_listens_on_all_interfaces():
    jaeger = yaml.safe_load(rendered({})["jaeger"]["config.yaml"])
    protocols = jaeger["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317" and protocols["http"]["endpoint"] == "0.0.0.0:4318"
    assert jaeger["extensions"]["healthcheckv2"]["http"]["endpoint"] == "0.0.0.0:13133"
    assert "memory" in jaeger["extensions"]["jaeger_storage"]["backends"]["traces"]
    badger = rendered({"observability:jaeger": {"storage": "badger"}})["jaeger"]["config.yaml"]
    assert "badger" in yaml.safe_load(badger)["extensions"]["jaeger_storage"]["backends"]["traces"]


def test_prometheus_scrapes_the_packs_jobs_and_every_enabled_service():
    prom = yaml.safe_load(
        rendered({**PACK_CONFIG, "observability:jaeger": {"enabled": False}})["prometheus"]["prometheus.yml"]
    )
    jobs = {job["job_name"]: job for job in prom["scrape_configs"]}
    assert jobs["prsm-api"]["scrape_interval"] == "5s" and jobs["prsm-metrics-exporter"]["scrape_interval"] == "10s"
    assert {"prometheus", "alertmanager", "grafana", "loki", "promtail"} <= set(jobs)
    assert "jaeger" not in jobs and "kubernetes-pods" not in jobs
    assert prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_kubernetes_lists_every_alertmanager_replica_and_discovers_pods():
    prom = yaml.safe_load(rendered(stack_config("prod"))["prometheus"]["prometheus.yml"])
    targets = prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == [f"alertmanager-{i}.alertmanager-headless:9093" for i in range(3)]
    pods = {job["job_name"]: job for job in prom["scrape_configs"]}["kubernetes-pods"]
    assert pods["relabel_configs"][0]["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    assert prom["global"]["external_labels"]["replica"] == "${POD_NAME}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_libyaml_and_pure_python_emitters_agree(stack, monkeypatch, secrets_config):
    """Renders are byte-identical whether or not PyYAML was built with libyaml."""
    import observability_stack.configs.render.common as common

    config = stack_config(stack, **secrets_config)
    fast = rendered(config)
    monkeypatch.setattr(common, "_DUMPER", yaml.SafeDumper)
    assert rendered(config) == fast


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_job_an_alert_selects_is_scraped(stack, secrets_config):
    """An alert on `up{job="x"}` or `absent(...)` for a job the stack never scrapes fires forever."""
    import re

    files = rendered(stack_config(stack, **secrets_config))["prometheus"]
    jobs = {job["job_name"] for job in yaml.safe_load(files["prometheus.yml"])["scrape_configs"]}
    selected = set()
    for name, content in files.items():
        if name.startswith("rules/"):
            for group in yaml.safe_load(content)["groups"]:
                for rule in group["rules"]:
                    selected |= set(re.findall(r'job="([^"]+)"', rule["expr"]))
    assert selected and selected <= jobs, f"alerts select unscraped jobs: {sorted(selected - jobs)}"


def test_kubernetes_scrapes_every_prometheus_replica_and_drops_the_replica_label_from_alerts():
    prom = yaml.safe_load(rendered(stack_config("prod"))["prometheus"]["prometheus.yml"])
    jobs = {job["job_name"]: job for job in prom["scrape_configs"]}
    assert jobs["prometheus"]["static_configs"][0]["targets"] == [
        "prometheus-0.prometheus-headless:9090",
        "prometheus-1.prometheus-headless:9090",
    ]
    assert prom["alerting"]["alert_relabel_configs"] == [{"action": "labeldrop", "regex": "replica"}]
    promtail = jobs["promtail"]
    assert promtail["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["observability"]}}]
    assert {
        "action": "keep",
        "regex": "promtail",
        "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
    } in promtail["relabel_configs"]
    single = yaml.safe_load(rendered({})["prometheus"]["prometheus.yml"])
    assert "alert_relabel_configs" not in single["alerting"]


def test_render_reads_encrypted_secrets_as_placeholders(tmp_path, monkeypatch):
    """A real stack file carries `secure:` ciphertext: render knows the secret is set, never its value."""
    import tools.commands.render as render

    stack = {
        "config": {
            **PACK_CONFIG,
            "observability:secrets": {
                "pagerduty_routing_key": {"secure": "v1:Zm9vYmFyYmF6:cXV4cXV1eA=="},
                "slack_webhook_url": {"secure": "v1:YWJj:ZGVm"},
            },
        }
    }
    (tmp_path / "Pulumi.enc.yaml").write_text(yaml.safe_dump(stack))
    monkeypatch.setattr(render, "ROOT", tmp_path)
    out = tmp_path / "out"
    assert render.main(["--stack", "enc", "--out", str(out)]) == 0
    am = yaml.safe_load((out / "files" / "alertmanager" / "alertmanager.yml").read_text())
    receivers = {r["name"]: r for r in am["receivers"]}
    assert receivers["pagerduty-critical"]["pagerduty_configs"][0]["routing_key_file"].endswith(
        "/pagerduty_routing_key"
    )
    assert (out / "files" / "alertmanager" / "secrets" / "pagerduty_routing_key").read_text() == "<secret>\n"
    tree = "".join(p.read_text(errors="ignore") for p in out.rglob("*") if p.is_file())
    assert "v1:" not in tree and "Zm9vYmFy" not in tree


@pytest.mark.parametrize("stack,expected", [("dev", {"time": "7d"}), ("prod", {"time": "30d", "size": "45GB"})])
def test_retention_is_in_the_config_file_not_in_deprecated_flags(stack, expected, secrets_config):
    files = rendered(stack_config(stack, **secrets_config))
    config = yaml.safe_load(files["prometheus"]["prometheus.yml"])
    assert config["storage"]["tsdb"]["retention"] == expected

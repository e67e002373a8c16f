"""The dev stack on the Docker target, run through the real program under Pulumi's mocks."""

import json
import re

import pytest
import yaml
from conftest import SECRETS, stack_config

from observability_stack.configs import registry
from tests.prsm_pack import PACK_CONFIG
from tools.harness.mockrun import SECRET_MARK, run_program

CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
IMAGE = "docker:index/remoteImage:RemoteImage"
# kube-state-metrics is Kubernetes' only.
SERVICES = ["prometheus", "alertmanager", "grafana", "loki", "promtail", "jaeger", "node-exporter", "cadvisor"]
COMPONENT_TYPES = {s: "observability:index:" + registry.registered(s).title for s in SERVICES}
# Configured by flags alone: no file, no volume.
COLLECTORS = ("node-exporter", "cadvisor")


@pytest.fixture(scope="module")
def dev():
    return run_program(stack_config("dev", **{"observability:secrets": dict(SECRETS)}))


def component_urn(run, service):
    return run.named(COMPONENT_TYPES[service], service).urn


def test_registers_expected_resources_under_their_components(dev):
    run_records = dev.records
    root = dev.named("observability:index:ObservabilityStack", "observability")
    assert dev.named("docker:index/network:Network", "network").parent == root.urn
    for service in SERVICES:
        component = dev.named(COMPONENT_TYPES[service], service)
        assert component.parent == root.urn
        assert dev.named(CONTAINER, service).parent == component.urn
        assert dev.named(IMAGE, f"{service}-image").parent == component.urn
    # Jaeger keeps traces in memory by default: no volume to keep.
    assert {r.short for r in dev.of_type(VOLUME)} == {
        f"{s}-data" for s in SERVICES if s != "jaeger" and s not in COLLECTORS
    }
    assert all(r.parent for r in run_records if r.type != "observability:index:ObservabilityStack")
    assert len(run_records) == len({r.urn for r in run_records})


def test_every_image_pinned(dev):
    for image in dev.of_type(IMAGE):
        name = image.inputs["name"]
        repository, _, tag = name.rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, name


def test_every_volume_retained_on_delete(dev):
    volumes = dev.of_type(VOLUME)
    assert volumes and all(v.retain_on_delete for v in volumes)
    for container in dev.of_type(CONTAINER):
        assert not container.retain_on_delete  # containers are cattle; only data is kept


def test_every_container_has_health_check_limits_and_restart_policy(dev):
    for container in dev.of_type(CONTAINER):
        inputs = container.inputs
        assert inputs["healthcheck"]["tests"][0] == "CMD", container.short
        assert inputs["memory"] > 0 and float(inputs["cpus"]) > 0, container.short
        assert inputs["restart"] == "unless-stopped" and inputs["wait"] is True


def test_health_checks_use_binaries_the_images_have(dev):
    tests = {c.short: c.inputs["healthcheck"]["tests"] for c in dev.of_type(CONTAINER)}
    assert tests["loki"] == ["CMD", "/usr/bin/loki", "-health"]  # distroless: no shell, no wget
    assert tests["prometheus"][1:3] == ["wget", "-q"] and tests["prometheus"][-1].endswith("/-/ready")
    assert tests["alertmanager"][-1].endswith(":9093/-/ready")
    assert tests["grafana"][-1].endswith(":3000/api/health")
    assert tests["jaeger"][-1] == "http://127.0.0.1:13133/status"
    assert tests["promtail"][1] == "bash"


def test_only_ui_ports_published_and_on_loopback(dev):
    published = {}
    for container in dev.of_type(CONTAINER):
        for port in container.inputs.get("ports", []):
            assert port["ip"] == "127.0.0.1", container.short
            published[container.short] = port["external"]
    assert published == {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000, "jaeger": 16686}


def test_publish_address_is_configurable():
    run = run_program({"observability:common": {"docker": {"publish_address": "0.0.0.0"}}})
    assert {p["ip"] for c in run.of_type(CONTAINER) for p in c.inputs.get("ports", [])} == {"0.0.0.0"}


def test_secret_inputs_are_marked_secret_and_never_plain(dev):
    for record in dev.records:
        text = repr(record.inputs)
        for name, value in SECRETS.items():
            assert value not in text, f"{name} in plain text in {record.type} {record.short}"
    grafana = dev.named(CONTAINER, "grafana")
    uploads = grafana.inputs["uploads"]
    secret_uploads = [u for u in uploads if u["file"].startswith("/run/secrets/")]
    assert [u["file"] for u in secret_uploads] == ["/run/secrets/grafana/admin_password"]
    assert secret_uploads[0]["content"] == SECRET_MARK
    # Root-owned (the provider's uploads carry no owner), read through group 0 (test_engine_docker.py).
    assert secret_uploads[0]["permissions"] == "0440" and "owner" not in secret_uploads[0]
    am = dev.named(CONTAINER, "alertmanager").inputs
    am_files = {u["file"]: u for u in am["uploads"]}
    for name in ("slack_webhook_url", "security_slack_webhook", "pagerduty_routing_key"):
        upload = am_files[f"/run/secrets/alertmanager/{name}"]
        assert upload["content"] == SECRET_MARK and upload["permissions"] == "0440"
    assert am["user"] == "65534:65534" and am["groupAdds"] == ["0"]
    # No secret, no extra group: Prometheus reads none here.
    assert "groupAdds" not in dev.named(CONTAINER, "prometheus").inputs
    # The dev stack sets no smarthost, so e-mail is left out and its password is not delivered.
    assert "/run/secrets/alertmanager/smtp_password" not in am_files


def test_generated_grafana_password_is_secret():
    run = run_program({})
    password = run.named("random:index/randomPassword:RandomPassword", "grafana-admin-password")
    assert password.parent == run.named(COMPONENT_TYPES["grafana"], "grafana").urn
    upload = [u for u in run.named(CONTAINER, "grafana").inputs["uploads"] if u["file"].endswith("admin_password")][0]
    assert upload["content"] == SECRET_MARK
    assert "mock-generated-password" not in repr([r.inputs for r in run.records])


def test_revealed_secret_reaches_the_file():
    run = run_program({**PACK_CONFIG, "observability:secrets": dict(SECRETS)}, reveal_secrets=True)
    uploads = {u["file"]: u.get("content") for u in run.named(CONTAINER, "alertmanager").inputs["uploads"]}
    assert uploads["/run/secrets/alertmanager/pagerduty_routing_key"] == SECRETS["pagerduty_routing_key"]


def test_config_file_paths_match_command_lines(dev):
    """A flag naming a file must name a file the container receives (catches a renamed file or dir)."""
    for container in dev.of_type(CONTAINER):
        if container.short == "grafana":
            continue  # configured through GF_PATHS_CONFIG, checked below
        if container.short in COLLECTORS:
            assert not container.inputs.get("uploads"), container.short
            continue
        files = {u["file"] for u in container.inputs["uploads"]}
        referenced = [
            m.group(2)
            for arg in container.inputs["command"]
            for m in [re.match(r"^-{1,2}(config\.file|config)=(.+)$", arg)]
            if m
        ]
        assert referenced, f"{container.short} names no config file"
        for path in referenced:
            assert path in files, f"{container.short} reads {path}, but receives {sorted(files)}"
    grafana = dev.named(CONTAINER, "grafana")
    env = dict(e.split("=", 1) for e in grafana.inputs["envs"])
    files = {u["file"] for u in grafana.inputs["uploads"]}
    assert env["GF_PATHS_CONFIG"] in files and env["GF_SECURITY_ADMIN_PASSWORD__FILE"] in files


def test_data_volume_mounted_where_the_service_writes(dev):
    expected = {
        "prometheus": "/prometheus",
        "alertmanager": "/alertmanager",
        "grafana": "/var/lib/grafana",
        "loki": "/loki",
        "promtail": "/promtail",
    }
    for service, path in expected.items():
        mounts = {v.get("containerPath") for v in dev.named(CONTAINER, service).inputs["volumes"]}
        assert path in mounts, service
    command = dev.named(CONTAINER, "prometheus").inputs["command"]
    assert "--storage.tsdb.path=/prometheus" in command
    # Retention lives in prometheus.yml, the form Prometheus 3 documents; its flags are deprecated.
    assert not [arg for arg in command if arg.startswith("--storage.tsdb.retention")]


def test_promtail_reads_docker_socket_read_only(dev):
    volumes = dev.named(CONTAINER, "promtail").inputs["volumes"]
    host = {v["hostPath"]: v for v in volumes if "hostPath" in v}
    assert host["/var/run/docker.sock"]["readOnly"] is True
    assert host["/var/lib/docker/containers"]["readOnly"] is True


def test_services_resolve_by_name_on_private_network(dev):
    for container in dev.of_type(CONTAINER):
        network = container.inputs["networksAdvanced"][0]
        assert network["aliases"] == [container.short]


def test_disabled_service_registers_nothing():
    run = run_program({"observability:jaeger": {"enabled": False}, "observability:promtail": {"enabled": False}})
    names = {r.short for r in run.records}
    assert not any(n.startswith(("jaeger", "promtail")) for n in names)
    assert not any(r.type in (COMPONENT_TYPES["jaeger"], COMPONENT_TYPES["promtail"]) for r in run.records)


def test_registry_override_rewrites_every_image():
    run = run_program({"observability:common": {"image_registry": "mirror.local:5000"}})
    names = [r.inputs["name"] for r in run.of_type(IMAGE)]
    assert names and all(n.startswith("mirror.local:5000/") for n in names)
    assert "mirror.local:5000/prom/prometheus:v3.16.0" in names


def test_remote_docker_host_uses_a_provider():
    run = run_program({"observability:common": {"docker": {"host": "ssh://deploy@metrics-host"}}})
    provider = run.named("pulumi:providers:docker", "docker")
    assert provider.inputs["host"] == "ssh://deploy@metrics-host"
    docker_resources = [r for r in run.records if r.type.startswith("docker:")]
    assert docker_resources and all(r.provider.startswith(provider.urn + "::") for r in docker_resources)
    local = run_program({})
    assert not local.of_type("pulumi:providers:docker")
    assert all(r.provider == "" for r in local.records if r.type.startswith("docker:"))


def test_config_change_changes_container_inputs():
    before = run_program({}).named(CONTAINER, "prometheus").inputs["uploads"]
    after = (
        run_program({"observability:prometheus": {"scrape_interval": "30s"}})
        .named(CONTAINER, "prometheus")
        .inputs["uploads"]
    )
    assert before != after  # uploads force a replacement: the new config reaches the service


def test_outputs_expose_urls(dev):
    stack = dev.namespace["stack"]
    assert set(stack.services) == set(SERVICES)
    grafana = stack.services["grafana"]
    assert grafana.spec.env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana/admin_password"


@pytest.mark.parametrize(
    "stack_file", sorted(p.name for p in __import__("pathlib").Path(__file__).parent.parent.glob("Pulumi.*.yaml"))
)
def test_smoke_every_stack_file_builds(stack_file):
    stack = stack_file.split(".")[1]
    run = run_program(stack_config(stack, **{"observability:secrets": dict(SECRETS)}), stack=stack)
    assert run.records and run.namespace["stack"].services


def test_alertmanager_carries_zoneinfo_for_its_time_intervals(dev):
    """The upstream image has no zoneinfo; without it Alertmanager refuses `location` at start-up."""
    import base64
    from importlib import resources

    container = dev.named(CONTAINER, "alertmanager")
    env = dict(e.split("=", 1) for e in container.inputs["envs"])
    assert env["ZONEINFO"] == "/etc/alertmanager/zoneinfo"
    uploads = {u["file"]: u for u in container.inputs["uploads"]}
    tz = uploads["/etc/alertmanager/zoneinfo/America/New_York"]
    expected = resources.files("tzdata").joinpath("zoneinfo", "America", "New_York").read_bytes()
    assert base64.b64decode(tz["contentBase64"]) == expected and expected.startswith(b"TZif")


def test_no_zoneinfo_without_locations():
    run = run_program({"observability:alertmanager": {"time_intervals": [], "routes": []}})
    container = run.named(CONTAINER, "alertmanager")
    assert not any(u["file"].startswith("/etc/alertmanager/zoneinfo") for u in container.inputs["uploads"])
    assert not any(e.startswith("ZONEINFO=") for e in container.inputs["envs"])


def test_every_container_drops_all_capabilities(dev):
    for container in dev.of_type(CONTAINER):
        assert container.inputs["capabilities"]["drops"] == ["ALL"], container.short
        assert "no-new-privileges:true" in container.inputs["securityOpts"], container.short


def test_jaeger_badger_keeps_traces_on_a_retained_volume():
    run = run_program({"observability:jaeger": {"storage": "badger"}})
    volume = run.named(VOLUME, "jaeger-data")
    assert volume.retain_on_delete
    container = run.named(CONTAINER, "jaeger")
    assert {v.get("containerPath") for v in container.inputs["volumes"]} == {"/badger"}
    assert container.inputs["user"] == "0:0"  # the image has no /badger for the volume to inherit an owner from


def test_user_dashboards_are_provisioned_from_the_configured_directory():
    run = run_program({"observability:grafana": {"dashboards_dir": "tests/fixtures/dashboards"}})
    uploads = {u["file"]: u.get("content") for u in run.named(CONTAINER, "grafana").inputs["uploads"]}
    board = json.loads(uploads["/etc/grafana/dashboards/custom/team-api.json"])
    assert board["title"] == "Team API" and "dashboard" not in board  # API exports are unwrapped
    providers = yaml.safe_load(uploads["/etc/grafana/provisioning/dashboards/dashboards.yaml"])["providers"]
    assert {"name": "Custom", "path": "/etc/grafana/dashboards/custom"} in [
        {"name": p["name"], "path": p["options"]["path"]} for p in providers
    ]


def test_bad_user_dashboard_is_a_config_error(tmp_path):
    from observability_stack.configs.errors import ConfigError
    from observability_stack.configs.load import load

    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ConfigError) as info:
        load({"observability:grafana": {"dashboards_dir": str(tmp_path)}})
    assert info.value.problems[0][0] == "grafana.dashboards_dir" and "broken.json" in info.value.problems[0][1]
    with pytest.raises(ConfigError) as info:
        load({"observability:grafana": {"dashboards_dir": "no/such/dir"}})
    assert "does not exist" in str(info.value)


@pytest.mark.parametrize(
    "boards, message",
    [
        ({"a.json": {"title": "A"}}, "a.json: no uid"),
        ({"a.json": {"title": "A", "uid": "x" * 41}}, "is not a Grafana uid"),
        (
            {"a.json": {"title": "A", "uid": "same"}, "b.json": {"title": "B", "uid": "same"}},
            "b.json: uid 'same' is also the uid of a.json",
        ),
    ],
)
def test_user_dashboard_uids_are_checked(tmp_path, boards, message):
    from observability_stack.configs.errors import ConfigError
    from observability_stack.configs.load import load

    for name, board in boards.items():
        (tmp_path / name).write_text(json.dumps(board))
    with pytest.raises(ConfigError) as info:
        load({"observability:grafana": {"dashboards_dir": str(tmp_path)}})
    assert [path for path, _ in info.value.problems] == ["grafana.dashboards_dir"]
    assert message in info.value.problems[0][1]


def test_a_user_dashboard_with_a_shipped_uid_is_a_config_error(tmp_path):
    from observability_stack.configs.content.dashboards import builtin_dashboards
    from observability_stack.configs.errors import ConfigError
    from observability_stack.configs.load import load

    shipped = builtin_dashboards([], ["prometheus"])["Observability Stack"]["stack-health.json"]["uid"]
    (tmp_path / "mine.json").write_text(json.dumps({"title": "Mine", "uid": shipped}))
    with pytest.raises(ConfigError, match="the uid of the shipped dashboard stack-health.json"):
        load({"observability:grafana": {"dashboards_dir": str(tmp_path)}})


def test_a_user_dashboard_with_a_packs_uid_is_a_config_error(tmp_path):
    from observability_stack.configs.errors import ConfigError
    from observability_stack.configs.load import load
    from tests.prsm_pack import PACK, ROOT, prsm_dashboards

    packed = prsm_dashboards()["executive-overview.json"]["uid"]
    (tmp_path / "mine.json").write_text(json.dumps({"title": "Mine", "uid": packed}))
    config = {"observability:content_packs": [PACK], "observability:grafana": {"dashboards_dir": str(tmp_path)}}
    with pytest.raises(ConfigError, match=f"uid '{packed}' is the uid of PRSM/executive-overview.json"):
        load(config, str(ROOT))


def test_components_expose_their_container():
    run = run_program({})
    prometheus = run.namespace["stack"].services["prometheus"]
    assert type(prometheus.workload).__name__ == "Container" and prometheus.workload._name == "observability-prometheus"
    assert prometheus.services == []


def test_collectors_read_the_host_read_only_and_publish_nothing(dev):
    node = dev.named(CONTAINER, "node-exporter").inputs
    assert node["pidMode"] == "host" and node["user"] == "65534:65534"
    # The engine adds label=disable for the host's PID namespace; sent as it reads back (docker_forms).
    assert node["securityOpts"] == ["no-new-privileges:true", "label=disable"]
    assert {(v["hostPath"], v["containerPath"]) for v in node["volumes"]} == {
        ("/proc", "/host/proc"),
        ("/sys", "/host/sys"),
        ("/", "/host/root"),
    }
    assert "--path.rootfs=/host/root" in node["command"]
    cadvisor = dev.named(CONTAINER, "cadvisor").inputs
    assert cadvisor["user"] == "0:0" and "pidMode" not in cadvisor
    assert cadvisor["capabilities"] == {"drops": ["ALL"]} and cadvisor.get("privileged") is not True
    for inputs in (node, cadvisor):
        assert all(v.get("readOnly") for v in inputs["volumes"])
        assert not inputs.get("ports")
    jobs = {j["job_name"]: j for j in dev_prometheus_jobs(dev)}
    assert jobs["node-exporter"]["static_configs"] == [{"targets": ["node-exporter:9100"]}]
    assert jobs["cadvisor"]["static_configs"] == [{"targets": ["cadvisor:8080"]}]


def dev_prometheus_jobs(run) -> list[dict]:
    stack = run.namespace["stack"]
    return yaml.safe_load(stack.services["prometheus"].spec.config_files["prometheus.yml"])["scrape_configs"]

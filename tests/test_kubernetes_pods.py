"""Pod templates: security context, limits, probes, config mounts, config object names and Alertmanager's cluster."""

from __future__ import annotations

import base64
import re

import pytest
import yaml
from conftest import SECRETS
from kubernetes_helpers import CM, SECRET, STS, SVC, container, merge, pod_spec, prod_config, run_prod, workloads

from observability_stack.components.targets.kubernetes_pod import object_keys
from tools.harness.mockrun import SECRET_MARK

KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")


@pytest.fixture(scope="module")
def prod():
    return run_prod()


def test_every_container_is_locked_down(prod):
    for name, record in workloads(prod).items():
        spec, c = pod_spec(record), container(record)
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False, name
        assert sc["capabilities"] == {"drop": ["ALL"]}, name
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"} == spec["securityContext"]["seccompProfile"], name
        assert sc["readOnlyRootFilesystem"] is True, name
        # promtail alone runs as root (the kubelet's pod logs are root's); every other pod must not.
        root = name == "promtail"
        assert sc["runAsNonRoot"] is (not root) and spec["securityContext"]["runAsNonRoot"] is (not root), name
        assert (sc["runAsUser"] == 0) is root, name
        # The read-only root still needs a writable /tmp.
        tmp = [m for m in c["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert tmp and any(v["name"] == tmp[0]["name"] and "emptyDir" in v for v in spec["volumes"]), name


def test_users_match_the_images(prod):
    expected = {"grafana": (472, 0), "loki": (10001, 10001), "jaeger": (10001, 10001), "prometheus": (65534, 65534)}
    found = workloads(prod)
    for name, (uid, gid) in expected.items():
        pod = pod_spec(found[name])["securityContext"]
        assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (uid, gid, gid), name


def test_every_container_has_limits_and_probes(prod):
    for name, record in workloads(prod).items():
        c = container(record)
        for kind in ("requests", "limits"):
            assert set(c["resources"][kind]) == {"cpu", "memory"}, name
        ports = {p["containerPort"] for p in c["ports"]}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            get = c[probe]["httpGet"]
            assert get["path"].startswith("/") and get["port"] in ports, (name, probe)
    assert container(workloads(prod)["loki"])["readinessProbe"]["httpGet"] == {"path": "/ready", "port": 3100}
    limits = container(workloads(prod)["loki"])["resources"]["limits"]
    assert limits == {"cpu": "1", "memory": "1Gi"}


def test_config_files_mount_through_valid_keys(prod):
    """ConfigMap keys are flat; the volume items restore every nested path under the config directory."""
    stack = prod.namespace["stack"]
    for name, record in workloads(prod).items():
        spec = stack.services[name].spec
        files = {**spec.config_files, **{p: base64.b64encode(b).decode() for p, b in spec.binary_files.items()}}
        if not files:  # configured by flags alone: no ConfigMap, no config volume
            assert not prod.of_type(CM) or f"{name}-config" not in [r.short for r in prod.of_type(CM)]
            assert not [v for v in pod_spec(record)["volumes"] if "configMap" in v], name
            continue
        inputs = prod.named(CM, f"{name}-config").inputs
        data = {**inputs["data"], **inputs.get("binaryData", {})}
        assert all(KEY.match(key) for key in data), name
        (volume,) = [v for v in pod_spec(record)["volumes"] if "configMap" in v]
        restored = {item["path"]: data[item["key"]] for item in volume["configMap"]["items"]}
        assert restored == files, name
        mount = [m for m in container(record)["volumeMounts"] if m["name"] == volume["name"]]
        assert mount == [{"name": volume["name"], "mountPath": stack.services[name].spec.config_dir, "readOnly": True}]
    assert any("/" in path for path in stack.services["prometheus"].spec.config_files)  # the case that matters


def test_object_keys_are_valid_unique_and_stable():
    paths = ["rules/prsm.yml", "rules__prsm.yml", "dash boards/a+b.json", "x" * 300, "a/b/c.yml"]
    keys = object_keys(paths)
    assert set(keys) == set(paths) and len(set(keys.values())) == len(paths)
    assert all(KEY.match(k) for k in keys.values())
    assert object_keys(reversed(paths)) == keys


def test_secrets_reach_the_pod_from_secrets_only(prod):
    grafana = workloads(prod)["grafana"]
    (volume,) = [v for v in pod_spec(grafana)["volumes"] if "secret" in v]
    secret = prod.named(SECRET, "grafana-secret-files")
    # Auto-named by the provider (the mocks imitate it): the pod follows the object's actual name.
    assert "name" not in secret.inputs["metadata"]
    assert re.fullmatch(r"observability-grafana-secret-files-[0-9a-f]{8}", volume["secret"]["secretName"])
    assert volume["secret"]["defaultMode"] == 0o440
    mount = [m for m in container(grafana)["volumeMounts"] if m["name"] == volume["name"]][0]
    assert mount["mountPath"] == "/run/secrets/grafana" and mount["readOnly"] is True
    assert secret.inputs["stringData"] == SECRET_MARK and "stringData" in secret.secret_paths


def test_s3_credentials_come_from_a_secret_as_env():
    config = merge(
        prod_config(), "loki", storage={"type": "s3", "s3": {"bucket": "logs", "endpoint": "http://minio:9000"}}
    )
    config["observability:secrets"].update(
        loki_s3_access_key_id="AKIDEXAMPLE", loki_s3_secret_access_key="s3-secret-value"
    )
    run = run_prod(config, reveal=True)
    env = {e["name"]: e for e in container(workloads(run)["loki"])["env"]}
    for name in ("LOKI_S3_ACCESS_KEY_ID", "LOKI_S3_SECRET_ACCESS_KEY"):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["key"] == name and re.fullmatch(r"observability-loki-secret-env-[0-9a-f]{8}", ref["name"])
    secret = run.named(SECRET, "loki-secret-env")
    assert secret.inputs["stringData"] == {
        "LOKI_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "LOKI_S3_SECRET_ACCESS_KEY": "s3-secret-value",
    }
    assert "s3-secret-value" not in str(run.named(CM, "loki-config").inputs)
    assert "s3-secret-value" not in str(workloads(run)["loki"].inputs)


# --- config object names: a changed file rolls the pods through a new object ------------------


def _config_names(run):
    """Service -> the ConfigMap name its pods mount."""
    names = {}
    for name, record in workloads(run).items():
        for volume in [v for v in pod_spec(record)["volumes"] if "configMap" in v]:
            names[name] = volume["configMap"]["name"]
    return names


def _files(run):
    return {name: (c.spec.config_files, c.spec.binary_files) for name, c in run.namespace["stack"].services.items()}


@pytest.mark.parametrize(
    "section,values",
    [
        ("prometheus", {"scrape_interval": "20s"}),  # prometheus.yml only
        ("alertmanager", {"replicas": 2}),  # alertmanager targets in prometheus.yml and loki.yaml
        ("loki", {"retention": "360h"}),
        ("prometheus", {"limits": {"cpu": "2", "memory": "4Gi"}}),  # no file changes: no new ConfigMap
    ],
)
def test_config_map_name_changes_when_and_only_when_its_files_change(prod, section, values):
    changed = run_prod(merge(prod_config(), section, **values))
    before, after = _config_names(prod), _config_names(changed)
    files_before, files_after = _files(prod), _files(changed)
    for name in before:
        assert (before[name] != after[name]) == (files_before[name] != files_after[name]), name
        assert re.fullmatch(rf"{name}-config-[0-9a-f]{{10}}", after[name]), name
        # The ConfigMap resource keeps its name: the provider replaces it, creating the new object first.
        assert changed.named(CM, f"{name}-config").inputs["metadata"]["name"] == after[name]
    assert before == _config_names(run_prod())  # deterministic: the same config gives the same names


def test_a_config_change_rolls_only_that_service(prod):
    # (scrape_interval would roll Grafana too: its datasource carries the interval.)
    changed = _config_names(run_prod(merge(prod_config(), "prometheus", external_labels={"cluster": "prod-eu"})))
    assert {n for n in changed if changed[n] != _config_names(prod)[n]} == {"prometheus"}


def test_no_pod_template_carries_anything_derived_from_a_secret():
    """No checksum annotation: a hash of a short password in a pod template could be brute-forced by
    anyone who can read Deployments, who are more than those who can read Secrets."""
    run = run_prod(reveal=True)
    for name, record in workloads(run).items():
        template = record.inputs["spec"]["template"]
        assert not template["metadata"].get("annotations"), name
        assert not [p for p in record.secret_paths if p.startswith("spec.template")], name
        assert SECRETS["grafana_admin_password"] not in str(template), name


# --- Alertmanager cluster ---------------------------------------------------------------------


@pytest.mark.parametrize("replicas", [1, 3, 5])
def test_alertmanager_peers_match_replicas(replicas):
    run = run_prod(merge(prod_config(), "alertmanager", replicas=replicas))
    statefulset = run.named(STS, "alertmanager")
    assert statefulset.inputs["spec"]["replicas"] == replicas
    args = container(statefulset)["args"]
    peers = sorted(a.split("=", 1)[1] for a in args if a.startswith("--cluster.peer="))
    # Pod <statefulset>-<i> under the StatefulSet's governing (headless) Service.
    service = statefulset.inputs["spec"]["serviceName"]
    expected = [f"{statefulset.inputs['metadata']['name']}-{i}.{service}:9094" for i in range(replicas)]
    prometheus = yaml.safe_load(run.named(CM, "prometheus-config").inputs["data"]["prometheus.yml"])
    targets = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    if replicas == 1:
        assert peers == [] and "--cluster.listen-address=" in args and targets == ["alertmanager:9093"]
        return
    assert service == "alertmanager-headless" and peers == expected
    assert sorted(targets) == [p.replace(":9094", ":9093") for p in expected]
    assert "--cluster.advertise-address=$(POD_IP):9094" in args
    env = {e["name"]: e for e in container(statefulset)["env"]}
    assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    headless = run.named(SVC, "alertmanager-headless").inputs
    assert headless["metadata"]["name"] == "alertmanager-headless"
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    ports = {(p["port"], p["protocol"]) for p in headless["spec"]["ports"]}
    assert {(9094, "TCP"), (9094, "UDP"), (9093, "TCP")} <= ports


def test_alertmanager_zoneinfo_reaches_the_pod_as_binary_data():
    """Shipped time-zone data must land at $ZONEINFO/<zone> inside the pod, byte for byte."""
    import base64 as b64
    from importlib import resources

    from conftest import stack_config

    from tools.harness.mockrun import run_program

    run = run_program(stack_config("prod"), stack="prod")
    config_map = run.named("kubernetes:core/v1:ConfigMap", "alertmanager-config")
    encoded = config_map.inputs["binaryData"]["zoneinfo__America__New_York"]
    expected = resources.files("tzdata").joinpath("zoneinfo", "America", "New_York").read_bytes()
    assert b64.b64decode(encoded) == expected
    pod = run.named("kubernetes:apps/v1:StatefulSet", "alertmanager").inputs["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    config_volume = [v for v in pod["volumes"] if "configMap" in v][0]
    items = {i["key"]: i["path"] for i in config_volume["configMap"]["items"]}
    mount = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == config_volume["name"]][0]
    assert f"{mount['mountPath']}/{items['zoneinfo__America__New_York']}" == f"{env['ZONEINFO']}/America/New_York"

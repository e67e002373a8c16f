"""Pod templates: security context, limits, probes, config mounts, checksums and Alertmanager's cluster."""
from __future__ import annotations

import base64
import re

import pytest
import yaml

from components.targets.kubernetes_pod import object_keys
from conftest import SECRETS
from kubernetes_helpers import (CM, SECRET, STS, SVC, container, merge, pod_annotations, pod_spec, prod_config, run_prod,
                                workloads)
from tools.mockrun import SECRET_MARK

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
    assert volume["secret"]["secretName"] == "grafana-secret-files" and volume["secret"]["defaultMode"] == 0o440
    mount = [m for m in container(grafana)["volumeMounts"] if m["name"] == volume["name"]][0]
    assert mount["mountPath"] == "/run/secrets/grafana" and mount["readOnly"] is True
    secret = prod.named(SECRET, "grafana-secret-files")
    assert secret.inputs["stringData"] == SECRET_MARK and "stringData" in secret.secret_paths


def test_s3_credentials_come_from_a_secret_as_env():
    config = merge(prod_config(), "loki", storage={"type": "s3", "s3": {"bucket": "logs", "endpoint": "http://minio:9000"}})
    config["observability:secrets"].update(loki_s3_access_key_id="AKIDEXAMPLE", loki_s3_secret_access_key="s3-secret-value")
    run = run_prod(config, reveal=True)
    env = {e["name"]: e for e in container(workloads(run)["loki"])["env"]}
    for name in ("LOKI_S3_ACCESS_KEY_ID", "LOKI_S3_SECRET_ACCESS_KEY"):
        assert env[name] == {"name": name, "valueFrom": {"secretKeyRef": {"name": "loki-secret-env", "key": name}}}
    secret = run.named(SECRET, "loki-secret-env")
    assert secret.inputs["stringData"] == {"LOKI_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
                                           "LOKI_S3_SECRET_ACCESS_KEY": "s3-secret-value"}
    assert "s3-secret-value" not in str(run.named(CM, "loki-config").inputs)
    assert "checksum/secrets" in pod_annotations(workloads(run)["loki"])


# --- checksums --------------------------------------------------------------------------------

def _checksums(run, which="checksum/config"):
    return {name: pod_annotations(record).get(which) for name, record in workloads(run).items()}


def _files(run):
    return {name: c.spec.config_files for name, c in run.namespace["stack"].services.items()}


@pytest.mark.parametrize("section,values", [
    ("prometheus", {"scrape_interval": "20s"}),  # prometheus.yml only
    ("alertmanager", {"replicas": 2}),  # alertmanager targets in prometheus.yml and loki.yaml
    ("loki", {"retention": "360h"}),
    ("prometheus", {"limits": {"cpu": "2", "memory": "4Gi"}}),  # no file changes: no checksum changes
])
def test_checksum_changes_when_and_only_when_config_changes(prod, section, values):
    changed = run_prod(merge(prod_config(), section, **values))
    before, after = _checksums(prod), _checksums(changed)
    files_before, files_after = _files(prod), _files(changed)
    assert all(before.values()) and all(after.values())
    for name in before:
        assert (before[name] != after[name]) == (files_before[name] != files_after[name]), name
    assert before == _checksums(run_prod())  # deterministic: the same config gives the same checksums


def test_a_config_change_rolls_only_that_service(prod):
    # (scrape_interval would roll Grafana too: its datasource carries the interval.)
    changed = _checksums(run_prod(merge(prod_config(), "prometheus", external_labels={"cluster": "prod-eu"})))
    assert {n for n in changed if changed[n] != _checksums(prod)[n]} == {"prometheus"}


def test_secret_checksum_changes_with_the_secret_and_stays_secret(prod):
    config = prod_config()
    revealed = run_prod(config, reveal=True)
    config["observability:secrets"]["grafana_admin_password"] = "another-password"
    rotated = run_prod(config, reveal=True)
    a, b = _checksums(revealed, "checksum/secrets"), _checksums(rotated, "checksum/secrets")
    assert a["grafana"] != b["grafana"] and a["alertmanager"] == b["alertmanager"]
    assert _checksums(revealed) == _checksums(rotated)  # config checksums untouched
    assert re.fullmatch(r"[0-9a-f]{64}", a["grafana"]) and SECRETS["grafana_admin_password"] not in a["grafana"]
    # Unrevealed, the hash itself is a secret: a sha256 of a short password can be brute-forced.
    grafana = prod.named("kubernetes:apps/v1:Deployment", "grafana")
    assert pod_annotations(grafana)["checksum/secrets"] == SECRET_MARK
    assert "spec.template.metadata.annotations.checksum/secrets" in grafana.secret_paths


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
    from tools.mockrun import run_program

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
    assert f'{mount["mountPath"]}/{items["zoneinfo__America__New_York"]}' == f'{env["ZONEINFO"]}/America/New_York'


def test_secret_checksum_is_keyed_not_a_bare_hash_of_the_secret():
    """Anyone who can read a pod template must not be able to brute-force the password from it."""
    import hashlib
    import json as js

    run = run_prod(reveal=True)
    annotation = pod_annotations(workloads(run)["grafana"])["checksum/secrets"]
    bare = hashlib.sha256(js.dumps({"file:admin_password": SECRETS["grafana_admin_password"]}, sort_keys=True)
                          .encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", annotation) and annotation != bare
    key = run.named("random:index/randomPassword:RandomPassword", "checksum-key")
    assert key.parent == run.named("observability:index:ObservabilityStack", "observability").urn

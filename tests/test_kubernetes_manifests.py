"""Manifests: every object valid against the official Kubernetes schema (pinned version, strict), and no
secret value in a ConfigMap, in any non-Secret object, or in the files `make render` writes."""

from __future__ import annotations

import copy
import json

import kubernetes_validate
import pytest
import yaml
from conftest import SECRETS
from kubernetes_helpers import CM, SECRET, k8s_records, merge, prod_config, run_prod

from observability_stack.configs.secrets import PLACEHOLDER
from tools.commands import render as render_tool
from tools.harness.manifests import manifests, write_manifests

# A version kubernetes-validate ships; strict schemas reject unknown fields (a misspelt key fails).
K8S_VERSION = "1.33"
VARIANTS = {
    "prod": lambda c: c,
    "ingress": lambda c: merge(
        c,
        "common",
        kubernetes={
            "ingress": {
                "enabled": True,
                "tls_secret": "obs-tls",
                "hosts": {"grafana": "g.example.com", "jaeger": "j.example.com"},
                "allow_unauthenticated": ["jaeger"],
            }
        },
    ),
    "s3-badger-no-policies": lambda c: merge(
        merge(merge(c, "loki", storage={"type": "s3", "s3": {"bucket": "logs"}}), "jaeger", storage="badger"),
        "common",
        kubernetes={"network_policies": False, "storage_class": "fast"},
    ),
}
S3_SECRETS = {"loki_s3_access_key_id": "AKIDEXAMPLE0000", "loki_s3_secret_access_key": "s3-secret-key-value"}


def _config(variant: str) -> dict:
    config = prod_config()
    config["observability:secrets"].update(S3_SECRETS)
    return VARIANTS[variant](config)


def _validate(obj: dict) -> None:
    kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_object_validates_against_the_kubernetes_schema(variant):
    objects = manifests(run_prod(_config(variant)))
    kinds = {obj["kind"] for obj in objects.values()}
    assert {"StatefulSet", "Deployment", "DaemonSet", "Service", "ConfigMap", "Secret", "ServiceAccount"} <= kinds
    for name, obj in objects.items():
        try:
            _validate(obj)
        except kubernetes_validate.utils.SchemaNotFoundError as error:  # would silently skip a kind
            pytest.fail(f"{name}: {error.message}")
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {'.'.join(map(str, error.path))}: {error.message}")


def test_the_schema_check_catches_mistakes():
    objects = manifests(run_prod())
    statefulset = copy.deepcopy(objects["statefulset-prometheus.yaml"])
    statefulset["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(statefulset)
    service = copy.deepcopy(objects["service-alertmanager-headless.yaml"])
    service["spec"]["ports"][0]["port"] = "9093"
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(service)


@pytest.fixture(scope="module")
def revealed():
    """Secret values visible in the record, so a leak would show up as the value itself."""
    return run_prod(_config("s3-badger-no-policies"), reveal=True)


SECRET_VALUES = list(SECRETS.values()) + list(S3_SECRETS.values())


def test_secret_values_only_in_secrets(revealed):
    secrets = revealed.of_type(SECRET)
    stored = json.dumps([s.inputs for s in secrets])
    assert all(value in stored for value in SECRET_VALUES)  # the leak check below can see them
    for record in k8s_records(revealed):
        if record.type == SECRET:
            continue
        text = json.dumps(record.inputs)
        assert not [v for v in SECRET_VALUES if v in text], (record.type, record.short)
    assert revealed.of_type(CM)


def test_rendered_manifests_hold_placeholders_only(revealed, tmp_path):
    write_manifests(revealed, tmp_path)
    texts = {path.name: path.read_text() for path in tmp_path.iterdir()}
    assert texts and not [name for name, text in texts.items() if any(v in text for v in SECRET_VALUES)]
    loki = yaml.safe_load(texts["secret-loki-secret-env.yaml"])
    assert loki["stringData"] == {"LOKI_S3_ACCESS_KEY_ID": PLACEHOLDER, "LOKI_S3_SECRET_ACCESS_KEY": PLACEHOLDER}
    alertmanager = yaml.safe_load(texts["secret-alertmanager-secret-files.yaml"])
    assert set(alertmanager["stringData"]) == {
        "slack_webhook_url",
        "security_slack_webhook",
        "pagerduty_routing_key",
        "smtp_password",
    }


def test_make_render_writes_the_prod_manifests(tmp_path):
    assert render_tool.main(["--stack", "prod", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in (tmp_path / "manifests").iterdir())
    assert "statefulset-alertmanager.yaml" in written and "namespace-observability.yaml" in written
    secret = yaml.safe_load((tmp_path / "manifests" / "secret-grafana-secret-files.yaml").read_text())
    assert secret["stringData"] == {"admin_password": PLACEHOLDER}
    for path in (tmp_path / "manifests").iterdir():
        _validate(yaml.safe_load(path.read_text()))

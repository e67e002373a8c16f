"""The multi-language example (examples/yaml): a Pulumi YAML program that uses the component provider
from the wheel, run by the real Pulumi CLI, the YAML language host and the Kubernetes provider built
from their modules, against a local API server.

The CLI starts the provider as the plugin command the wheel installs (provider/PulumiPlugin.yaml run
by the Python language host, which `make engine` now builds, is not what this test exercises)."""

from __future__ import annotations

import json

import pytest
from engine_helpers import local_cluster
from example_program import ExampleProgram, assert_preview_is_clean, assert_webhook_is_a_secret

from tools.engine import build

pytestmark = pytest.mark.engine

WEBHOOK = "https://hooks.slack.example/services/T000/B000/yaml-example"
NS = "monitoring"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not (build.BIN / "pulumi-language-yaml").exists():
        pytest.fail("pulumi-language-yaml not built: run `make engine`")
    yield from local_cluster(tmp_path_factory)


@pytest.fixture(scope="module")
def program(cluster, venv_bin, tmp_path_factory):
    work = tmp_path_factory.mktemp("yaml-example")
    return ExampleProgram("yaml", work, venv_bin, cluster, WEBHOOK)


def test_up_deploys_prometheus_and_alertmanager_through_the_programs_provider(program, cluster):
    program.pulumi("up", "--yes", "--skip-preview")
    outputs = json.loads(program.pulumi("stack", "output", "--json"))
    assert outputs == {
        "prometheus": f"http://prometheus.{NS}.svc:9090",
        "alertmanager": f"http://alertmanager.{NS}.svc:9093",
    }
    resources = program.resources()
    by_type = {}
    for resource in resources:
        by_type.setdefault(resource["type"], []).append(resource)
    # One Kubernetes provider, the program's; one Namespace, the program's.
    assert [r["urn"].rsplit("::", 1)[-1] for r in by_type["pulumi:providers:kubernetes"]] == ["cluster"]
    assert len(by_type["kubernetes:core/v1:Namespace"]) == 1
    cluster_provider = by_type["pulumi:providers:kubernetes"][0]
    provider_ref = f"{cluster_provider['urn']}::{cluster_provider['id']}"
    kube = [r for r in resources if r["type"].startswith("kubernetes:")]
    assert kube and all(r["provider"] == provider_ref for r in kube)
    # Named after the component (`monitoring` in the YAML program), as every child of it is.
    assert sorted(r["urn"].rsplit("::", 1)[-1] for r in by_type["kubernetes:apps/v1:StatefulSet"]) == [
        "monitoring-alertmanager",
        "monitoring-prometheus",
    ]
    for kind in ("Deployment", "DaemonSet"):
        assert f"kubernetes:apps/v1:{kind}" not in by_type


def test_the_default_deny_covers_the_stacks_pods_only(program, cluster):
    policy = cluster.get(f"/apis/networking.k8s.io/v1/namespaces/{NS}/networkpolicies/{NS}-default-deny-ingress")
    assert policy["spec"]["podSelector"] == {
        "matchLabels": {
            "app.kubernetes.io/instance": NS,
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/part-of": "observability",
        }
    }


def test_the_secret_crosses_the_language_boundary_as_a_secret(program, cluster):
    assert_webhook_is_a_secret(program, cluster, NS, WEBHOOK)


def test_a_second_preview_changes_nothing(program):
    assert_preview_is_clean(program)


def test_destroy_keeps_the_namespace_and_the_data(program, cluster):
    program.pulumi("destroy", "--yes", "--skip-preview")
    assert not [r for r in program.resources() if r["type"].startswith("kubernetes:")]
    assert not cluster.exists(f"/apis/apps/v1/namespaces/{NS}/statefulsets/prometheus")
    assert cluster.exists(f"/api/v1/namespaces/{NS}")
    for claim in ("data-prometheus-0", "data-alertmanager-0"):
        assert cluster.exists(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{claim}")

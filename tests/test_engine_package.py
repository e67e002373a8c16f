"""The multi-language example (examples/yaml): a Pulumi YAML program that uses the component provider
from the wheel, run by the real Pulumi CLI, the YAML language host and the Kubernetes provider built
from their modules, against a local API server.

The CLI starts the provider as the plugin command the wheel installs (provider/PulumiPlugin.yaml run
by the Python language host, which `make engine` now builds, is not what this test exercises)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest
import yaml
from engine_helpers import local_cluster
from package_helpers import ROOT, clean_env

from tools.engine import build, local
from tools.engine.cluster import CONTEXT

pytestmark = pytest.mark.engine

WEBHOOK = "https://hooks.slack.example/services/T000/B000/yaml-example"
NS = "monitoring"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not (build.BIN / "pulumi-language-yaml").exists():
        pytest.fail("pulumi-language-yaml not built: run `make engine`")
    yield from local_cluster(tmp_path_factory)


class Program:
    """The example in a scratch directory, its provider path pointed at the installed plugin."""

    def __init__(self, work, plugin_dir, cluster):
        self.dir = work / "program"
        shutil.copytree(ROOT / "examples" / "yaml", self.dir)
        project = yaml.safe_load((self.dir / "Pulumi.yaml").read_text())
        project["plugins"]["providers"][0]["path"] = str(plugin_dir)
        (self.dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        self.state = work / "state"
        self.state.mkdir()
        self.env = clean_env(
            **local.engine_env("file://" + str(self.state), work / "home"),
            PULUMI_CONFIG_PASSPHRASE="yaml-example",
        )
        self.pulumi("stack", "init", "dev")
        self.pulumi("config", "set", "kubeconfig", str(cluster.kubeconfig))
        self.pulumi("config", "set", "context", CONTEXT)
        self.pulumi("config", "set", "--secret", "slackWebhook", WEBHOOK)

    def pulumi(self, *args: str) -> str:
        result = subprocess.run(
            [build.BIN / "pulumi", *args, "--non-interactive", "--color", "never"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"pulumi {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def resources(self) -> list[dict]:
        return json.loads(self.pulumi("stack", "export"))["deployment"].get("resources") or []


@pytest.fixture(scope="module")
def program(cluster, venv_bin, tmp_path_factory):
    work = tmp_path_factory.mktemp("yaml-example")
    return Program(work, venv_bin, cluster)


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
    # In the cluster, in Alertmanager's Secret; in the state file, encrypted only.
    secrets = cluster.get(f"/api/v1/namespaces/{NS}/secrets")["items"]
    delivered = [s for s in secrets if "alertmanager-secret-files" in s["metadata"]["name"]]
    assert any(WEBHOOK in base64.b64decode(v).decode() for s in delivered for v in (s.get("data") or {}).values())
    state = "".join(p.read_text() for p in program.state.rglob("*.json"))
    assert WEBHOOK not in state
    config_maps = json.dumps(cluster.get(f"/api/v1/namespaces/{NS}/configmaps"))
    assert WEBHOOK not in config_maps


def test_a_second_preview_changes_nothing(program):
    out = program.pulumi("preview", "--diff")
    assert "to create" not in out and "to update" not in out and "to replace" not in out and "to delete" not in out
    assert "unchanged" in out


def test_destroy_keeps_the_namespace_and_the_data(program, cluster):
    program.pulumi("destroy", "--yes", "--skip-preview")
    assert not [r for r in program.resources() if r["type"].startswith("kubernetes:")]
    assert not cluster.exists(f"/apis/apps/v1/namespaces/{NS}/statefulsets/prometheus")
    assert cluster.exists(f"/api/v1/namespaces/{NS}")
    for claim in ("data-prometheus-0", "data-alertmanager-0"):
        assert cluster.exists(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{claim}")

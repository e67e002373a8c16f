"""The TypeScript example (examples/typescript): an SDK generated from the component provider's schema
by the real CLI and the Node.js language host, type-checked by tsc, and deployed by the real engine
and Kubernetes provider against a local API server.

The SDK is generated as `pulumi package add` does (`pulumi package gen-sdk --local`, into
sdks/observability) from the plugin command the wheel installs; npm installs it with the example's
pinned dependencies from the npm registry."""

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

WEBHOOK = "https://hooks.slack.example/services/T000/B000/typescript-example"
NS = "monitoring-ts"  # the namespace is named after `namePrefix`


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    for binary in ("pulumi-language-nodejs", "pulumi-resource-kubernetes"):
        if not (build.BIN / binary).exists():
            pytest.fail(f"{binary} not built: run `make engine`")
    if not shutil.which("npm"):
        pytest.fail("npm is not installed (.ci/run installs Debian's)")
    yield from local_cluster(tmp_path_factory)


class Program:
    """The example in a scratch directory, with its SDK generated and its packages installed."""

    def __init__(self, work, plugin_dir, cluster):
        self.dir = work / "program"
        shutil.copytree(ROOT / "examples" / "typescript", self.dir, ignore=shutil.ignore_patterns("node_modules"))
        project = yaml.safe_load((self.dir / "Pulumi.yaml").read_text())
        project["plugins"]["providers"][0]["path"] = str(plugin_dir)
        (self.dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        self.state = work / "state"
        self.state.mkdir()
        self.env = clean_env(
            **local.engine_env("file://" + str(self.state), work / "home"),
            PULUMI_CONFIG_PASSPHRASE="typescript-example",
        )
        self.plugin = plugin_dir / "pulumi-resource-observability"
        self.generate_sdk()
        self.run("npm", "ci", "--no-audit", "--no-fund")
        self.pulumi("stack", "init", "dev")
        self.pulumi("config", "set", "kubeconfig", str(cluster.kubeconfig))
        self.pulumi("config", "set", "context", CONTEXT)
        self.pulumi("config", "set", "--secret", "slackWebhook", WEBHOOK)

    def generate_sdk(self) -> None:
        out = self.dir / "sdks"
        self.pulumi("package", "gen-sdk", str(self.plugin), "--language", "nodejs", "--local", "--out", str(out))
        (out / "nodejs").rename(out / "observability")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(args, cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=600)
        if check:
            assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    def pulumi(self, *args: str) -> str:
        return self.run(str(build.BIN / "pulumi"), *args, "--non-interactive", "--color", "never").stdout

    def resources(self) -> list[dict]:
        return json.loads(self.pulumi("stack", "export"))["deployment"].get("resources") or []


@pytest.fixture(scope="module")
def program(cluster, venv_bin, tmp_path_factory):
    work = tmp_path_factory.mktemp("typescript-example")
    return Program(work, venv_bin, cluster)


# tsc on one file, with the example's settings (a file named on the command line ignores tsconfig.json).
TSC = ("npx", "tsc", "--noEmit", "--strict", "--skipLibCheck", "--module", "commonjs", "--moduleResolution", "node")


@pytest.mark.parametrize(
    "old, new, error",
    [
        ('retention: "7d"', "retention: 7", "Type 'number' is not assignable to type 'string'"),
        ("scrapeJobs:", "scrapeJob:", "'scrapeJob' does not exist in type"),
        ('for: "5m"', 'for_: "5m"', "'for_' does not exist in type"),
    ],
)
def test_the_generated_sdk_types_the_config(program, old, new, error):
    # The example compiles clean; a number for a duration or a misspelt key does not compile.
    program.run("npx", "tsc", "--noEmit")
    source = (program.dir / "index.ts").read_text()
    assert old in source
    broken = program.dir / "broken.ts"
    broken.write_text(source.replace(old, new))
    try:
        result = program.run(*TSC, broken.name, check=False)
    finally:
        broken.unlink()
    assert result.returncode != 0 and error in result.stdout, result.stdout


def test_up_deploys_prometheus_and_alertmanager(program, cluster):
    program.pulumi("up", "--yes", "--skip-preview")
    outputs = json.loads(program.pulumi("stack", "output", "--json"))
    assert outputs == {
        "prometheus": f"http://prometheus.{NS}.svc:9090",
        "alertmanager": f"http://alertmanager.{NS}.svc:9093",
    }
    kinds = {}
    for resource in program.resources():
        kinds.setdefault(resource["type"], []).append(resource["urn"].rsplit("::", 1)[-1])
    assert sorted(kinds["kubernetes:apps/v1:StatefulSet"]) == ["monitoring-alertmanager", "monitoring-prometheus"]
    assert "kubernetes:apps/v1:Deployment" not in kinds


def test_the_typed_config_reached_the_rendered_files(program, cluster):
    # The rule group, the scrape job and the SLO written in TypeScript are in Prometheus' config.
    maps = cluster.get(f"/api/v1/namespaces/{NS}/configmaps")["items"]
    files = {
        key: value
        for m in maps
        if m["metadata"]["name"].startswith("prometheus-config")
        for key, value in (m.get("data") or {}).items()
    }
    prometheus = yaml.safe_load(files["prometheus.yml"])
    assert prometheus["storage"]["tsdb"]["retention"]["time"] == "7d"
    assert any(job["job_name"] == "my-app" for job in prometheus["scrape_configs"])
    rules = "".join(value for key, value in files.items() if key.startswith("rules__"))
    assert "MyAppDown" in rules and "my_app_availability" in rules


def test_the_secret_crosses_the_language_boundary_as_a_secret(program, cluster):
    secrets = cluster.get(f"/api/v1/namespaces/{NS}/secrets")["items"]
    delivered = [s for s in secrets if "alertmanager-secret-files" in s["metadata"]["name"]]
    assert any(WEBHOOK in base64.b64decode(v).decode() for s in delivered for v in (s.get("data") or {}).values())
    state = "".join(p.read_text() for p in program.state.rglob("*.json"))
    assert WEBHOOK not in state
    assert WEBHOOK not in json.dumps(cluster.get(f"/api/v1/namespaces/{NS}/configmaps"))


def test_a_second_preview_changes_nothing(program):
    out = program.pulumi("preview", "--diff")
    assert "to create" not in out and "to update" not in out and "to replace" not in out and "to delete" not in out
    assert "unchanged" in out


def test_destroy_removes_the_workloads_and_keeps_the_data(program, cluster):
    program.pulumi("destroy", "--yes", "--skip-preview")
    assert not [r for r in program.resources() if r["type"].startswith("kubernetes:")]
    assert not cluster.exists(f"/apis/apps/v1/namespaces/{NS}/statefulsets/prometheus")
    for claim in ("data-prometheus-0", "data-alertmanager-0"):
        assert cluster.exists(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{claim}")

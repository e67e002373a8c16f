"""The TypeScript example (examples/typescript): an SDK generated from the component provider's schema
by the real CLI and the Node.js language host, type-checked by tsc, and deployed by the real engine
and Kubernetes provider against a local API server.

The SDK is generated as `pulumi package add` does (`pulumi package gen-sdk --local`, into
sdks/observability) from the plugin command the wheel installs; npm installs it with the example's
pinned dependencies from the npm registry."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from engine_helpers import local_cluster
from example_program import ExampleProgram, assert_preview_is_clean, assert_webhook_is_a_secret

from tools.engine import build

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


def _sdk_and_packages(program: ExampleProgram) -> None:
    out = program.dir / "sdks"
    program.pulumi("package", "gen-sdk", str(program.plugin), "--language", "nodejs", "--local", "--out", str(out))
    (out / "nodejs").rename(out / "observability")
    program.run("npm", "ci", "--no-audit", "--no-fund")


@pytest.fixture(scope="module")
def program(cluster, venv_bin, tmp_path_factory):
    work = tmp_path_factory.mktemp("typescript-example")
    return ExampleProgram("typescript", work, venv_bin, cluster, WEBHOOK, prepare=_sdk_and_packages)


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
    assert_webhook_is_a_secret(program, cluster, NS, WEBHOOK)


def test_a_second_preview_changes_nothing(program):
    assert_preview_is_clean(program)


def test_destroy_removes_the_workloads_and_keeps_the_data(program, cluster):
    program.pulumi("destroy", "--yes", "--skip-preview")
    assert not [r for r in program.resources() if r["type"].startswith("kubernetes:")]
    assert not cluster.exists(f"/apis/apps/v1/namespaces/{NS}/statefulsets/prometheus")
    for claim in ("data-prometheus-0", "data-alertmanager-0"):
        assert cluster.exists(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{claim}")

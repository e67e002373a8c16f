"""The installable package: what a wheel holds, the Python example's own tests run against the wheel
installed in a fresh virtualenv, and the component provider's schema read by the real Pulumi CLI.
The YAML example runs on the real engine in tests/test_engine_package.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest
from package_helpers import ROOT, clean_env

from tools.engine import build, local


def test_the_wheel_holds_the_package_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names if ".dist-info/" not in name} == {"observability_stack"}
    assert "observability_stack/provider.py" in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Requires-Dist: pulumi-kubernetes" in metadata


def test_the_python_example_passes_its_tests_against_the_installed_package(venv_bin, tmp_path):
    example = tmp_path / "example"
    shutil.copytree(ROOT / "examples" / "prometheus-alertmanager", example)
    result = subprocess.run(
        [venv_bin / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=example,
        env=clean_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    # The package came from the virtualenv, not from this checkout.
    where = subprocess.run(
        [venv_bin / "python", "-c", "import observability_stack; print(observability_stack.__file__)"],
        cwd=example,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(venv_bin.parent))


def test_the_provider_schema_as_the_pulumi_cli_reads_it(venv_bin, tmp_path):
    if not (build.BIN / "pulumi").exists():
        pytest.fail("the Pulumi CLI is not built: run `make engine`")
    env = clean_env(**local.engine_env("file://" + str(tmp_path), tmp_path / "home"))
    result = subprocess.run(
        [build.BIN / "pulumi", "package", "get-schema", venv_bin / "pulumi-resource-observability"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    import observability_stack

    assert (schema["name"], schema["version"]) == ("observability", observability_stack.__version__)
    stack = schema["resources"]["observability:index:ObservabilityStack"]
    assert set(stack["inputProperties"]) == {"config", "secrets", "projectRoot"}
    assert set(stack["properties"]) == {"urls", "grafanaAdminPassword"}
    assert all(prop.get("description") for prop in stack["inputProperties"].values())
    # The config is typed to the sections' keys, as the CLI hands it to an SDK generator.
    assert stack["inputProperties"]["config"]["$ref"] == "#/types/observability:index:StackConfig"
    prometheus = schema["types"]["observability:index:Prometheus"]["properties"]
    assert prometheus["retention"]["type"] == "string" and "scrapeJobs" in prometheus
    assert "for" in schema["types"]["observability:index:Rule"]["properties"]

"""`make up` / `make down` orchestration, with stand-ins for the Pulumi CLI and Docker on PATH: the
order of the calls, the local backend and passphrase, the Grafana password kept in stack config, and
the clear failure when a tool is missing. The real commands, with the CLI `make engine` builds, run in
test_make_up_engine.py."""

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tools.harness.mockrun import ROOT

FAKE = """#!/bin/bash
echo "$(basename "$0") $* | $PULUMI_BACKEND_URL | ${PULUMI_CONFIG_PASSPHRASE_FILE:-}" >> "$FAKE_LOG"
case "$(basename "$0") $1 $2" in
  "pulumi stack select") exit 1;;
  "pulumi config get") exit "${CONFIG_GET_RC:-1}";;
  "pulumi config set") echo "stdin:$(cat)" >> "$FAKE_LOG";;
esac
exit 0
"""


def tools_dir(tmp_path: Path, names: list[str]) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in names:
        path = bin_dir / name
        path.write_text(FAKE)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    # The interpreter running the tests, not whatever `python3` is on PATH (a pyenv shim needs pyenv).
    (bin_dir / "python3").symlink_to(sys.executable)
    for real in ("make", "bash", "sh", "env", "mkdir", "cat", "basename", "echo", "touch", "true"):
        found = shutil.which(real)
        if found and not (bin_dir / real).exists():
            (bin_dir / real).symlink_to(found)
    return bin_dir


def make(target: str, tmp_path: Path, tools: list[str], **env) -> tuple[subprocess.CompletedProcess, list[str]]:
    log = tmp_path / "calls.log"
    environ = {"PATH": str(tools_dir(tmp_path, tools)), "HOME": str(tmp_path / "home"), "FAKE_LOG": str(log), **env}
    # The Python environment is the test's own: do not let make build .venv here.
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(ROOT),
            target,
            "STACK=dev",
            "PY=python3",
            "-o",
            ".venv/.installed",
            # The stand-in engine has no images to check.
            "IMAGE_PREFLIGHT=true",
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, log.read_text().splitlines() if log.exists() else []


def test_up_creates_the_stack_on_a_local_backend_and_keeps_a_grafana_password(tmp_path):
    result, calls = make("up", tmp_path, ["pulumi", "docker"])
    assert result.returncode == 0, result.stdout + result.stderr
    state = tmp_path / "home" / ".pulumi-observability"
    pulumi = [c.split(" | ") for c in calls if c.startswith("pulumi ")]
    assert [c[0] for c in pulumi] == [
        "pulumi stack select dev",
        "pulumi stack init dev --secrets-provider passphrase",
        "pulumi config get --path observability:secrets.grafana_admin_password --stack dev",
        "pulumi config set --secret --path observability:secrets.grafana_admin_password --stack dev",
        "pulumi up --yes --stack dev",
        "pulumi stack output urls --json --stack dev",
    ]
    assert all(c[1] == f"file://{state}" and c[2] == f"{state}/passphrase" for c in pulumi)
    password = [c for c in calls if c.startswith("stdin:")][0].removeprefix("stdin:")
    assert len(password) >= 24 and "\n" not in password
    passphrase = state / "passphrase"
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600 and len(passphrase.read_text().strip()) >= 32


def test_up_keeps_an_existing_grafana_password(tmp_path):
    result, calls = make("up", tmp_path, ["pulumi", "docker"], CONFIG_GET_RC="0")
    assert result.returncode == 0
    assert not any(c.startswith("pulumi config set") for c in calls)


def test_down_destroys_and_says_volumes_are_kept(tmp_path):
    result, calls = make("down", tmp_path, ["pulumi", "docker"])
    assert result.returncode == 0
    assert any(c.startswith("pulumi destroy --yes --stack dev") for c in calls)
    assert "Data volumes are kept" in result.stdout


@pytest.mark.parametrize(
    "missing, hint",
    [
        # No CLI installed: `make up` builds the engine's, which needs Go (none on this PATH).
        ("pulumi", "Go 1.26 is needed to build pulumi"),
        ("docker", "Docker is not installed"),
    ],
)
def test_up_fails_clearly_without_a_tool(tmp_path, missing, hint):
    present = [t for t in ("pulumi", "docker") if t != missing]
    result, calls = make("up", tmp_path, present)
    assert result.returncode != 0
    assert hint in result.stdout + result.stderr
    assert not any(c.startswith("pulumi up") for c in calls)

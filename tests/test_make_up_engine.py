"""The README's main command for real: `make up` / `make down` with no Pulumi CLI installed, so the
Makefile uses the CLI, Docker provider and Python language host `make engine` built, and the real
Docker Engine. On a machine that cannot pull the pinned images (ours: no registry), the dev stack
stops before anything is created and names them; a stack of the local images deploys and comes down
with its volumes kept."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from tools.commands.docker_api import Engine
from tools.commands.images import build_images
from tools.engine import build, vendored
from tools.harness.docker_local import local_config
from tools.harness.mockrun import ROOT

pytestmark = pytest.mark.docker

PREFIX = "obs-make"


def without_pulumi_on_path() -> str:
    return os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "pulumi").exists())


def make(project: Path, target: str, stack: str, state: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": without_pulumi_on_path(),
        "OBS_ENGINE_CACHE": str(build.CACHE),
        "OBS_VENDOR_DIR": str(vendored.VENDOR),
    }
    env.pop("PULUMI_BACKEND_URL", None)
    env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(project),
            target,
            f"STACK={stack}",
            f"STATE_DIR={state}",
            f"VENV={ROOT / '.venv'}",
            "-o",
            f"{ROOT / '.venv'}/.installed",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def registry_unreachable() -> bool:
    try:
        socket.getaddrinfo("registry-1.docker.io", 443)
        return False
    except OSError:
        return True


@pytest.fixture(scope="module")
def engine():
    engine = Engine()
    if not engine.ping():
        pytest.fail("no Docker Engine answers on /var/run/docker.sock: start dockerd (as root), as .ci/run does")
    return engine


def stack_containers(engine: Engine, prefix: str) -> list[str]:
    found = engine.call("GET", "/containers/json", query={"all": "1", "filters": json.dumps({"name": [prefix]})})
    return [c["Names"][0].lstrip("/") for c in found]


def test_make_up_names_the_images_it_cannot_pull_and_creates_nothing(engine, tmp_path):
    if not registry_unreachable():
        pytest.skip("the registry is reachable here: `make up` would pull the images and deploy the dev stack")
    result = make(ROOT, "up", "dev", tmp_path / "state")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "are not on this Docker Engine and could not be pulled; nothing was created" in out, out
    for ref in ("grafana/grafana:", "grafana/loki:", "prom/prometheus:v3.16.0"):
        assert ref in out, out
    assert "observability:common.image_registry" in out and "python -m tools.commands.images" in out, out
    assert "Traceback" not in out and "pulumi up" not in result.stdout, out
    assert not stack_containers(engine, "obs-dev-")
    assert not (tmp_path / "state" / ".pulumi" / "stacks").exists(), "no stack was even created"


def project_copy(tmp_path: Path) -> Path:
    """The repository's program and Makefile, with a stack file of the images that exist here."""
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", "*.pyc")
    for name in ("observability_stack", "tools"):
        shutil.copytree(ROOT / name, project / name, ignore=ignore)
    for name in ("Makefile", "Pulumi.yaml", "__main__.py", "program.py", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, project / name)
    (project / ".venv").symlink_to(ROOT / ".venv")
    stack_file = {"config": local_config(PREFIX)}
    (project / "Pulumi.local.yaml").write_text(yaml.safe_dump(stack_file, sort_keys=False))
    return project


def test_make_up_deploys_a_stack_of_local_images_and_make_down_keeps_its_volumes(engine, tmp_path):
    build_images()
    project = project_copy(tmp_path)
    state = tmp_path / "state"
    try:
        up = make(project, "up", "local", state)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "using pulumi-language-python from $PATH" in up.stderr, "the language host ran __main__.py"
        urls = json.loads(up.stdout[up.stdout.rindex("\n{") + 1 :])  # `pulumi stack output urls --json`
        assert urls["prometheus"]["internal"] == "http://prometheus:9090", urls
        for service in ("prometheus", "alertmanager", "jaeger", "node-exporter"):
            health = engine.inspect(f"{PREFIX}-{service}")["State"]["Health"]["Status"]
            assert health == "healthy", (service, health)
        again = make(project, "up", "local", state)
        assert again.returncode == 0, again.stdout + again.stderr
        assert re.search(r"Resources:\s+\d+ unchanged\s", again.stdout), again.stdout
        down = make(project, "down", "local", state)
        assert down.returncode == 0, down.stdout + down.stderr
        assert "Data volumes are kept" in down.stdout
        assert not stack_containers(engine, f"{PREFIX}-")
        volumes = engine.call("GET", "/volumes", query={"filters": json.dumps({"name": [PREFIX]})})["Volumes"] or []
        assert {v["Name"] for v in volumes} == {f"{PREFIX}-prometheus-data", f"{PREFIX}-alertmanager-data"}
    finally:
        for name in stack_containers(engine, f"{PREFIX}-"):
            engine.remove(name)
        for volume in ("prometheus", "alertmanager"):
            try:
                engine.call("DELETE", f"/volumes/{PREFIX}-{volume}-data")
            except Exception:
                pass
        try:
            engine.call("DELETE", f"/networks/{PREFIX}-observability")
        except Exception:
            pass

"""The package as a user gets it: a wheel built from this checkout, installed into a fresh virtualenv
with the pinned dependencies, and nothing of the repository on its path."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_wheel(out: Path) -> Path:
    # From a copy of what the wheel is built from: setuptools writes build/ and *.egg-info next to
    # its source, which must not land in the checkout (or race a second build).
    source = out / "source"
    shutil.copytree(
        ROOT / "observability_stack", source / "observability_stack", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "-w",
            out,
            source,
        ],
        check=True,
        cwd=out,
    )
    (wheel,) = out.glob("observability_stack-*.whl")
    return wheel


def install(wheel: Path, env_dir: Path) -> Path:
    """A fresh virtualenv with the wheel and pytest, the dependencies at requirements.txt's pins."""
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    pins = ROOT / "requirements.txt"
    pytest_pin = next(
        line for line in (ROOT / "requirements-dev.txt").read_text().splitlines() if line.startswith("pytest==")
    )
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", pins, wheel, pytest_pin],
        check=True,
    )
    return env_dir / "bin"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the repository's virtualenv or PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env

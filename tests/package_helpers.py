"""The package as a user gets it: a wheel built from this checkout, installed into a fresh virtualenv
with the pinned dependencies, and nothing of the repository on its path."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps", "-w", out, ROOT],
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

"""Stacks of this repository's program on the engine `make engine` builds: `__main__.py` run by the real
Python language host, as `pulumi up` runs it, in a scratch project driven through the Automation API.

Tests and benchmarks need their own stacks, backends and stack files without writing into the
checkout, so the scratch project links the program's files (`__main__.py`, `program.py`, the
package) and copies `Pulumi.yaml` with its virtualenv pointed at the running interpreter's. The CLI,
plugins and language host are the ones in `make engine-path`; plugins are never downloaded.
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from tools.engine import build

ROOT = Path(__file__).resolve().parents[2]
# What the program reads: its code, and the content packs its stack files name.
PROGRAM_FILES = ("__main__.py", "program.py", "observability_stack", "packs")
SECRETS_KEY = "observability:secrets"


def engine_env(backend_url: str, pulumi_home: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment for the CLI: the built binaries first on PATH, no plugin downloads, no update check."""
    env = {
        "PATH": f"{build.BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_BACKEND_URL": backend_url,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        # A missing plugin is an error here, never a download attempt.
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        **extra,
    }
    if pulumi_home is not None:
        env["PULUMI_HOME"] = str(pulumi_home)
    return env


def project(home: Path, root: Path = ROOT) -> Path:
    work_dir = home / "project"
    work_dir.mkdir(parents=True, exist_ok=True)
    link_program(work_dir, root)
    settings = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    settings["runtime"]["options"]["virtualenv"] = sys.prefix
    (work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return work_dir


def link_program(work_dir: Path, root: Path = ROOT) -> None:
    """Point the project's program files at `root`: this checkout, or another tree of the repository
    (an earlier commit's, to upgrade a stack from it)."""
    for name in PROGRAM_FILES:
        link = work_dir / name
        if link.is_symlink():
            link.unlink()
        if (root / name).exists():  # an earlier commit's tree may predate a file (packs/)
            link.symlink_to(root / name)


def scratch_stack(home: Path, name: str, passphrase: str, root: Path = ROOT, **env: str) -> tuple[auto.Stack, Path]:
    """A stack in a throwaway project (`home/project`) and file backend (`home/state`): the stack and
    its `Pulumi.<name>.yaml`. `root`: the tree whose program it runs (this checkout by default)."""
    work_dir = project(home, root)
    (home / "state").mkdir(exist_ok=True)
    env = engine_env(f"file://{home / 'state'}", home / "pulumi-home", PULUMI_CONFIG_PASSPHRASE=passphrase, **env)
    stack = auto.create_or_select_stack(
        stack_name=name,
        work_dir=str(work_dir),
        opts=auto.LocalWorkspaceOptions(
            env_vars=env,
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(build.BIN.parent)),
        ),
    )
    return stack, work_dir / f"Pulumi.{name}.yaml"


def write_stack_config(stack_file: Path, config: dict[str, Any]) -> None:
    """Replace every plain `observability:*` value; secrets set through the CLI stay (encrypted)."""
    document = (yaml.safe_load(stack_file.read_text()) if stack_file.exists() else None) or {}
    kept = {k: v for k, v in (document.get("config") or {}).items() if k == SECRETS_KEY}
    document["config"] = {**copy.deepcopy(config), **kept}
    stack_file.write_text(yaml.safe_dump(document, sort_keys=True))


def set_secrets(stack: auto.Stack, secrets: dict[str, str]) -> None:
    for key, value in secrets.items():
        stack.set_config(f"{SECRETS_KEY}.{key}", auto.ConfigValue(value, secret=True), path=True)


def on_cluster(config: dict[str, Any], kubeconfig: Path, context: str) -> dict[str, Any]:
    """A stack's plain config (secrets left out), with its Kubernetes provider pointed at a cluster."""
    config = {k: copy.deepcopy(v) for k, v in config.items() if k != SECRETS_KEY}
    common = config.setdefault("observability:common", {})
    common["kubernetes"] = {**common.get("kubernetes", {}), "kubeconfig": str(kubeconfig), "context": context}
    return config

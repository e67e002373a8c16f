"""A scratch Pulumi project that runs this repository's `__main__.py` through the real Python language host.

`make up` runs the program as users do: the CLI starts `pulumi-language-python`, which runs
`__main__.py` in the project's virtualenv. Tests and benchmarks need their own stacks, backends and
stack files without writing into the checkout, so the scratch project links the program's files
(`__main__.py`, `program.py`, the package) and copies `Pulumi.yaml`, pointing its virtualenv at
the running interpreter's. The CLI, plugins and language host are the ones `make engine` built.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from pulumi import automation as auto

from tools.engine import build, inline

ROOT = Path(__file__).resolve().parents[2]
PROGRAM_FILES = ("__main__.py", "program.py", "observability_stack")


def project(home: Path) -> Path:
    work_dir = home / "project"
    work_dir.mkdir(parents=True, exist_ok=True)
    for name in PROGRAM_FILES:
        link = work_dir / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    settings = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    settings["runtime"]["options"]["virtualenv"] = sys.prefix
    (work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return work_dir


def scratch_stack(home: Path, name: str, passphrase: str, **env: str) -> tuple[auto.Stack, Path]:
    """As inline.scratch_stack, but the program is `__main__.py`, run by the language host."""
    work_dir = project(home)
    (home / "state").mkdir(exist_ok=True)
    env = inline.engine_env(
        f"file://{home / 'state'}", home / "pulumi-home", PULUMI_CONFIG_PASSPHRASE=passphrase, **env
    )
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

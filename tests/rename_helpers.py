"""A tree of this repository at the last commit whose resources had bare names (`prometheus`,
`network`), and the program that puts two stacks in one program: what the rename tests run."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import textwrap
from pathlib import Path

import pytest

from observability_stack.configs.load import from_stack_file
from tools.engine.local import PROGRAM_FILES, ROOT

# The parent of the commit that scoped every child by the stack's name (components/naming.py).
BARE_NAMES_COMMIT = "e18a5c3769fbf6116c7e074c33211a08e8a183e6"

TWO_STACKS_MAIN = textwrap.dedent(
    """
    # Two teams' stacks in one program: the stack config's sections, each in a namespace of its own.
    import copy

    import pulumi

    import observability_stack as obs

    base = obs.StackArgs.from_pulumi_config()
    for team in ("team-a", "team-b"):
        config = copy.deepcopy(dict(base.config))
        config["common"] = {**config.get("common", {}), "name_prefix": team}
        stack = obs.ObservabilityStack(team, obs.StackArgs(config, base.secrets))
        pulumi.export(team, stack.urls)
    """
)


def _present(commit: str, names: tuple[str, ...]) -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "--name-only", commit], capture_output=True, text=True, check=True
    ).stdout.split()
    return [name for name in names if name in listed]


def stack_config_at(commit: str, stack: str) -> dict:
    """`Pulumi.<stack>.yaml` as it was at `commit`: what a stack made then was deployed with."""
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:Pulumi.{stack}.yaml"], capture_output=True, text=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"Pulumi.{stack}.yaml"
        path.write_text(text)
        return from_stack_file(path)


def tree_at(commit: str, out: Path) -> Path:
    """The program files of `commit`, unpacked into `out` (from the repository's history)."""
    shallow = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--is-shallow-repository"], capture_output=True, text=True
    ).stdout.strip()
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    if found.returncode != 0:
        if shallow == "true":
            pytest.skip(f"a shallow clone holds no {commit[:12]}: `git fetch --unshallow` to run the upgrade test")
        pytest.fail(f"commit {commit} is not in this repository")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, *_present(commit, PROGRAM_FILES)],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(out, filter="data")
    return out


def two_stacks_tree(out: Path) -> Path:
    """This checkout's package and program.py, with the two-stack program as `__main__.py`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "__main__.py").write_text(TWO_STACKS_MAIN)
    for name in PROGRAM_FILES:
        if name != "__main__.py":
            (out / name).symlink_to(ROOT / name)
    return out

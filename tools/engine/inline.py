"""Run the program through the built Pulumi CLI and providers, as an Automation API inline program.

    KUBECONFIG=$(make -s cluster) .venv/bin/python -m tools.engine.inline up --stack prod

The Go module proxy does not serve Pulumi's Python language host, so the CLI built by
tools/engine/build.py cannot start `__main__.py` itself; an inline program needs no language host:
the Python SDK serves it in this process and the CLI connects to it (Pulumi's own mechanism for
inline programs). The engine, the plugins, the backend and the stack files are the ones `make up`
uses (a local file backend in ~/.pulumi-observability and its passphrase), and the stack's config
is read from `Pulumi.<stack>.yaml` in the repository. With a Pulumi CLI from pulumi.com, plain
`pulumi up` does the same.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, Optional

from pulumi import automation as auto

from tools.engine import build

ROOT = Path(__file__).resolve().parents[2]

PROJECT = "observability"
STATE_DIR = Path(os.environ.get("STATE_DIR", Path.home() / ".pulumi-observability"))


def engine_env(backend_url: str, pulumi_home: Optional[Path] = None, **extra: str) -> dict[str, str]:
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


def program() -> Callable[[], None]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import program as entry

    return lambda: entry.main(str(ROOT))


def open_stack(name: str, work_dir: Path, env: dict[str, str]) -> auto.Stack:
    # Project settings passed here are written to Pulumi.yaml: only where there is none yet.
    settings = None if (work_dir / "Pulumi.yaml").exists() else auto.ProjectSettings(name=PROJECT, runtime="python")
    return auto.create_or_select_stack(
        stack_name=name, project_name=PROJECT, program=program(),
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(work_dir), env_vars=env, secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(build.BIN.parent)), project_settings=settings))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("preview", "up", "destroy", "refresh"))
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args(argv)
    passphrase = Path(os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE", STATE_DIR / "passphrase"))
    if not passphrase.exists() and "PULUMI_CONFIG_PASSPHRASE" not in os.environ:
        print(f"no passphrase: create {passphrase} (make up does) or set PULUMI_CONFIG_PASSPHRASE", file=sys.stderr)
        return 2
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    extra = {} if "PULUMI_CONFIG_PASSPHRASE" in os.environ else {"PULUMI_CONFIG_PASSPHRASE_FILE": str(passphrase)}
    env = engine_env(os.environ.get("PULUMI_BACKEND_URL", f"file://{STATE_DIR}"), **extra)
    stack = open_stack(args.stack, ROOT, env)
    show = dict(on_output=print, color="always")
    try:
        if args.action == "preview":
            stack.preview(**show)
        elif args.action == "up":
            stack.up(**show)
        elif args.action == "refresh":
            stack.refresh(**show)
        else:
            stack.destroy(**show)
    except auto.CommandError as error:
        print(f"{args.action} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

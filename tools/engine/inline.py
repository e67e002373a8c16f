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
import copy
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from tools.engine import build

ROOT = Path(__file__).resolve().parents[2]

PROJECT = "observability"
STATE_DIR = Path(os.environ.get("STATE_DIR", Path.home() / ".pulumi-observability"))


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


def program() -> Callable[[], None]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import program as entry

    return lambda: entry.main(str(ROOT))


def open_stack(name: str, work_dir: Path, env: dict[str, str]) -> auto.Stack:
    # Project settings passed here are written to Pulumi.yaml: only where there is none yet.
    settings = None if (work_dir / "Pulumi.yaml").exists() else auto.ProjectSettings(name=PROJECT, runtime="python")
    return auto.create_or_select_stack(
        stack_name=name,
        project_name=PROJECT,
        program=program(),
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            env_vars=env,
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(build.BIN.parent)),
            project_settings=settings,
        ),
    )


SECRETS_KEY = "observability:secrets"


def scratch_stack(home: Path, name: str, passphrase: str, **env: str) -> tuple[auto.Stack, Path]:
    """A stack in a throwaway project directory (`home/project`) and file backend (`home/state`):
    the stack and its `Pulumi.<name>.yaml`."""
    work_dir = home / "project"
    work_dir.mkdir(parents=True, exist_ok=True)
    (home / "state").mkdir(exist_ok=True)
    env = engine_env(f"file://{home / 'state'}", home / "pulumi-home", PULUMI_CONFIG_PASSPHRASE=passphrase, **env)
    return open_stack(name, work_dir, env), work_dir / f"Pulumi.{name}.yaml"


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


def main(argv: list[str] | None = None) -> int:
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

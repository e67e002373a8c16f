"""`make render STACK=<stack> OUT=<dir>`: every file each service receives and every resource the
program registers, from `Pulumi.<stack>.yaml` alone: no Pulumi CLI, no credentials, no secret values."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import from_stack_file, load
from observability_stack.configs.secrets import PLACEHOLDER
from tools.harness.mockrun import ROOT, Run, run_program


def resource_rows(run: Run) -> list[dict]:
    rows = [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "parent": r.parent,
            "inputs": r.inputs,
            "options": {"retain_on_delete": r.retain_on_delete, "protect": r.protect},
            "provider": r.provider,
            "secret_inputs": sorted(r.secret_paths),
        }
        for r in run.records
    ]
    return sorted(rows, key=lambda row: row["urn"])


def write_files(run: Run, out: Path) -> list[Path]:
    written = []
    stack = run.namespace["stack"]
    for service, component in sorted(stack.services.items()):
        spec = component.spec
        for relative, content in sorted(spec.config_files.items()):
            written.append(_write(out / "files" / service / relative, content))
        for relative, data in sorted(spec.binary_files.items()):
            written.append(_write(out / "files" / service / relative, data))
        for name in sorted(spec.secret_files):
            # Placeholder only: the value stays in Pulumi's encrypted config and state.
            written.append(_write(out / "files" / service / "secrets" / name, PLACEHOLDER + "\n"))
    return written


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def render(stack: str, out: Path) -> Run:
    config = from_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    load(config, str(ROOT))  # fail here, with every problem listed, before the program runs
    run = run_program(config, stack=stack)
    if out.exists():
        shutil.rmtree(out)
    write_files(run, out)
    _write(out / "resources.json", json.dumps(resource_rows(run), indent=2, sort_keys=True) + "\n")
    from tools.harness.manifests import write_manifests  # Kubernetes objects, when the stack has any

    write_manifests(run, out / "manifests")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--out", default="build/render")
    args = parser.parse_args(argv)
    stack_file = ROOT / f"Pulumi.{args.stack}.yaml"
    if not stack_file.exists():
        print(f"no stack file {stack_file.name}", file=sys.stderr)
        return 2
    try:
        run = render(args.stack, Path(args.out))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"rendered stack {args.stack!r}: {len(run.records)} resources, files in {args.out}/files")
    return 0


if __name__ == "__main__":
    sys.exit(main())

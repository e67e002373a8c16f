"""Render every stack (Pulumi.*.yaml) of two checkouts with `make render` and diff the trees.

    python render_diff.py BASE_DIR HEAD_DIR OUT_DIR

Writes OUT_DIR/{base,head}/<stack>/, OUT_DIR/render.diff, OUT_DIR/comment.md (Markdown for the job
summary and the PR comment) and, under GitHub Actions, `head_failed=<stacks>` to $GITHUB_OUTPUT.
It exits 0 even when a stack fails to render, so the diff is still published; the workflow fails
the job afterwards for the head only: a stack that is broken on the base must not block its fix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# A PR comment holds 65,536 characters; the full diff is always in the artifact.
COMMENT_LIMIT = 60_000


def stacks(checkout: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in checkout.glob("Pulumi.*.yaml"))


def render_side(checkout: Path, out: Path, side: str) -> list[str]:
    """Render each stack of one checkout into out/<side>/<stack>; return the stacks that failed."""
    failed = []
    setup = subprocess.run(["make", "-s", "-C", str(checkout), "setup"], capture_output=True, text=True)
    for stack in stacks(checkout):
        target = out / side / stack
        if setup.returncode != 0:
            result = setup
        else:
            result = subprocess.run(
                ["make", "-s", "-C", str(checkout), "render", f"STACK={stack}", f"OUT={target}"],
                capture_output=True,
                text=True,
            )
        (out / f"{side}-{stack}.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            failed.append(stack)
            target.mkdir(parents=True, exist_ok=True)
            # The checkout's path differs between base and head: strip it so equal failures diff equal.
            tail = "\n".join((result.stdout + result.stderr).replace(f"{checkout}/", "").splitlines()[-40:])
            (target / "RENDER-FAILED.txt").write_text(f"make render STACK={stack} failed:\n{tail}\n")
    return failed


def fence(text: str) -> str:
    """A code fence longer than any run of backticks in the text, so the diff cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def comment(diff: str, base_ref: str, all_stacks: list[str], base_failed: list[str], head_failed: list[str]) -> str:
    lines = [
        "<!-- render-diff -->",
        f"### Rendered stacks: `{base_ref}` → this pull request",
        "",
        f"Stacks: {', '.join(all_stacks) or 'none'}. Rendered with `make render` (no secrets, no cloud).",
    ]
    for stack in head_failed:
        lines.append(
            f"> [!CAUTION]\n> Stack `{stack}` does not render on this pull request "
            f"(see `{stack}/RENDER-FAILED.txt` below)."
        )
    for stack in base_failed:
        lines.append(f"> [!NOTE]\n> Stack `{stack}` does not render on `{base_ref}`.")
    if not diff:
        lines += ["", "No change in any rendered file or resource."]
        return "\n".join(lines) + "\n"
    files = sorted(set(re.findall(r"^diff -ruN base/(\S+)", diff, flags=re.M)))
    plus = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    minus = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    lines += ["", f"{len(files)} file(s) changed, +{plus} −{minus} lines:", ""]
    lines += [f"- `{name}`" for name in files[:50]] + ([f"- … and {len(files) - 50} more"] if len(files) > 50 else [])
    body = diff
    if len(body) > COMMENT_LIMIT - 6000:
        body = body[: COMMENT_LIMIT - 6000] + "\n… (truncated: the whole diff is in the `render-diff` artifact)\n"
    mark = fence(body)
    lines += ["", "<details><summary>Diff</summary>", "", f"{mark}diff", body.rstrip("\n"), mark, "", "</details>"]
    return "\n".join(lines)[:COMMENT_LIMIT] + "\n"


def main(argv: list[str]) -> int:
    base, head, out = (Path(a).resolve() for a in argv[1:4])
    out.mkdir(parents=True, exist_ok=True)
    base_failed = render_side(base, out, "base")
    head_failed = render_side(head, out, "head")
    for side in ("base", "head"):
        (out / side).mkdir(exist_ok=True)
    # -N: a file (or a whole stack) present on one side only shows in full.
    result = subprocess.run(["diff", "-ruN", "base", "head"], cwd=out, capture_output=True, text=True)
    if result.returncode > 1:
        print(result.stderr, file=sys.stderr)
        return 2
    # File times say nothing about the change and differ on every run.
    diff = re.sub(r"^((?:---|\+\+\+) \S+)\t.*$", r"\1", result.stdout, flags=re.M)
    (out / "render.diff").write_text(diff)
    all_stacks = sorted(set(stacks(base)) | set(stacks(head)))
    text = comment(diff, os.environ.get("GITHUB_BASE_REF", "base"), all_stacks, base_failed, head_failed)
    (out / "comment.md").write_text(text)
    for variable, content in (
        ("GITHUB_STEP_SUMMARY", text),
        ("GITHUB_OUTPUT", f"head_failed={' '.join(head_failed)}\n"),
    ):
        if os.environ.get(variable):
            with open(os.environ[variable], "a") as handle:
                handle.write(content)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

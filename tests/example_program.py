"""An example program of examples/ run by the real CLI in a scratch directory, its provider path
pointed at the plugin command the wheel installs, on a local API server; and the checks every
example passes there (the webhook crosses the language boundary as a secret, a second preview is
clean)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml
from package_helpers import ROOT, clean_env

from tools.engine import build, local
from tools.engine.cluster import CONTEXT


class ExampleProgram:
    def __init__(
        self,
        example: str,
        work: Path,
        plugin_dir: Path,
        cluster,
        webhook: str,
        prepare: Callable[[ExampleProgram], None] | None = None,
    ):
        self.dir = work / "program"
        shutil.copytree(ROOT / "examples" / example, self.dir, ignore=shutil.ignore_patterns("node_modules", "sdks"))
        project = yaml.safe_load((self.dir / "Pulumi.yaml").read_text())
        project["plugins"]["providers"][0]["path"] = str(plugin_dir)
        (self.dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
        self.plugin = plugin_dir / "pulumi-resource-observability"
        self.state = work / "state"
        self.state.mkdir()
        self.env = clean_env(
            **local.engine_env("file://" + str(self.state), work / "home"),
            PULUMI_CONFIG_PASSPHRASE=f"{example}-example",
        )
        if prepare:
            prepare(self)
        self.pulumi("stack", "init", "dev")
        self.pulumi("config", "set", "kubeconfig", str(cluster.kubeconfig))
        self.pulumi("config", "set", "context", CONTEXT)
        self.pulumi("config", "set", "--secret", "slackWebhook", webhook)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(args, cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=600)
        if check:
            assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    def pulumi(self, *args: str) -> str:
        return self.run(str(build.BIN / "pulumi"), *args, "--non-interactive", "--color", "never").stdout

    def resources(self) -> list[dict]:
        return json.loads(self.pulumi("stack", "export"))["deployment"].get("resources") or []


def assert_webhook_is_a_secret(program: ExampleProgram, cluster, namespace: str, webhook: str) -> None:
    """In the cluster, in Alertmanager's Secret; in the state file, encrypted only; in no ConfigMap."""
    secrets = cluster.get(f"/api/v1/namespaces/{namespace}/secrets")["items"]
    delivered = [s for s in secrets if "alertmanager-secret-files" in s["metadata"]["name"]]
    assert any(webhook in base64.b64decode(v).decode() for s in delivered for v in (s.get("data") or {}).values())
    state = "".join(p.read_text() for p in program.state.rglob("*.json"))
    assert webhook not in state
    assert webhook not in json.dumps(cluster.get(f"/api/v1/namespaces/{namespace}/configmaps"))


def assert_preview_is_clean(program: ExampleProgram) -> None:
    out = program.pulumi("preview", "--diff")
    assert "to create" not in out and "to update" not in out and "to replace" not in out and "to delete" not in out
    assert "unchanged" in out

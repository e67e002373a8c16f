"""Run the real promtool on rule groups built as Python data. Missing promtool fails, never skips."""
from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed; these tests need it (CI installs it)")
    return path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def write_rules(path: Path, groups: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def check_rules(tmp_path: Path, groups: list[dict], name: str = "rules.yml") -> str:
    rules = write_rules(tmp_path / name, groups)
    result = _run(["check", "rules", rules.name], tmp_path)
    assert result.returncode == 0, f"promtool check rules failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def check_exprs(tmp_path: Path, exprs: list[str]) -> None:
    """Parse every expression with one promtool call, each as a recording rule."""
    rules = [{"record": f"expr_check:expr{i}", "expr": e} for i, e in enumerate(exprs)]
    check_rules(tmp_path, [{"name": "expr-check", "rules": rules}], name="exprs.yml")


def without_annotations(groups: list[dict]) -> list[dict]:
    """Unit tests compare alert labels only; annotation templates are checked by check_rules."""
    groups = copy.deepcopy(groups)
    for group in groups:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    return groups


def run_rule_tests(tmp_path: Path, groups: list[dict], tests: list[dict], evaluation_interval: str = "1m") -> None:
    """Run promtool unit tests (`tests` in promtool's format) against `groups`; fails with its output."""
    write_rules(tmp_path / "rules.yml", without_annotations(groups))
    spec = {"rule_files": ["rules.yml"], "evaluation_interval": evaluation_interval, "tests": tests}
    (tmp_path / "tests.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    result = _run(["test", "rules", "tests.yml"], tmp_path)
    assert result.returncode == 0, f"promtool test rules failed:\n{result.stdout}\n{result.stderr}"


def alert_test(series: dict[str, str], alert: str, eval_time: str, expected: list[dict], interval: str = "1m") -> dict:
    """One promtool test group: input series -> the labels of `alert` firing at eval_time."""
    return {
        "interval": interval,
        "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "alert_rule_test": [{"eval_time": eval_time, "alertname": alert,
                             "exp_alerts": [{"exp_labels": labels} for labels in expected]}],
    }


def alert_names(groups: list[dict]) -> set[str]:
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}

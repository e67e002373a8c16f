"""Run the real promtool on rule groups built as Python data. Missing promtool fails, never skips."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import yaml
from upstream import tool


def promtool() -> str:
    return tool("promtool")


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
    run_rule_test_suites(tmp_path, [(groups, tests)], evaluation_interval)


def run_rule_test_suites(
    tmp_path: Path, suites: list[tuple[list[dict], list[dict]]], evaluation_interval: str = "1m"
) -> None:
    """Several (rule groups, tests) pairs, each in its own files, checked by a single promtool call."""
    test_files = []
    for i, (groups, tests) in enumerate(suites):
        write_rules(tmp_path / f"rules{i}.yml", without_annotations(groups))
        # fuzzy_compare: groups evaluate in no fixed order (as in a server), so a value summed from
        # recordings may differ in its last bit from one run to the next.
        spec = {
            "rule_files": [f"rules{i}.yml"],
            "evaluation_interval": evaluation_interval,
            "fuzzy_compare": True,
            "tests": tests,
        }
        (tmp_path / f"tests{i}.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
        test_files.append(f"tests{i}.yml")
    result = _run(["test", "rules", *test_files], tmp_path)
    assert result.returncode == 0, f"promtool test rules failed:\n{result.stdout}\n{result.stderr}"


def alert_group(series: dict[str, str], checks: list[tuple[str, str, list[dict]]], interval: str = "1m") -> dict:
    """One promtool test group: input series, then (alert, eval_time, expected label sets) checks."""
    return {
        "interval": interval,
        "input_series": [{"series": s, "values": v} for s, v in series.items()],
        "alert_rule_test": [
            {"eval_time": t, "alertname": a, "exp_alerts": [{"exp_labels": labels} for labels in expected]}
            for a, t, expected in checks
        ],
    }


def alert_test(series: dict[str, str], alert: str, eval_time: str, expected: list[dict], interval: str = "1m") -> dict:
    return alert_group(series, [(alert, eval_time, expected)], interval)


def alert_names(groups: list[dict]) -> set[str]:
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}


def fire_and_quiet(cases) -> list[dict]:
    """promtool tests from (alert, firing series, quiet series, eval time, labels) cases: the alert fires
    with exactly those labels on the first series, and not at all on the second."""
    tests = []
    for alert, firing, quiet, eval_time, labels in cases:
        tests.append(alert_test(firing, alert, eval_time, [labels]))
        tests.append(alert_test(quiet, alert, eval_time, []))
    return tests

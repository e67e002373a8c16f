"""Every LogQL expression shipped to the Loki ruler parses with Grafana's own LogQL grammar
(@grafana/lezer-logql, the parser behind Grafana's Loki query editor), run under Node."""

import json
import subprocess

import pytest

from observability_stack.configs.content.loki_rules import loki_security_rule_groups
from tools.harness.mockrun import ROOT

CHECKER = ROOT / "tools" / "logql" / "check.mjs"


def parse_errors(expressions: list[str]) -> list:
    result = subprocess.run(
        ["node", str(CHECKER)],
        input=json.dumps(expressions),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=CHECKER.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_shipped_loki_rules_parse():
    rules = [rule for group in loki_security_rule_groups() for rule in group["rules"]]
    errors = parse_errors([rule["expr"] for rule in rules])
    assert len(errors) == len(rules) >= 3
    assert all(error is None for error in errors), [(r["alert"], e) for r, e in zip(rules, errors, strict=True) if e]


@pytest.mark.parametrize(
    "broken",
    [
        'sum(count_over_time({job="a" |~ "x" [5m]))',  # a filter inside the selector
        'sum by (ip) (count_over_time({job="a"} [5m]) >',  # a comparison with nothing on its right
        'count_over_time({job="a"} |~ `x` [5m]',  # an unclosed parenthesis
    ],
)
def test_checker_rejects_broken_logql(broken):
    assert parse_errors([broken]) != [None]

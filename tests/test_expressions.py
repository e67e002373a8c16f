"""Config-time PromQL and template checks agree with the pinned promtool: everything shipped passes
both, and each broken expression or template is refused by both."""

from __future__ import annotations

import promql_parser
import pytest

from observability_stack.configs.content.meta_rules import meta_rule_groups
from observability_stack.configs.content.slo_rules import slo_rule_groups
from observability_stack.configs.models.expressions import _notification_template, _promql, _rule_template
from observability_stack.configs.models.stack import SERVICES
from tests.promtool_helpers import _run, write_rules
from tests.prsm_pack import prsm_rule_groups, prsm_slos
from tests.test_content_dashboards import _all_dashboards, _exprs, _substitute

BROKEN_PROMQL = [
    "sum(rate(http_requests_total[5m])",  # unclosed parenthesis
    "rate(http_requests_total[5x])",  # unknown duration unit
    'up{job="api"',  # unclosed selector
    "sum by job (up)",  # grouping without parentheses
    "up ==",  # missing operand
    "rate(up)",  # range function on an instant vector
    "histogram_quantile(0.9)",  # too few arguments
    'up{job=~"api"}[5m] > 0',  # comparison on a range vector
]
BROKEN_TEMPLATES = [
    "{{ $value ",
    "{{ .Labels.job }",
    "{{ if eq 1 1 }}x",
    "{{}}",
    '{{ printf "%s }}',
    "{{ (len .Alerts }}",
    "{{ end }}",
    "{{ $lables.instance }}",  # a misspelt variable
    '{{ tmpl "x" . }}',  # console templates only
    "{{ /* c */ }}",  # a comment must follow the delimiter
    "a{{ else }}b",
    "{{ if }}{{ end }}",
    "{{ if .A }}{{ else }}{{ else }}{{ end }}",
    "{{ .A )( }}",
    "{{ break }}",
]
# Valid, and refused by a naive checker: braces inside literals, comments, trim markers, declarations.
VALID_TEMPLATES = [
    '{{ "}}" }}',
    "{{ `a}}b` }}",
    "{{ printf \"%c\" '}' }}",
    "{{- /* comment */ -}}",
    "{{ range $k, $v := $labels }}{{ $k }}={{ $v }}{{ end }}",
    "{{ with $x := 1 }}{{ $x }}{{ end }}",
    "{{ if .A }}a{{ else if .B }}b{{ else }}c{{ end }}",
    '{{ $value | printf "%.2f" }}',
    "{{ $labels.job }} at {{ $externalURL }} is {{ humanizePercentage $value }}",
]


def _shipped_expressions() -> list[str]:
    exprs = [_substitute(e) for d in _all_dashboards().values() for e in _exprs(d)]
    groups = prsm_rule_groups() + meta_rule_groups(list(SERVICES)) + slo_rule_groups(prsm_slos())
    return exprs + [r["expr"] for g in groups for r in g["rules"]]


def test_every_shipped_expression_parses_with_the_config_time_parser():
    exprs = _shipped_expressions()
    assert len(exprs) > 100
    for expr in exprs:
        promql_parser.parse(expr)


@pytest.mark.parametrize("expr", BROKEN_PROMQL)
def test_broken_promql_is_refused_by_both(tmp_path, expr):
    with pytest.raises(ValueError, match="not valid PromQL"):
        _promql(expr)
    write_rules(tmp_path / "r.yml", [{"name": "g", "rules": [{"record": "broken", "expr": expr}]}])
    assert _run(["check", "rules", "r.yml"], tmp_path).returncode != 0


@pytest.mark.parametrize("template", BROKEN_TEMPLATES)
def test_broken_templates_are_refused_by_both(tmp_path, template):
    with pytest.raises(ValueError, match="template"):
        _rule_template(template)
    rule = {"alert": "A", "expr": "up == 0", "annotations": {"summary": template}}
    write_rules(tmp_path / "r.yml", [{"name": "g", "rules": [rule]}])
    assert _run(["check", "rules", "r.yml"], tmp_path).returncode != 0


def test_shipped_templates_pass_the_config_time_check():
    groups = prsm_rule_groups() + meta_rule_groups(list(SERVICES)) + slo_rule_groups(prsm_slos())
    for group in groups:
        for rule in group["rules"]:
            for value in [*rule.get("labels", {}).values(), *rule.get("annotations", {}).values()]:
                _rule_template(value)


@pytest.mark.parametrize("template", VALID_TEMPLATES)
def test_valid_templates_pass_both(tmp_path, template):
    _rule_template(template)
    rule = {"alert": "A", "expr": "up == 0", "annotations": {"summary": template}}
    write_rules(tmp_path / "r.yml", [{"name": "g", "rules": [rule]}])
    result = _run(["check", "rules", "r.yml"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_variables_are_refused_in_notification_texts():
    """Alertmanager defines no $labels: pasted from a rule, it fails every notification."""
    with pytest.raises(ValueError, match=r"undefined variable \$labels"):
        _notification_template("{{ $labels.instance }}")
    _notification_template("{{ range .Alerts }}{{ .Labels.instance }}{{ end }}")

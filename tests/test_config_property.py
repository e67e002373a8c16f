"""Property: whatever stack config validation accepts renders files the pinned promtool and amtool
accept. Hypothesis draws configs from a space that mixes valid values with the near misses users
type (odd label names, regexes, durations, time ranges, templates, PromQL), so a value validation
lets through but a service refuses shows up as a counterexample."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from upstream import tool

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load
from observability_stack.configs.render.files import all_files

SECRETS = {
    "slack_webhook_url": "https://hooks.example.com/x",
    "pagerduty_routing_key": "k",
    "security_slack_webhook": "https://hooks.example.com/y",
    "smtp_password": "p",
}


def mostly(good: list, bad: list):
    """Valid values, and now and then (1 draw in 20) a near miss: most configs pass validation, and
    those that pass still carry unusual values for the tools to judge."""
    # (Not 0 or 19: Hypothesis draws an integer range's ends far more often than 1 in 20.)
    return st.integers(0, 19).flatmap(lambda i: st.sampled_from(bad) if i == 7 else st.sampled_from(good))


text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
label_names = st.one_of(
    mostly(
        ["job", "severity", "team", "le", "a-b", "ünï", "9x", "...", "x.y", "alertname"], ["", "__name__", "__meta"]
    ),
    text,
)
label_values = st.one_of(st.sampled_from(["critical", "", 'a"b', "x\\y", "prod env", "ünï", "{{ x }}"]), text)
durations = mostly(
    ["1s", "15s", "30s", "1m", "5m", "1h30m", "2d", "1w", "500ms"], ["0s", "0m", "1000y", "1.5s", "5 m", "-1s"]
)
regexes = mostly(
    [".*", "api|web", "\\d+", "[[:alpha:]]+", 'a"b', "(?i)api", "x{2,3}", "\\.", "", "[^/]+"],
    ["(?!api).*", "a{2,1}", "[z-a]", "x++", "(a)\\1", "(?<=a)b"],
)
operators = st.sampled_from(["=", "!=", "=~", "!~"])
clock = mostly(["00:00", "09:00", "17:00", "23:59", "24:00", "12:30"], ["24:30", "9:00", "12:60"])
exprs = mostly(
    [
        "up == 0",
        "sum(rate(x_total[5m])) by (job) > 1",
        'up{job=~"a|b"} == 0',
        "up > bool 1",
        "histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m]))) > 1",
        'absent(up{job="x"})',
        '{"ünï.metric", job="a"} > 0',
        'sum by ("a-b") (up) > 0',
    ],
    ["sum(rate(x[5m])", "rate(up)", "up ==", "sum by job (up)"],
)
templates = mostly(
    [
        "{{ $value }}",
        "{{ $labels.job }} down",
        "{{ if $value }}x{{ end }}",
        "plain",
        "{{ humanizePercentage $value }}",
        "{{ .Labels.job }}",
        "{{ range $k, $v := $labels }}{{ $k }}{{ end }}",
    ],
    ["{{ $value ", "{{ if $value }}x", "{{}}", "{{ (len $labels }}"],
)


@st.composite
def matchers(draw):
    value = draw(regexes) if draw(st.booleans()) else draw(label_values)
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{draw(label_names)}{draw(operators)}{quoted}"


@st.composite
def configs(draw):
    route = {
        "receiver": draw(st.sampled_from(["default", "security-team", "performance-team"])),
        "matchers": draw(st.lists(matchers(), max_size=2)),
    }
    if draw(st.booleans()):
        route["group_by"] = draw(st.lists(label_names, max_size=2))
    if draw(st.booleans()):
        route["repeat_interval"] = draw(durations)
    start, end = sorted([draw(clock), draw(clock)])
    spec = {
        "times": [{"start_time": start, "end_time": end if end != start else "24:00"}],
        "weekdays": [
            draw(
                mostly(
                    ["monday:friday", "sunday:saturday", "wednesday", "Saturday"], ["friday:monday", "saturday:sunday"]
                )
            )
        ],
        "days_of_month": [draw(mostly(["1:15", "-3:-1", "10", "1:31", "-31:-28"], ["1:32", "-1:5", "0"]))],
        "months": [draw(mostly(["january:march", "12", "1:12", "may", "March:December"], ["march:january", "smarch"]))],
        "years": [draw(mostly(["2026:2030", "2027"], ["2030:2026"]))],
        "location": draw(mostly(["America/New_York", "UTC", "Europe/Paris"], ["Mars/Olympus"])),
    }
    rule = {
        "alert": draw(st.sampled_from(["A", "Disk Full", "x", "ünï"])),
        "expr": draw(exprs),
        "labels": {draw(label_names): draw(label_values)},
        "annotations": {"summary": draw(templates)},
    }
    if draw(st.booleans()):
        rule["for"] = draw(durations)
    job = {
        "job_name": draw(mostly(["app", "app-2", "app_3"], ["app 3", ""])),
        "targets": ["app:9100"],
        "labels": {draw(label_names): draw(label_values)},
        "scrape_interval": draw(durations),
    }
    if draw(st.booleans()):
        job["scrape_timeout"] = draw(durations)
    return {
        "observability:secrets": dict(SECRETS),
        "observability:prometheus": {
            "scrape_interval": draw(durations),
            "evaluation_interval": draw(durations),
            "retention": draw(durations),
            "scrape_jobs": [job],
            "external_labels": {draw(label_names): draw(label_values)},
            "rule_groups": [{"name": "mine", "rules": [rule]}],
        },
        "observability:alertmanager": {
            "routes": [route],
            "group_by": draw(st.lists(label_names, min_size=1, max_size=3)),
            "repeat_interval": draw(durations),
            "group_interval": draw(durations),
            "time_intervals": [{"name": "business_hours", "time_intervals": [spec]}],
            "smtp": {"smarthost": "smtp.example.com:587"},
        },
    }


def _check(cmd: list[str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"


@settings(
    max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(configs())
def test_what_validation_accepts_the_pinned_tools_accept(config):
    try:
        cfg, secrets, _ = load(config)
    except ConfigError:
        return  # refused cleanly, with its paths: the other tests check the messages
    files = all_files(cfg, secrets.names())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for service in ("prometheus", "alertmanager"):
            for relative, content in files[service].items():
                path = root / service / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
        _check([tool("promtool"), "check", "config", str(root / "prometheus" / "prometheus.yml")])
        _check([tool("amtool"), "check-config", str(root / "alertmanager" / "alertmanager.yml")])

"""Dashboards: structural validity, PromQL that promtool parses, SLO panels backed by real records."""

from __future__ import annotations

import json
import re

import pytest

from observability_stack.configs.content.dashboards import (
    ClusterSources,
    builtin_dashboards,
    load_user_dashboards,
    stable_uid,
)
from observability_stack.configs.content.meta_rules import meta_rule_groups
from observability_stack.configs.content.slo_rules import slo_rule_groups
from observability_stack.configs.models.kube_state_metrics import API_GROUPS
from observability_stack.configs.models.stack import SERVICES
from tests.promtool_helpers import check_exprs
from tests.prsm_pack import prsm_dashboards, prsm_rule_groups, prsm_slos

DATASOURCE_UIDS = {"prometheus", "loki", "jaeger", "alertmanager"}
PANEL_TYPES = {"row", "stat", "gauge", "timeseries", "table"}
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "$job": ".*",
    "$instance": ".*",
    "$namespace": ".*",
    "$pod": ".*",
    "$node": ".*",
}
# Everything of a cluster scraped: every Kubernetes dashboard with every panel.
WHOLE_CLUSTER = ClusterSources(
    kubelet=True, api_server=True, coredns=True, collectors=frozenset(API_GROUPS), node_exporter=True
)
KUBERNETES_FILES = ["cluster.json", "nodes.json", "persistent-volumes.json", "pods.json", "workloads.json"]
STACK_FILES = ["alertmanager.json", "loki.json", "prometheus.json", "stack-health.json"]
DATASOURCE_VARIABLE = "${datasource}"


def dashboard_problems(dash: dict) -> list[str]:
    """What Grafana provisioning would reject or render wrongly; empty when the dashboard is fine."""
    problems = []
    if not isinstance(dash.get("title"), str) or not dash["title"]:
        problems.append("missing title")
    uid = dash.get("uid")
    if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
        problems.append(f"bad uid {uid!r}")
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 39:
        problems.append("schemaVersion below 39")
    if "dashboard" in dash:
        problems.append("wrapped in 'dashboard' (API form, not provisioning form)")
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    uids = set(DATASOURCE_UIDS)
    if variables.get("datasource", {}).get("type") == "datasource":
        uids.add(DATASOURCE_VARIABLE)
    ids = [p.get("id") for p in dash.get("panels", [])]
    if len(ids) != len(set(ids)) or not all(isinstance(i, int) for i in ids):
        problems.append(f"panel ids not unique integers: {ids}")
    for panel in dash.get("panels", []):
        where = f"panel {panel.get('id')} {panel.get('title')!r}"
        if panel.get("type") not in PANEL_TYPES:
            problems.append(f"{where}: type {panel.get('type')!r}")
        grid = panel.get("gridPos", {})
        if not all(isinstance(grid.get(k), int) and grid[k] >= 0 for k in "hwxy") or grid.get("w", 0) < 1:
            problems.append(f"{where}: gridPos {grid}")
        elif grid["x"] + grid["w"] > 24:
            problems.append(f"{where}: wider than the 24-column grid")
        if panel.get("type") == "row":
            continue
        if panel.get("datasource", {}).get("uid") not in uids:
            problems.append(f"{where}: datasource {panel.get('datasource')}")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{where}: no targets")
        ref_ids = [t.get("refId") for t in targets]
        if len(set(ref_ids)) != len(ref_ids) or not all(ref_ids):
            problems.append(f"{where}: refIds {ref_ids}")
        for target in targets:
            if target.get("datasource", {}).get("uid") not in uids or not target.get("expr"):
                problems.append(f"{where}: target {target}")
    return problems


def _all_dashboards(enabled=SERVICES, cluster: ClusterSources | None = WHOLE_CLUSTER) -> dict[str, dict]:
    """The shipped dashboards (with the PRSM pack's SLOs and, unless told otherwise, a whole cluster's)
    and the pack's own."""
    folders = builtin_dashboards(prsm_slos(), list(enabled), cluster=cluster) | {"PRSM": prsm_dashboards()}
    return {f"{folder}/{name}": dash for folder, files in folders.items() for name, dash in files.items()}


def _exprs(dash: dict) -> list[str]:
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


def _variable_selectors(dash: dict) -> list[str]:
    """The series selectors of the dashboard's label_values() variables."""
    found = []
    for variable in dash["templating"]["list"]:
        match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable.get("query", "") or "")
        if variable["type"] == "query":
            assert match and match.group(2) == variable["name"], variable
            found.append(match.group(1))
    return found


def _substitute(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unsubstituted Grafana variable in {expr}"
    return expr


def test_folders_and_files():
    folders = builtin_dashboards(prsm_slos(), list(SERVICES))
    assert {f: sorted(files) for f, files in folders.items()} == {
        "SLOs": ["slos.json"],
        "Observability Stack": STACK_FILES,
        "Infrastructure": ["hosts.json"],
    }
    assert builtin_dashboards([], list(SERVICES)).keys() == {"Observability Stack", "Infrastructure"}
    on_kubernetes = builtin_dashboards([], list(SERVICES), cluster=WHOLE_CLUSTER)
    assert sorted(on_kubernetes["Kubernetes"]) == KUBERNETES_FILES
    # A cluster of which nothing is scraped has no Kubernetes folder.
    assert "Kubernetes" not in builtin_dashboards([], list(SERVICES), cluster=ClusterSources())
    assert sorted(prsm_dashboards()) == ["executive-overview.json", "technical-operations.json"]


@pytest.mark.parametrize("enabled", [list(SERVICES), ["prometheus"], []])
@pytest.mark.parametrize("cluster", [WHOLE_CLUSTER, None], ids=["kubernetes", "docker"])
def test_every_dashboard_is_structurally_valid(enabled, cluster):
    dashboards = _all_dashboards(enabled, cluster)
    for path, dash in dashboards.items():
        assert dashboard_problems(dash) == [], path
        json.dumps(dash)  # serialisable as provisioning JSON
    uids = [d["uid"] for d in dashboards.values()]
    assert len(uids) == len(set(uids))


def test_validator_catches_broken_dashboards():
    dash = json.loads(json.dumps(_all_dashboards()["PRSM/technical-operations.json"]))
    dash["uid"] = "x" * 41
    dash["panels"][1]["gridPos"]["x"] = 20
    dash["panels"][2]["id"] = dash["panels"][1]["id"]
    dash["panels"][4]["targets"][0]["datasource"] = {"type": "prometheus", "uid": "prom"}
    problems = dashboard_problems(dash)
    assert len(problems) == 4, problems


def test_all_promql_parses_with_promtool(tmp_path):
    exprs = [_substitute(e) for d in _all_dashboards().values() for e in _exprs(d) + _variable_selectors(d)]
    groups = prsm_rule_groups() + meta_rule_groups(list(SERVICES)) + slo_rule_groups(prsm_slos())
    exprs += [r["expr"] for g in groups for r in g["rules"]]
    check_exprs(tmp_path, exprs)


def test_rate_windows_follow_the_scrape_interval_and_quantiles_aggregate():
    for path, dash in _all_dashboards().items():
        for expr in _exprs(dash):
            for window in re.findall(r"\brate\([^\[]*\[([^\]]+)\]", expr):
                assert window == "$__rate_interval", (path, expr)
            if "histogram_quantile" in expr:
                assert re.search(r"sum by \((\w+, )*le\)", expr), (path, expr)


def test_slo_dashboard_reads_only_series_the_slo_rules_record():
    recorded = {r["record"] for g in slo_rule_groups(prsm_slos()) for r in g["rules"] if "record" in r}
    dash = _all_dashboards()["SLOs/slos.json"]
    used = {m for e in _exprs(dash) for m in re.findall(r"\b(slo:[a-z_:0-9]+)", e)}
    assert used and used <= recorded, used - recorded
    for slo in prsm_slos():
        assert any(f'slo="{slo.name}"' in e for e in _exprs(dash)), slo.name


def test_stack_dashboard_shows_only_enabled_services():
    dash = _all_dashboards(["prometheus", "grafana"])["Observability Stack/stack-health.json"]
    jobs = set(re.findall(r'job="([a-z]+)"', " ".join(_exprs(dash))))
    assert jobs == {"prometheus", "grafana"}
    assert not any("loki_" in e or "alertmanager_" in e for e in _exprs(dash))


def test_stable_uid():
    assert stable_uid("PRSM Executive Overview") == "prsm-executive-overview"
    long = stable_uid("A very long dashboard title that keeps going past forty characters")
    assert len(long) <= 40 and long == stable_uid("A very long dashboard title that keeps going past forty characters")
    assert long != stable_uid("A very long dashboard title that keeps going past forty characterz")


def _write(directory, name, content):
    (directory / name).write_text(content if isinstance(content, str) else json.dumps(content))


def test_load_user_dashboards_sorted_and_unwrapped(tmp_path):
    _write(tmp_path, "b.json", {"title": "B", "uid": "b", "panels": []})
    _write(tmp_path, "a.json", {"dashboard": {"title": "A", "uid": "a", "panels": []}})
    _write(tmp_path, "notes.txt", "not a dashboard")
    loaded = load_user_dashboards(str(tmp_path))
    assert list(loaded) == ["a.json", "b.json"]
    assert loaded["a.json"]["title"] == "A"


@pytest.mark.parametrize("content", ["{not json", {"panels": []}, {"title": ""}, ["a list"]])
def test_load_user_dashboards_names_the_bad_file(tmp_path, content):
    _write(tmp_path, "good.json", {"title": "Good", "uid": "good"})
    _write(tmp_path, "broken.json", content)
    with pytest.raises(ValueError, match="broken.json"):
        load_user_dashboards(str(tmp_path))


def test_load_user_dashboards_missing_directory(tmp_path):
    with pytest.raises(ValueError, match="does-not-exist"):
        load_user_dashboards(str(tmp_path / "does-not-exist"))


def test_every_dashboard_has_a_datasource_variable_its_queries_use():
    for path, dash in _all_dashboards().items():
        variables = {v["name"]: v for v in dash["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
        for panel in dash["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == "${datasource}", (path, panel["title"])
                assert {t["datasource"]["uid"] for t in panel["targets"]} == {"${datasource}"}


def test_job_and_instance_filter_every_raw_series_and_leave_recorded_ones():
    dashboards = _all_dashboards()
    for path in (
        "PRSM/executive-overview.json",
        "PRSM/technical-operations.json",
        "Observability Stack/stack-health.json",
        "Infrastructure/hosts.json",
        *(f"Observability Stack/{name}" for name in STACK_FILES),
        *(f"Kubernetes/{name}" for name in KUBERNETES_FILES),
    ):
        variables = {v["name"]: v for v in dashboards[path]["templating"]["list"]}
        assert variables["job"]["query"] == "label_values(up, job)" and variables["job"]["allValue"] == ".*"
        assert variables["instance"]["query"] == 'label_values(up{job=~"$job"}, instance)'
        for expr in _exprs(dashboards[path]):
            for selector in re.findall(r"\b([a-zA-Z_][a-zA-Z0-9_]*)(\{[^}]*\})?(?=[\[\s)]|$)", expr):
                name, matchers = selector
                if name.endswith("_total") or name.startswith(
                    ("prsm_", "node_", "container_", "kube_", "kubelet_", "prometheus_", "alertmanager_", "loki_")
                ):
                    assert 'instance=~"$instance"' in matchers, (path, expr)
    # Recorded SLO series are aggregated past job and instance: that dashboard has neither variable.
    slo = dashboards["SLOs/slos.json"]
    assert [v["name"] for v in slo["templating"]["list"]] == ["datasource"]
    assert not any("$job" in e for e in _exprs(slo))


def test_a_selector_that_matches_the_label_already_keeps_its_own_matcher():
    from observability_stack.configs.content.dashboards.builder import with_filters

    assert with_filters('min(up{job="loki"})') == 'min(up{instance=~"$instance", job="loki"})'
    assert with_filters("sum(rate(x_total[5m])) / sum(rate(y_total[5m]))") == (
        'sum(rate(x_total{job=~"$job", instance=~"$instance"}[5m]))'
        ' / sum(rate(y_total{job=~"$job", instance=~"$instance"}[5m]))'
    )
    assert with_filters('slo:error_ratio:5m{slo="a"}') == 'slo:error_ratio:5m{slo="a"}'


@pytest.mark.parametrize(
    "enabled, rows",
    [
        (["node-exporter", "cadvisor"], ["Nodes", "Containers"]),
        (["node-exporter", "kube-state-metrics"], ["Nodes", "Cluster"]),
        (["prometheus"], None),
    ],
)
def test_the_hosts_dashboard_has_a_row_per_enabled_collector(enabled, rows):
    folders = builtin_dashboards(prsm_slos(), enabled)
    if rows is None:
        assert "Infrastructure" not in folders
        return
    dash = folders["Infrastructure"]["hosts.json"]
    assert [p["title"] for p in dash["panels"] if p["type"] == "row"] == rows

"""The Kubernetes dashboards (cluster, namespaces and workloads, pods, nodes, persistent volumes) and the
Prometheus, Alertmanager and Loki ones: shipped for what is scraped, every panel backed by a source that
runs, every raw selector filtered by job, instance and the dashboard's label variables."""

from __future__ import annotations

import re

import promql_parser
import pytest

from observability_stack.configs.content.dashboards import ClusterSources, builtin_dashboards
from observability_stack.configs.content.dashboards.builder import (
    Dashboard,
    Panel,
    Row,
    Target,
    Variable,
    _selectors,
    with_filters,
)
from observability_stack.configs.content.dashboards.kubernetes import kubernetes_dashboards
from observability_stack.configs.content.dashboards.services import SERVICE_DASHBOARDS
from observability_stack.configs.load import load_sections
from observability_stack.configs.models.grafana import SHIPPED_FOLDERS
from observability_stack.configs.models.kube_state_metrics import API_GROUPS
from observability_stack.configs.models.stack import SERVICES
from observability_stack.configs.render.grafana import shipped_dashboards
from tests.promtool_helpers import check_exprs
from tests.test_content_dashboards import GRAFANA_VARIABLES, KUBERNETES_FILES, WHOLE_CLUSTER, dashboard_problems

ALL = frozenset(API_GROUPS)
# kube-state-metrics' metric prefix of each collector the dashboards read.
PREFIXES = {
    "nodes": "kube_node_",
    "pods": "kube_pod_",
    "namespaces": "kube_namespace_",
    "deployments": "kube_deployment_",
    "statefulsets": "kube_statefulset_",
    "daemonsets": "kube_daemonset_",
    "jobs": "kube_job_",
    "cronjobs": "kube_cronjob_",
    "horizontalpodautoscalers": "kube_horizontalpodautoscaler_",
    "resourcequotas": "kube_resourcequota",
    "persistentvolumeclaims": "kube_persistentvolumeclaim_",
    "persistentvolumes": "kube_persistentvolume_",
}
# Series of no namespace: the nodes', the control plane's, cluster-scoped objects', a node's root cgroup.
UNNAMESPACED = ("kube_node_", "kube_persistentvolume_", "apiserver_", "coredns_", "up", "node_")
# The cluster rules' jobs (render/prometheus.py), which a selector may name in place of $job.
PINNED_JOBS = {"kubelet", "kubelet-cadvisor", "kubelet-probes", "apiserver", "coredns"}


def _parse(expr: str):
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return promql_parser.parse(expr)


def _matchers(selector) -> dict[str, str]:
    return {str(m.name): str(m.value) for m in selector.matchers.matchers}


def _raw(expr: str) -> list:
    return [s for s in _selectors(_parse(expr)) if s.name and ":" not in s.name]


def _panels(dash: dict) -> list[dict]:
    return [p for p in dash["panels"] if p["type"] != "row"]


def _metrics(dashboards: dict[str, dict]) -> set[str]:
    return {s.name for d in dashboards.values() for p in _panels(d) for t in p["targets"] for s in _raw(t["expr"])}


def _kubernetes(src: ClusterSources) -> dict[str, dict]:
    return {name: dash.to_json() for name, dash in kubernetes_dashboards(src).items()}


def _label_variables(dash: dict) -> list[str]:
    return [v["name"] for v in dash["templating"]["list"] if v["name"] not in ("datasource", "job", "instance")]


def _unnamespaced(selector) -> bool:
    return selector.name.startswith(UNNAMESPACED) or _matchers(selector).get("id") == "/"


@pytest.fixture(scope="module")
def whole() -> dict[str, dict]:
    return _kubernetes(WHOLE_CLUSTER)


def test_the_dashboards_their_variables_and_panel_counts(whole):
    assert sorted(whole) == KUBERNETES_FILES
    assert {name: _label_variables(d) for name, d in whole.items()} == {
        "cluster.json": ["namespace"],
        "workloads.json": ["namespace"],
        "pods.json": ["namespace", "pod"],
        "nodes.json": ["node"],
        "persistent-volumes.json": ["namespace"],
    }
    for name, dash in whole.items():
        assert dashboard_problems(dash) == [], name
        assert len(_panels(dash)) >= 8, name
    uids = [d["uid"] for d in whole.values()]
    assert len(set(uids)) == len(uids) and all(u.startswith("kubernetes-") for u in uids)


def test_every_raw_selector_carries_job_instance_and_the_variables_it_can(whole):
    dashboards = whole | {name: build().to_json() for name, build in SERVICE_DASHBOARDS.values()}
    for name, dash in dashboards.items():
        variables = _label_variables(dash)
        for panel in _panels(dash):
            selectors = [s for t in panel["targets"] for s in _raw(t["expr"])]
            assert selectors, (name, panel["title"])
            for selector in selectors:
                matchers = _matchers(selector)
                where = (name, panel["title"], selector.name)
                assert matchers.get("instance") == ".*", where
                assert matchers.get("job") in {".*", *PINNED_JOBS}, where
            for variable in variables:
                filtered = [_matchers(s).get(variable) == ".*" for s in selectors]
                # A panel is filtered by the variable throughout, or not at all.
                assert all(filtered) or not any(filtered), (name, panel["title"], variable)
                if variable == "namespace":
                    # Series of no namespace never get its matcher: choosing one would empty the panel.
                    assert not any(f and _unnamespaced(s) for f, s in zip(filtered, selectors, strict=True)), (
                        name,
                        panel["title"],
                    )
                    # And a panel left unfiltered reads some series that has none.
                    assert any(filtered) or any(_unnamespaced(s) for s in selectors), (name, panel["title"])
                else:
                    # Pod and node: every series of those dashboards carries the label.
                    assert all(filtered), (name, panel["title"], variable)


def test_the_filters_are_the_variables_of_the_dashboard(whole):
    """The matchers are the variables' own references, not any value: checked on the raw JSON."""
    pods = " ".join(t["expr"] for p in _panels(whole["pods.json"]) for t in p["targets"])
    assert 'namespace=~"$namespace"' in pods and 'pod=~"$pod"' in pods and '"$node"' not in pods
    nodes = " ".join(t["expr"] for p in _panels(whole["nodes.json"]) for t in p["targets"])
    assert 'node=~"$node"' in nodes and "$namespace" not in nodes


def test_every_query_and_variable_selector_parses_with_promtool(tmp_path, whole):
    exprs = []
    for dash in whole.values():
        exprs += [t["expr"] for p in _panels(dash) for t in p["targets"]]
        for variable in dash["templating"]["list"]:
            if variable["type"] == "query":
                selector = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"]).group(1)
                exprs.append(selector)
    for variable, value in GRAFANA_VARIABLES.items():
        exprs = [e.replace(variable, value) for e in exprs]
    assert not any("$" in e for e in exprs)
    check_exprs(tmp_path, exprs)


def test_the_variables_chain_and_list_scraped_series(whole):
    queries = {v["name"]: v["query"] for v in whole["pods.json"]["templating"]["list"] if v["type"] == "query"}
    assert queries["namespace"] == "label_values(kube_namespace_status_phase, namespace)"
    assert queries["pod"] == 'label_values(kube_pod_info{namespace=~"$namespace"}, pod)'
    # Without kube-state-metrics, the kubelet's cAdvisor lists them.
    kubelet_only = _kubernetes(ClusterSources(kubelet=True))
    for name, dash in kubelet_only.items():
        for variable in dash["templating"]["list"]:
            if variable["type"] == "query" and variable["name"] not in ("job", "instance"):
                assert "kube_" not in variable["query"], (name, variable["query"])
    nodes = {v["name"]: v["query"] for v in kubelet_only["nodes.json"]["templating"]["list"]}
    assert nodes["node"] == 'label_values(up{job="kubelet"}, node)'


def test_nothing_scraped_nothing_shipped():
    assert kubernetes_dashboards(ClusterSources()) == {}
    # node-exporter alone shows no cluster: the hosts dashboard has it.
    assert kubernetes_dashboards(ClusterSources(node_exporter=True)) == {}
    assert "nodes.json" not in kubernetes_dashboards(ClusterSources(node_exporter=True, collectors=frozenset({"jobs"})))
    beside = _metrics(_kubernetes(ClusterSources(node_exporter=True, collectors=frozenset({"nodes"}))))
    assert "node_cpu_seconds_total" in beside


def test_without_the_kubelet_no_kubelet_or_cadvisor_series():
    dashboards = _kubernetes(ClusterSources(collectors=ALL))
    assert sorted(dashboards) == KUBERNETES_FILES
    metrics = _metrics(dashboards)
    assert not {m for m in metrics if m.startswith(("kubelet_", "container_", "prober_"))}
    assert "kubelet_volume_stats_available_bytes" in _metrics(_kubernetes(ClusterSources(kubelet=True)))


@pytest.mark.parametrize("flag, prefix", [("api_server", "apiserver_"), ("coredns", "coredns_")])
def test_the_control_plane_panels_follow_the_cluster_toggles(flag, prefix):
    on = _metrics(_kubernetes(ClusterSources(**{flag: True})))
    assert on and all(m.startswith(prefix) or m == "up" for m in on)
    others = {"api_server": True, "coredns": True, "kubelet": True, "collectors": ALL} | {flag: False}
    assert not {m for m in _metrics(_kubernetes(ClusterSources(**others))) if m.startswith(prefix)}


@pytest.mark.parametrize("collector", sorted(PREFIXES))
def test_the_panels_follow_the_collectors(collector):
    prefix = PREFIXES[collector]
    without = _metrics(_kubernetes(ClusterSources(kubelet=True, collectors=ALL - {collector})))
    # kube_persistentvolume_ is no prefix of kube_persistentvolumeclaim_ (and kube_pod_ of no other).
    assert not {m for m in without if m.startswith(prefix)}, collector
    if collector != "namespaces":  # read by the namespace variable only
        assert {m for m in _metrics(_kubernetes(WHOLE_CLUSTER)) if m.startswith(prefix)}, collector


def test_a_collector_alone_ships_only_the_dashboards_it_feeds():
    assert sorted(_kubernetes(ClusterSources(collectors=frozenset({"persistentvolumes"})))) == [
        "persistent-volumes.json"
    ]
    assert sorted(_kubernetes(ClusterSources(collectors=frozenset({"deployments"})))) == [
        "cluster.json",
        "workloads.json",
    ]


def _config(**sections):
    config, _, _ = load_sections(sections)
    return config


def test_kubernetes_dashboards_ship_on_kubernetes_only():
    docker = shipped_dashboards(_config())
    assert "Kubernetes" not in docker
    assert sorted(docker["Observability Stack"]) == [
        "alertmanager.json",
        "loki.json",
        "prometheus.json",
        "stack-health.json",
    ]
    kubernetes = shipped_dashboards(_config(common={"target": "kubernetes"}))
    assert sorted(kubernetes["Kubernetes"]) == KUBERNETES_FILES
    assert "Kubernetes" in SHIPPED_FOLDERS


def test_the_config_decides_the_sources():
    nothing = _config(
        common={"target": "kubernetes"},
        prometheus={"cluster": {"kubelet": False, "api_server": False, "coredns": False}},
        kube_state_metrics={"enabled": False},
    )
    assert "Kubernetes" not in shipped_dashboards(nothing)
    pods_only = _config(
        common={"target": "kubernetes"},
        prometheus={"cluster": {"kubelet": False, "api_server": False, "coredns": False}},
        kube_state_metrics={"collectors": ["pods"]},
    )
    folder = shipped_dashboards(pods_only)["Kubernetes"]
    metrics = _metrics(folder)
    assert metrics and all(m.startswith("kube_pod_") for m in metrics), metrics


def test_service_dashboards_follow_the_enabled_services():
    for service, (name, _) in SERVICE_DASHBOARDS.items():
        on = builtin_dashboards([], [service])["Observability Stack"]
        assert name in on
        others = [s for s in SERVICES if s != service]
        assert name not in builtin_dashboards([], others)["Observability Stack"]
        metrics = _metrics({name: on[name]})
        assert metrics and all(m.startswith((service, "up", "scrape_")) for m in metrics), metrics


def test_with_filters_takes_the_dashboards_variables():
    filters = {"job": "$job", "instance": "$instance", "namespace": "$namespace"}
    assert with_filters('kube_pod_info{namespace="kube-system"}', filters) == (
        'kube_pod_info{job=~"$job", instance=~"$instance", namespace="kube-system"}'
    )
    assert with_filters("sum(kube_pod_info)", filters) == (
        'sum(kube_pod_info{job=~"$job", instance=~"$instance", namespace=~"$namespace"})'
    )


def _one(panel: Panel, *variables: Variable) -> dict:
    return Dashboard("T", (), [Row("r", (panel,))], variables=variables).to_json()


def test_the_builder_refuses_what_would_not_filter():
    namespace = Variable("namespace", "kube_pod_info")
    panel = Panel("p", "stat", (Target("sum(kube_pod_info)"),))
    assert _one(panel)["templating"]["list"][-1]["name"] == "instance"  # no variable: no change
    with pytest.raises(ValueError, match="ignores no variable"):
        _one(Panel("p", "stat", (Target("sum(kube_pod_info)"),), ignores=("node",)), namespace)
    with pytest.raises(ValueError, match="not a raw series selector"):
        _one(panel, Variable("namespace", "sum(kube_pod_info)"))
    with pytest.raises(ValueError, match="not a label name of its own"):
        _one(panel, Variable("job", "kube_pod_info"))
    with pytest.raises(ValueError, match="reads none"):
        Dashboard("T", (), [Row("r", (Panel("p", "stat", (Target("slo:x:5m"),)),))], variables=(namespace,)).to_json()
    ignoring = _one(Panel("p", "stat", (Target("sum(kube_node_info)"),), ignores=("namespace",)), namespace)
    assert "$namespace" not in ignoring["panels"][1]["targets"][0]["expr"]

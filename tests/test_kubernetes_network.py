"""NetworkPolicies, evaluated: every flow the stack needs is allowed, and nothing else is open."""

from __future__ import annotations

import pytest
from kubernetes_helpers import NETPOL, SERVICES, container, merge, prod_config, run_prod, workloads

NAMESPACE = "observability"
CONTROLLER_NS = "ingress-nginx"
# Sources that are not stack services: an application pod in another namespace, and the ingress controller.
OUTSIDE, CONTROLLER = "outside", "ingress-controller"

# The flows the issue lists, written out by hand: (source, destination, port, protocol).
METRICS = {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000, "loki": 3100, "promtail": 9080, "jaeger": 8888}
# The collectors: node-exporter's port, kube-state-metrics' object metrics and its own telemetry.
COLLECTORS = {("node-exporter", 9100), ("kube-state-metrics", 8080), ("kube-state-metrics", 8081)}
NEEDED = (
    {("prometheus", dest, port, "TCP") for dest, port in [*METRICS.items(), *COLLECTORS]}
    | {
        ("grafana", "prometheus", 9090, "TCP"),
        ("grafana", "loki", 3100, "TCP"),
        ("grafana", "alertmanager", 9093, "TCP"),
        ("grafana", "jaeger", 16686, "TCP"),
    }
    | {("promtail", "loki", 3100, "TCP")}
    | {("prometheus", "alertmanager", 9093, "TCP"), ("loki", "alertmanager", 9093, "TCP")}
    | {("alertmanager", "alertmanager", 9094, "TCP"), ("alertmanager", "alertmanager", 9094, "UDP")}
    # Applications anywhere send spans to Jaeger's OTLP ports.
    | {(src, "jaeger", port, "TCP") for port in (4317, 4318) for src in (*SERVICES, OUTSIDE, CONTROLLER)}
)


def _matches(selector: dict, labels: dict) -> bool:
    assert set(selector) <= {"matchLabels"}, selector  # the evaluator knows matchLabels only
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_allows(peer: dict, pod_labels: dict, namespace: str, policy_ns: str) -> bool:
    ns_labels = {"kubernetes.io/metadata.name": namespace}
    if "namespaceSelector" in peer:
        if not _matches(peer["namespaceSelector"], ns_labels):
            return False
        return _matches(peer.get("podSelector", {}), pod_labels)
    if "podSelector" in peer:
        return namespace == policy_ns and _matches(peer["podSelector"], pod_labels)
    raise AssertionError(f"unexpected peer {peer}")  # ipBlock would need its own evaluation


def allowed(policies: list[dict], source: tuple[dict, str], dest_labels: dict, port: int, protocol: str) -> bool:
    """Kubernetes semantics: a pod selected by any Ingress policy accepts only what some rule allows."""
    selecting = [
        p
        for p in policies
        if "Ingress" in p["spec"]["policyTypes"]
        and p["metadata"]["namespace"] == NAMESPACE
        and _matches(p["spec"]["podSelector"], dest_labels)
    ]
    if not selecting:
        return True
    src_labels, src_ns = source
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            ports = rule.get("ports")
            port_ok = ports is None or any(p["port"] == port and p.get("protocol", "TCP") == protocol for p in ports)
            peers = rule.get("from")
            peer_ok = peers is None or any(_peer_allows(peer, src_labels, src_ns, NAMESPACE) for peer in peers)
            if port_ok and peer_ok:
                return True
    return False


def open_flows(run) -> set[tuple]:
    policies = [r.inputs for r in run.of_type(NETPOL)]
    found = workloads(run)
    labels = {name: r.inputs["spec"]["template"]["metadata"]["labels"] for name, r in found.items()}
    sources = {name: (selector, NAMESPACE) for name, selector in labels.items()}
    sources[OUTSIDE] = ({"app": "shop"}, "shop")
    sources[CONTROLLER] = ({"app.kubernetes.io/name": "ingress-nginx"}, CONTROLLER_NS)
    flows = set()
    for dest, record in found.items():
        for p in container(record)["ports"]:
            for src, source in sources.items():
                if allowed(policies, source, labels[dest], p["containerPort"], p["protocol"]):
                    flows.add((src, dest, p["containerPort"], p["protocol"]))
    return flows


@pytest.fixture(scope="module")
def prod():
    return run_prod()


def test_every_needed_flow_is_allowed_and_nothing_else(prod):
    flows = open_flows(prod)
    assert NEEDED - flows == set(), "needed but blocked"
    assert flows - NEEDED == set(), "open but not needed"


def test_default_deny_selects_every_pod(prod):
    deny = prod.named(NETPOL, "default-deny-ingress").inputs
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert deny["metadata"]["namespace"] == NAMESPACE


def test_ingress_controller_reaches_only_the_uis_it_serves():
    config = merge(
        prod_config(),
        "common",
        kubernetes={
            "ingress": {
                "enabled": True,
                "controller_namespace": CONTROLLER_NS,
                "hosts": {"grafana": "grafana.example.com"},
            }
        },
    )
    flows = open_flows(run_prod(config))
    assert flows - NEEDED == {(CONTROLLER, "grafana", 3000, "TCP")}
    assert NEEDED <= flows


def test_disabled_sources_are_not_allowed_in():
    flows = open_flows(run_prod(merge(prod_config(), "grafana", enabled=False)))
    assert not [f for f in flows if f[0] == "grafana" or f[1] == "grafana"]
    assert {f for f in NEEDED if "grafana" not in f[:2]} == flows


def test_policies_can_be_switched_off():
    run = run_prod(merge(prod_config(), "common", kubernetes={"network_policies": False}))
    assert not run.of_type(NETPOL)
    # Without policies the evaluator sees everything open: the test above is not vacuous.
    assert (OUTSIDE, "prometheus", 9090, "TCP") in open_flows(run)


def test_sources_rules_for_a_new_workload():
    """The rules apply to any Workload, not just the six shipped ones."""
    from observability_stack.components.targets.kubernetes_security import allowed_sources
    from observability_stack.components.workload import HealthCheck, Port, Workload
    from observability_stack.configs.models.service import Resources

    w = Workload(
        service="tempo",
        image="grafana/tempo:2.8.0",
        args=[],
        health=HealthCheck("/ready", 3200),
        requests=Resources(),
        limits=Resources(),
        config_dir="/etc/tempo",
        config_files={},
        secret_dir="/run/secrets/tempo",
        metrics_port="http",
        ports=[
            Port("http", 3200, ui=True, allowed_from=("grafana", "loki")),
            Port("otlp", 4317, allowed_from=("grafana", "*")),
            Port("gossip", 7946),
        ],
    )
    enabled = ["prometheus", "grafana"]
    # Prometheus added to the metrics port, the disabled Loki dropped, "*" wins, a port nobody needs stays shut.
    assert allowed_sources(w, enabled, set()) == {"http": ["grafana", "prometheus"], "otlp": ["*"]}
    assert allowed_sources(w, enabled, {"http"})["http"] == ["grafana", "ingress", "prometheus"]

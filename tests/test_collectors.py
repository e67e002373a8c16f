"""The collectors' configuration and Kubernetes objects under mocks: least-privilege RBAC for
kube-state-metrics, node-exporter's host access, and the log collector choice."""

from __future__ import annotations

import pytest
from kubernetes_helpers import BINDING, DS, ROLE, container, merge, pod_spec, prod_config, run_prod

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load_sections


@pytest.fixture(scope="module")
def prod():
    return run_prod()


def test_kube_state_metrics_lists_and_watches_only_its_collectors_kinds(prod):
    rules = prod.named(ROLE, "kube-state-metrics").inputs["rules"]
    assert {verb for rule in rules for verb in rule["verbs"]} == {"list", "watch"}
    kinds = {kind for rule in rules for kind in rule["resources"]}
    assert kinds == {
        "nodes",
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "jobs",
        "cronjobs",
        "persistentvolumeclaims",
        "namespaces",
    }
    assert {g for rule in rules for g in rule["apiGroups"]} == {"", "apps", "batch"}
    args = container(prod.named("kubernetes:apps/v1:Deployment", "kube-state-metrics"))["args"]
    (resources,) = [arg.split("=", 1)[1] for arg in args if arg.startswith("--resources=")]
    assert set(resources.split(",")) == kinds  # it collects exactly what it may read
    assert prod.named(BINDING, "kube-state-metrics").inputs["subjects"][0]["name"] == "kube-state-metrics"


def test_secrets_and_config_maps_cannot_be_collected():
    for kind in ("secrets", "configmaps"):
        with pytest.raises(ConfigError, match=r"kube_state_metrics\.collectors\[0\]"):
            load_sections({"kube_state_metrics": {"collectors": [kind]}})


def test_node_exporter_joins_the_node_and_reads_it_read_only(prod):
    record = prod.named(DS, "node-exporter")
    spec = pod_spec(record)
    assert (spec["hostPID"], spec["hostNetwork"], spec["dnsPolicy"]) == (True, True, "ClusterFirstWithHostNet")
    assert spec["tolerations"] == [{"operator": "Exists"}]
    mounts = {m["mountPath"]: m for m in container(record)["volumeMounts"] if m["name"].startswith("host-")}
    assert set(mounts) == {"/host/proc", "/host/sys", "/host/root"}
    assert all(m["readOnly"] for m in mounts.values())
    assert mounts["/host/root"]["mountPropagation"] == "HostToContainer"
    security = container(record)["securityContext"]
    assert (
        security["runAsNonRoot"] and security["readOnlyRootFilesystem"] and security["capabilities"]["drop"] == ["ALL"]
    )
    # Everything else stays off the node's namespaces.
    others = [r for r in prod.records if r.type.startswith("kubernetes:apps/v1:") and r.short != "node-exporter"]
    assert not any(pod_spec(r).get("hostPID") or pod_spec(r).get("hostNetwork") for r in others)


def test_one_log_collector_and_it_needs_loki():
    config, _, _ = load_sections({"common": {"log_collector": "alloy"}})
    assert "alloy" in config.enabled() and "promtail" not in config.enabled()
    config, _, _ = load_sections({"common": {"log_collector": "none"}})
    assert not {"alloy", "promtail"} & set(config.enabled())
    with pytest.raises(ConfigError, match="observability:alloy.enabled: alloy ships logs to Loki, which is disabled"):
        load_sections({"common": {"log_collector": "alloy"}, "loki": {"enabled": False}})
    run = run_prod(merge(prod_config(), "common", log_collector="alloy"))
    spec = pod_spec(run.named(DS, "alloy"))
    assert spec["containers"][0]["args"][:2] == ["run", "/etc/alloy/config.alloy"]
    assert not [r for r in run.records if "promtail" in r.short]


def test_alloy_reaches_loki_and_with_otlp_prometheus_and_jaeger_and_they_must_be_on():
    from test_kubernetes_network import open_flows

    run = run_prod(merge(merge(prod_config(), "common", log_collector="alloy"), "alloy", otlp={"enabled": True}))
    flows = open_flows(run)
    assert ("alloy", "loki", 3100, "TCP") in flows and ("alloy", "prometheus", 9090, "TCP") in flows
    assert not [f for f in flows if "promtail" in f[:2]]
    plain = open_flows(run_prod(merge(prod_config(), "common", log_collector="alloy")))
    assert ("alloy", "loki", 3100, "TCP") in plain and ("alloy", "prometheus", 9090, "TCP") not in plain
    for disabled in ("jaeger", "prometheus"):
        with pytest.raises(ConfigError, match=f"alloy.otlp.enabled: Alloy forwards OTLP to {disabled}"):
            load_sections(
                {
                    "common": {"log_collector": "alloy"},
                    "alloy": {"otlp": {"enabled": True}},
                    disabled: {"enabled": False},
                }
            )

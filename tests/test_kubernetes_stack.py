"""The prod stack on the Kubernetes target, run through the real program under Pulumi's mocks."""

from __future__ import annotations

import pytest
from kubernetes_helpers import (
    BINDING,
    CM,
    COMPONENT,
    DEPLOY,
    DS,
    INGRESS,
    NETPOL,
    NS,
    PDB,
    PROVIDER,
    PVC,
    PVC_PATCH,
    ROLE,
    SA,
    SECRET,
    SERVICES,
    STACK_TYPE,
    STS,
    SVC,
    container,
    k8s_records,
    merge,
    pod_spec,
    prod_config,
    resolve,
    run_prod,
    workloads,
)

from tools.harness import mockrun


@pytest.fixture(scope="module")
def prod():
    return run_prod()


# Written out by hand from the issue, not derived from the code under test.
EXPECTED = {
    "prometheus": {
        (SA, "prometheus"),
        (ROLE, "prometheus"),
        (BINDING, "prometheus"),
        (CM, "prometheus-config"),
        (STS, "prometheus"),
        (SVC, "prometheus"),
        (SVC, "prometheus-headless"),
        (PDB, "prometheus"),
        (NETPOL, "prometheus"),
        (PVC_PATCH, "prometheus-data-0"),
        (PVC_PATCH, "prometheus-data-1"),
    },
    "alertmanager": {
        (SA, "alertmanager"),
        (CM, "alertmanager-config"),
        (SECRET, "alertmanager-secret-files"),
        (STS, "alertmanager"),
        (SVC, "alertmanager"),
        (SVC, "alertmanager-headless"),
        (PDB, "alertmanager"),
        (NETPOL, "alertmanager"),
        (PVC_PATCH, "alertmanager-data-0"),
        (PVC_PATCH, "alertmanager-data-1"),
        (PVC_PATCH, "alertmanager-data-2"),
    },
    "grafana": {
        (SA, "grafana"),
        (CM, "grafana-config"),
        (SECRET, "grafana-secret-files"),
        (PVC, "grafana-data"),
        (DEPLOY, "grafana"),
        (SVC, "grafana"),
        (NETPOL, "grafana"),
    },
    "loki": {
        (SA, "loki"),
        (CM, "loki-config"),
        (STS, "loki"),
        (SVC, "loki"),
        (SVC, "loki-headless"),
        (NETPOL, "loki"),
        (PVC_PATCH, "loki-data-0"),
    },
    "promtail": {
        (SA, "promtail"),
        (ROLE, "promtail"),
        (BINDING, "promtail"),
        (CM, "promtail-config"),
        (DS, "promtail"),
        (SVC, "promtail"),
        (NETPOL, "promtail"),
    },
    "jaeger": {(SA, "jaeger"), (CM, "jaeger-config"), (DEPLOY, "jaeger"), (SVC, "jaeger"), (NETPOL, "jaeger")},
    # No files, so no ConfigMap: their whole configuration is flags.
    "node-exporter": {(SA, "node-exporter"), (DS, "node-exporter"), (SVC, "node-exporter"), (NETPOL, "node-exporter")},
    "kube-state-metrics": {
        (SA, "kube-state-metrics"),
        (ROLE, "kube-state-metrics"),
        (BINDING, "kube-state-metrics"),
        (DEPLOY, "kube-state-metrics"),
        (SVC, "kube-state-metrics"),
        (NETPOL, "kube-state-metrics"),
    },
}


def test_registers_expected_objects_each_under_its_component(prod):
    root = prod.named(STACK_TYPE, "observability")
    assert {
        (r.type, r.short)
        for r in prod.records
        if r.parent == root.urn and r.type != "random:index/randomPassword:RandomPassword"
    } == {(PROVIDER, "kubernetes"), (NS, "namespace"), (NETPOL, "default-deny-ingress")} | {
        (COMPONENT[s], s) for s in SERVICES
    }
    for service in SERVICES:
        component = prod.named(COMPONENT[service], service)
        children = {(r.type, r.short) for r in k8s_records(prod) if r.parent == component.urn}
        assert children == EXPECTED[service], service
    assert len(prod.records) == len({r.urn for r in prod.records})
    # Kubernetes names: the rendered configs address services by these exact names.
    for record in k8s_records(prod):
        metadata = record.inputs["metadata"]
        if record.type in (NS, ROLE, BINDING):
            assert "namespace" not in metadata
        else:
            assert metadata["namespace"] == "observability", record.short
    assert {r.inputs["metadata"]["name"] for r in prod.of_type(SVC)} >= set(SERVICES)
    assert prod.named(ROLE, "prometheus").inputs["metadata"]["name"] == "observability-prometheus"


def test_every_object_uses_the_stack_provider(monkeypatch):
    seen = {}
    original = mockrun.RecordingMonitor.RegisterResource

    def register(self, request):
        seen[(request.type, request.name)] = request.provider
        return original(self, request)

    monkeypatch.setattr(mockrun.RecordingMonitor, "RegisterResource", register)
    config = merge(
        prod_config(),
        "common",
        kubernetes={"kubeconfig": "/etc/kube/config", "context": "prod-ctx", "render_yaml_to": "/tmp/out"},
    )
    run = run_prod(config)
    provider = run.named(PROVIDER, "kubernetes")
    assert provider.parent == run.named(STACK_TYPE, "observability").urn
    # No upsert option: this provider release adopts existing objects on create (server-side apply);
    # tests/engine shows the retained namespace and claims taken over by the next `pulumi up`.
    assert provider.inputs == {
        "kubeconfig": "/etc/kube/config",
        "context": "prod-ctx",
        "renderYamlToDirectory": "/tmp/out",
    }
    objects = k8s_records(run)
    assert objects and all(seen[(r.type, r.name)].startswith(provider.urn + "::") for r in objects)


def test_existing_namespace_is_not_created():
    run = run_prod(merge(prod_config(), "common", kubernetes={"create_namespace": False}))
    assert not run.of_type(NS)
    assert all(r.inputs["metadata"].get("namespace") in (None, "observability") for r in k8s_records(run))
    assert run.of_type(STS)


def test_every_image_pinned(prod):
    for record in workloads(prod).values():
        image = container(record)["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, image
        assert container(record)["imagePullPolicy"] == "IfNotPresent"


def test_kinds_replicas_and_disruption_budgets(prod):
    found = workloads(prod)
    assert {n: r.type for n, r in found.items()} == {
        "prometheus": STS,
        "alertmanager": STS,
        "loki": STS,
        "grafana": DEPLOY,
        "jaeger": DEPLOY,
        "promtail": DS,
        "node-exporter": DS,
        "kube-state-metrics": DEPLOY,
    }
    assert found["prometheus"].inputs["spec"]["replicas"] == 2
    assert found["alertmanager"].inputs["spec"]["replicas"] == 3
    for name in ("prometheus", "alertmanager"):
        pdb = prod.named(PDB, name).inputs["spec"]
        assert pdb["maxUnavailable"] == 1
        assert pdb["selector"] == found[name].inputs["spec"]["selector"]
    # promtail on every node, control plane included; the pod log directory read-only.
    promtail = pod_spec(found["promtail"])
    assert {"operator": "Exists"} in promtail["tolerations"]
    host = {v["name"]: v["hostPath"]["path"] for v in promtail["volumes"] if "hostPath" in v}
    mounts = {m["mountPath"]: m for m in container(found["promtail"])["volumeMounts"]}
    assert mounts["/var/log"]["readOnly"] is True and host[mounts["/var/log"]["name"]] == "/var/log"
    env = {e["name"]: e for e in container(found["promtail"])["env"]}
    assert env["HOSTNAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"


def test_prometheus_replicas_carry_their_pod_name(prod):
    run = prod
    env = {e["name"]: e for e in container(workloads(run)["prometheus"])["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    config = run.named(CM, "prometheus-config").inputs["data"]["prometheus.yml"]
    assert "replica: ${POD_NAME}" in config


ADOPTING = {"pulumi.com/patchFieldManager": "pulumi-observability", "pulumi.com/patchForce": "true"}


def test_claims_are_retained(prod):
    sizes = {"prometheus": "50Gi", "loki": "50Gi", "alertmanager": None}
    for name, size in sizes.items():
        record = prod.named(STS, name)
        spec = record.inputs["spec"]
        assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
        (claim,) = spec["volumeClaimTemplates"]
        if size:
            assert claim["spec"]["resources"]["requests"]["storage"] == size
        mounted = {m["name"] for m in container(record)["volumeMounts"]}
        assert claim["metadata"]["name"] in mounted
        # Not retained itself: a retained object with a fixed name could never be replaced.
        assert not record.retain_on_delete
        # The API server refuses changes to the claim templates, which the provider would turn into a
        # delete and create of the StatefulSet: the templates stay as created, patches carry changes.
        assert record.ignore_changes == ["spec.volumeClaimTemplates"]
        patches = sorted(
            (r for r in prod.of_type(PVC_PATCH) if r.short.startswith(f"{name}-data-")), key=lambda r: r.short
        )
        assert [p.inputs["metadata"]["name"] for p in patches] == [f"data-{name}-{i}" for i in range(spec["replicas"])]
        for patch in patches:
            assert patch.retain_on_delete and patch.inputs["metadata"]["namespace"] == "observability"
            assert patch.inputs["metadata"]["labels"] == claim["metadata"]["labels"]
            assert patch.inputs["spec"]["resources"]["requests"] == claim["spec"]["resources"]["requests"]
            assert patch.inputs["metadata"]["annotations"] == ADOPTING
    grafana = prod.named(PVC, "grafana-data")
    assert grafana.retain_on_delete
    volumes = {v["name"]: v for v in pod_spec(prod.named(DEPLOY, "grafana"))["volumes"]}
    assert any(v.get("persistentVolumeClaim", {}).get("claimName") == "grafana-data" for v in volumes.values())
    assert prod.named(DEPLOY, "grafana").inputs["spec"]["strategy"]["type"] == "Recreate"
    # Deleting the namespace would delete the claims in it.
    assert prod.named(NS, "namespace").retain_on_delete
    # What destroy retains, the next up applies as the same field manager (tests/test_engine_kubernetes.py
    # shows a changed config adopting them): one name per stack, whatever the resource's state holds.
    for record in (grafana, prod.named(NS, "namespace")):
        assert record.inputs["metadata"]["annotations"] == ADOPTING
    # Jaeger keeps traces in memory in prod: nothing to claim.
    assert "volumeClaimTemplates" not in prod.named(DEPLOY, "jaeger").inputs["spec"]
    assert not any(r.protect for r in prod.records)


def test_service_accounts_and_tokens(prod):
    for name, record in workloads(prod).items():
        spec = pod_spec(record)
        assert spec["serviceAccountName"] == name
        # Only the services with discovery rules talk to the API.
        assert spec["automountServiceAccountToken"] is (name in ("prometheus", "promtail", "kube-state-metrics")), name
        assert prod.named(SA, name).inputs["automountServiceAccountToken"] is False
    rules = prod.named(ROLE, "prometheus").inputs["rules"]
    resources = {res for rule in rules for res in rule.get("resources", [])}
    assert {"pods", "services", "endpointslices", "nodes", "nodes/metrics"} <= resources
    assert any(rule.get("nonResourceURLs") == ["/metrics"] and "resources" not in rule for rule in rules)
    assert {v for rule in rules for v in rule["verbs"]} <= {"get", "list", "watch"}
    binding = prod.named(BINDING, "promtail").inputs
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "promtail", "namespace": "observability"}]
    assert binding["roleRef"]["name"] == prod.named(ROLE, "promtail").inputs["metadata"]["name"]


def test_disabled_service_registers_nothing():
    run = run_prod(merge(prod_config(), "jaeger", enabled=False))
    assert not [r for r in run.records if "jaeger" in r.short or "jaeger" in r.type.lower()]
    assert "jaeger" not in str([r.inputs for r in run.of_type(NETPOL)])
    assert len(workloads(run)) == len(SERVICES) - 1


def test_urls_and_ingress():
    ingress = {
        "enabled": True,
        "class_name": "traefik",
        "tls_secret": "obs-tls",
        "hosts": {"grafana": "grafana.example.com", "prometheus": "prometheus.example.com"},
        "allow_unauthenticated": ["prometheus"],
    }
    run = run_prod(merge(prod_config(), "common", kubernetes={"ingress": ingress}))
    urls = resolve(run.namespace["stack"].urls)
    assert urls["prometheus"] == {
        "internal": "http://prometheus.observability.svc:9090",
        "external": "https://prometheus.example.com",
    }
    assert urls["grafana"] == {
        "internal": "http://grafana.observability.svc:3000",
        "external": "https://grafana.example.com",
    }
    assert urls["loki"]["external"] is None and urls["jaeger"]["external"] is None
    assert {r.short for r in run.of_type(INGRESS)} == {"grafana", "prometheus"}
    only = run.named(INGRESS, "grafana")
    spec = only.inputs["spec"]
    assert only.parent == run.named(COMPONENT["grafana"], "grafana").urn
    assert spec["ingressClassName"] == "traefik"
    assert spec["tls"] == [{"hosts": ["grafana.example.com"], "secretName": "obs-tls"}]
    backend = spec["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert spec["rules"][0]["host"] == "grafana.example.com" and backend == {
        "name": "grafana",
        "port": {"number": 3000},
    }


def _grafana_root_url(run) -> str:
    files = run.named(CM, "grafana-config").inputs["data"]
    return [line for line in files["grafana.ini"].splitlines() if line.startswith("root_url")][0]


def test_grafana_root_url_follows_the_ingress_host():
    tls = {"enabled": True, "tls_secret": "obs-tls", "hosts": {"grafana": "grafana.example.com"}}
    assert (
        _grafana_root_url(run_prod(merge(prod_config(), "common", kubernetes={"ingress": tls})))
        == "root_url = https://grafana.example.com/"
    )
    plain = {"enabled": True, "hosts": {"grafana": "grafana.example.com"}}
    assert (
        _grafana_root_url(run_prod(merge(prod_config(), "common", kubernetes={"ingress": plain})))
        == "root_url = http://grafana.example.com/"
    )
    assert _grafana_root_url(run_prod(prod_config())) == "root_url = %(protocol)s://%(domain)s:%(http_port)s/"
    own = merge(
        merge(prod_config(), "common", kubernetes={"ingress": tls}), "grafana", root_url="https://g.example.org/"
    )
    assert _grafana_root_url(run_prod(own)) == "root_url = https://g.example.org/"


def test_claims_use_the_configured_storage_class():
    run = run_prod(merge(prod_config(), "common", kubernetes={"storage_class": "fast-ssd"}))
    claims = [t["spec"] for r in run.of_type(STS) for t in r.inputs["spec"]["volumeClaimTemplates"]]
    claims.append(run.named(PVC, "grafana-data").inputs["spec"])
    assert len(claims) == 4 and all(c["storageClassName"] == "fast-ssd" for c in claims)
    assert all(c["accessModes"] == ["ReadWriteOnce"] for c in claims)


def test_namespace_enforces_the_restricted_pod_security_level_unless_a_node_collector_runs():
    def levels(config):
        labels = run_prod(config).named(NS, "namespace").inputs["metadata"]["labels"]
        return {k.rsplit("/", 1)[1]: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")}

    assert levels(prod_config()) == {"enforce": "privileged", "warn": "restricted", "audit": "restricted"}
    assert levels(merge(prod_config(), "promtail", enabled=False)) == levels(prod_config())
    no_node_access = merge(merge(prod_config(), "promtail", enabled=False), "node_exporter", enabled=False)
    assert levels(no_node_access) == {
        "enforce": "restricted",
        "warn": "restricted",
        "audit": "restricted",
    }


def test_components_expose_their_workload_and_services():
    run = run_prod(prod_config())
    stack = run.namespace["stack"]
    prometheus, grafana, promtail = (stack.services[name] for name in ("prometheus", "grafana", "promtail"))
    assert type(prometheus.workload).__name__ == "StatefulSet"
    assert prometheus.workload._name == "observability-prometheus"
    assert [s._name for s in prometheus.services] == ["observability-prometheus", "observability-prometheus-headless"]
    assert type(grafana.workload).__name__ == "Deployment"
    assert [s._name for s in grafana.services] == ["observability-grafana"]
    assert type(promtail.workload).__name__ == "DaemonSet"

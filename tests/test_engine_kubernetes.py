"""The prod-shaped stack through the real Pulumi engine and Kubernetes provider, on a real API server.

What the mocks cannot show: the provider's diffs (update or replace), the API server's validation and
defaults, the awaits (kwok makes the pods ready), deletes with foreground propagation (the controller
manager's garbage collector) and what `pulumi destroy` leaves behind. The tests run in file order on
one cluster and one stack, each step building on the state the previous one left.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import SECRETS, stack_config
from engine_helpers import REPLACING, EngineStack, dumps, local_cluster, short_name
from pulumi import automation as auto

from tools.engine.cluster import CONTEXT, object_path
from tools.engine.local import on_cluster

pytestmark = pytest.mark.engine

NS = "observability"
STS, DEPLOY, DS = "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet"
CM, SECRET = "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret"
PVC, NAMESPACE = "kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:core/v1:Namespace"
PVC_PATCH = "kubernetes:core/v1:PersistentVolumeClaimPatch"
# Objects holding data or the namespace around it: never replaced or deleted by a config change.
KEEP = (STS, PVC, NAMESPACE, PVC_PATCH)
CLAIMS = [
    "data-prometheus-0",
    "data-prometheus-1",
    "data-alertmanager-0",
    "data-alertmanager-1",
    "data-alertmanager-2",
    "data-loki-0",
    "grafana-data",
]


def prod_config(cluster) -> dict:
    return on_cluster(stack_config("prod"), cluster.kubeconfig, CONTEXT)


def with_section(config: dict, section: str, **values) -> dict:
    changed = copy.deepcopy(config)
    changed[f"observability:{section}"] = {**changed.get(f"observability:{section}", {}), **values}
    return changed


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from local_cluster(tmp_path_factory)


@pytest.fixture(scope="module")
def prod(cluster, tmp_path_factory):
    stack = EngineStack(tmp_path_factory.mktemp("engine"), "prod", prod_config(cluster), SECRETS)
    yield stack


def live_objects(stack: EngineStack) -> dict[tuple[str, str], dict]:
    """(type, resource name) -> the object's outputs in state, for every Kubernetes object (no patches)."""
    found = {}
    for resource in stack.resources():
        kind = resource["type"]
        if kind.startswith("kubernetes:") and not kind.endswith("Patch"):
            found[(kind, short_name(resource["urn"]))] = resource.get("outputs") or {}
    return found


def test_a_bad_config_fails_preview_with_the_clean_message_and_registers_nothing(cluster, tmp_path):
    bad = with_section(prod_config(cluster), "prometheus", retention="30 days", replicas=0)
    stack = EngineStack(tmp_path, "bad", bad)
    with pytest.raises(auto.CommandError) as raised:
        stack.preview()
    message = str(raised.value)
    assert "invalid stack config (2 problems)" in message, message
    assert "observability:prometheus.retention: '30 days' is not a duration" in message, message
    assert "observability:prometheus.replicas" in message, message
    assert "Traceback" not in message, message
    assert stack.resources() == [], "nothing is registered"
    assert not cluster.exists(f"/api/v1/namespaces/{NS}")


def test_preview_then_up_creates_every_object_in_the_api_server(prod, cluster):
    preview, _ = prod.preview()
    assert preview.change_summary.get(auto.OpType.CREATE, 0) > 40, preview.change_summary
    up, _ = prod.up()
    assert up.summary.result == "succeeded"
    objects = live_objects(prod)
    assert len(objects) > 40
    for (kind, name), outputs in objects.items():
        metadata = outputs["metadata"]
        path = object_path(outputs["apiVersion"], outputs["kind"], metadata["name"], metadata.get("namespace"))
        live = cluster.get(path)
        assert live["kind"] == outputs["kind"] and live["metadata"]["uid"] == metadata["uid"], (kind, name)
        if kind not in (
            NAMESPACE,
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        ):
            assert live["metadata"]["namespace"] == NS, (kind, name)
    # The awaits completed on real readiness: every replica ready, on kwok's nodes.
    for name, replicas in (("prometheus", 2), ("alertmanager", 3), ("loki", 1)):
        status = cluster.get(f"/apis/apps/v1/namespaces/{NS}/statefulsets/{name}")["status"]
        assert status.get("readyReplicas") == replicas, (name, status)
    for name in ("grafana", "jaeger", "kube-state-metrics"):
        status = cluster.get(f"/apis/apps/v1/namespaces/{NS}/deployments/{name}")["status"]
        assert status.get("availableReplicas") == 1, (name, status)
    for name in ("promtail", "node-exporter"):
        status = cluster.get(f"/apis/apps/v1/namespaces/{NS}/daemonsets/{name}")["status"]
        assert status["numberReady"] == status["desiredNumberScheduled"] == 2, (name, status)
    for claim in CLAIMS:
        assert cluster.get(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{claim}")["status"]["phase"] == "Bound"
    outputs = prod.stack.outputs()
    assert outputs["grafana_admin_password"].secret
    state = prod.state_text()
    assert '"ciphertext"' in state and SECRETS["grafana_admin_password"] not in state


def test_a_preview_right_after_up_has_no_changes(prod):
    result, events = prod.preview(expect_no_changes=True)
    assert set(result.change_summary) == {auto.OpType.SAME}, (result.change_summary, events.ops())


def test_every_pod_but_the_node_agents_passes_the_restricted_pod_security_level(prod, cluster):
    """The API server's own Pod Security admission judges each live pod template, by a dry-run pod in a
    namespace that enforces `restricted`: only promtail (node log mounts, root) and node-exporter (the
    node's namespaces and filesystems) may fall short."""
    labels = cluster.get(object_path("v1", "Namespace", NS))["metadata"]["labels"]
    assert {k: v for k, v in labels.items() if k.startswith("pod-security.kubernetes.io/")} == {
        "pod-security.kubernetes.io/enforce": "privileged",  # promtail and node-exporter are on in prod
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    }
    scratch = "psa-restricted"
    status, body = cluster.api(
        "POST",
        "/api/v1/namespaces",
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": scratch, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}},
        },
    )
    assert status == 201, body
    verdicts = {}
    for plural in ("statefulsets", "deployments", "daemonsets"):
        for item in cluster.get(f"/apis/apps/v1/namespaces/{NS}/{plural}")["items"]:
            spec = copy.deepcopy(item["spec"]["template"]["spec"])
            name = item["metadata"]["name"]
            # As the StatefulSet controller does: each claim template becomes the pod's claim volume.
            spec["volumes"] = spec.get("volumes", []) + [
                {
                    "name": t["metadata"]["name"],
                    "persistentVolumeClaim": {"claimName": f"{t['metadata']['name']}-{name}-0"},
                }
                for t in item["spec"].get("volumeClaimTemplates", [])
            ]
            if spec.get("serviceAccountName"):  # the ServiceAccount admission wants it to exist
                cluster.api(
                    "POST",
                    f"/api/v1/namespaces/{scratch}/serviceaccounts",
                    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": spec["serviceAccountName"]}},
                )
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
            verdicts[name] = cluster.api("POST", f"/api/v1/namespaces/{scratch}/pods?dryRun=All", pod)
    assert len(verdicts) == 8, sorted(verdicts)
    refused = {name: body.get("message", "") for name, (status, body) in verdicts.items() if status != 201}
    assert set(refused) == {"promtail", "node-exporter"}, refused
    assert 'type "hostPath"' in refused["promtail"] and "runAsNonRoot" in refused["promtail"], refused["promtail"]
    # node-exporter runs as nobody: only the node's namespaces and paths keep it out.
    node = refused["node-exporter"]
    assert "host namespaces" in node and 'type "hostPath"' in node and "runAsNonRoot" not in node, node


@pytest.mark.parametrize(
    "section,values",
    [
        ("prometheus", {"retention": "15d"}),
        ("prometheus", {"scrape_jobs": [{"job_name": "my-app", "targets": ["my-app:8080"]}]}),
        ("alertmanager", {"group_wait": "45s"}),
        ("grafana", {"root_url": "https://grafana.example.com/"}),
        ("common", {"labels": {"environment": "prod", "team": "sre"}}),
        ("prometheus", {"storage_size": "80Gi"}),
        ("loki", {"storage_size": "80Gi"}),
    ],
    ids=["retention", "scrape-job", "route-timing", "grafana-setting", "common-labels", "prometheus-size", "loki-size"],
)
def test_a_config_change_updates_in_place_and_replaces_nothing_that_holds_data(prod, section, values):
    base = prod.config()
    prod.set_config(with_section(base, section, **values))
    try:
        result, events = prod.preview()
    finally:
        prod.set_config(base)
    changes = events.ops()
    assert changes, f"{section}={values} changed nothing"
    dangerous = [s for s in changes if s[1] in KEEP and (s[0] in REPLACING or s[0] == "delete")]
    assert not dangerous, dumps(changes)
    # ConfigMaps and Secrets are replaced create-before-delete (new name), never delete-before-create.
    for op, kind, name in changes:
        if op in REPLACING:
            assert kind in (CM, SECRET, "kubernetes:policy/v1:PodDisruptionBudget"), (op, kind, name)


def test_switching_the_log_collector_to_alloy_previews_as_the_swap_and_what_names_the_collector(prod):
    """promtail's objects go and Alloy's come; besides them, only Prometheus (its job and down alert),
    Grafana (the up panel) and Loki's policy (who may push) change, and nothing holding data."""
    base = prod.config()
    prod.set_config(with_section(base, "common", log_collector="alloy"))
    try:
        _, events = prod.preview()
    finally:
        prod.set_config(base)
    changes = events.ops()
    collectors = {(op, name) for op, kind, name in changes if "promtail" in name or "alloy" in name}
    others = {(op, kind.rsplit(":", 1)[-1], name) for op, kind, name in changes if (op, name) not in collectors}
    assert {op for op, name in collectors if "promtail" in name} == {"delete"}, dumps(changes)
    assert {op for op, name in collectors if "alloy" in name} == {"create"}, dumps(changes)
    assert {name for _, name in collectors if "alloy" in name} >= {"alloy", "alloy-config"}
    assert {change for change in others if change[0] != "replace"} == {
        ("update", "StatefulSet", "prometheus"),
        ("create-replacement", "ConfigMap", "prometheus-config"),
        ("delete-replaced", "ConfigMap", "prometheus-config"),
        ("update", "Deployment", "grafana"),
        ("create-replacement", "ConfigMap", "grafana-config"),
        ("delete-replaced", "ConfigMap", "grafana-config"),
        ("update", "NetworkPolicy", "loki"),
    }, dumps(changes)


def test_a_config_file_change_rolls_the_pods_without_a_gap(prod, cluster):
    base = prod.config()
    before = cluster.get(f"/apis/apps/v1/namespaces/{NS}/statefulsets/prometheus")
    old = _config_map(before)
    prod.set_config(with_section(base, "prometheus", external_labels={"cluster": "prod-eu"}))  # prometheus.yml
    _, events = prod.up()
    # ("replace" is the engine's marker step between the two halves of a replacement.)
    order = [
        (op, name)
        for op, kind, name in events.ops(CM, STS)
        if name in ("prometheus", "prometheus-config") and op != "replace"
    ]
    # The new ConfigMap exists before the StatefulSet moves to it; the old one goes after.
    assert order == [
        ("create-replacement", "prometheus-config"),
        ("update", "prometheus"),
        ("delete-replaced", "prometheus-config"),
    ], order
    after = cluster.get(f"/apis/apps/v1/namespaces/{NS}/statefulsets/prometheus")
    new = _config_map(after)
    assert new != old and cluster.exists(f"/api/v1/namespaces/{NS}/configmaps/{new}")
    assert not cluster.exists(f"/api/v1/namespaces/{NS}/configmaps/{old}")
    assert after["metadata"]["uid"] == before["metadata"]["uid"], "the StatefulSet was updated, not replaced"
    assert after["status"].get("readyReplicas") == 2
    prod.preview(expect_no_changes=True)


def test_a_rotated_secret_reaches_the_pods_through_a_new_secret(prod, cluster):
    before = cluster.get(f"/apis/apps/v1/namespaces/{NS}/deployments/grafana")
    old = _secret(before)
    prod.stack.set_config(
        "observability:secrets.grafana_admin_password", auto.ConfigValue("a-rotated-password", secret=True), path=True
    )
    _, events = prod.up()
    order = [
        (op, kind.rsplit(":", 1)[-1])
        for op, kind, name in events.ops(SECRET, DEPLOY)
        if name.startswith("grafana") and op != "replace"
    ]
    assert order == [("create-replacement", "Secret"), ("update", "Deployment"), ("delete-replaced", "Secret")], order
    after = cluster.get(f"/apis/apps/v1/namespaces/{NS}/deployments/grafana")
    new = _secret(after)
    assert new != old and cluster.exists(f"/api/v1/namespaces/{NS}/secrets/{new}")
    assert not cluster.exists(f"/api/v1/namespaces/{NS}/secrets/{old}")
    assert "a-rotated-password" not in prod.state_text()
    assert "a-rotated-password" not in dumps(after)


def test_destroy_keeps_the_data_and_the_next_up_adopts_it(prod, cluster):
    uids = {
        claim: cluster.get(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{claim}")["metadata"]["uid"]
        for claim in CLAIMS
    }
    namespace_uid = cluster.get(f"/api/v1/namespaces/{NS}")["metadata"]["uid"]
    prod.destroy()
    assert prod.resources() == [] or all(r["type"].startswith("pulumi:") for r in prod.resources())
    for claim, uid in uids.items():
        live = cluster.get(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{claim}")
        assert live["metadata"]["uid"] == uid and live["status"]["phase"] == "Bound", claim
    assert cluster.get(f"/api/v1/namespaces/{NS}")["metadata"]["uid"] == namespace_uid
    for path in (
        "/apis/apps/v1/namespaces/observability/statefulsets/prometheus",
        "/apis/apps/v1/namespaces/observability/deployments/grafana",
    ):
        assert not cluster.exists(path), path
    up, _ = prod.up()
    assert up.summary.result == "succeeded"
    for claim, uid in uids.items():
        live = cluster.get(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{claim}")
        assert live["metadata"]["uid"] == uid, f"{claim} was recreated, not reused"
    assert cluster.get(f"/api/v1/namespaces/{NS}")["metadata"]["uid"] == namespace_uid
    prod.preview(expect_no_changes=True)


# Down, edit, up again, as users do: each starts from the stack as the previous one left it (destroyed,
# its namespace and claims retained) and changes what the retained objects carry or which services run.
DOWN_CHANGE_UP = [
    # The namespace's and claims' labels: fields the previous `up` applied with other values.
    {"common": {"labels": {"environment": "prod", "team": "sre"}}},
    # Sizes: Grafana's claim is the stack's own object, Prometheus' are the StatefulSet's, patched.
    {"grafana": {"storage_size": "3Gi"}, "prometheus": {"storage_size": "60Gi"}},
    # Loki and its collector go (Loki's claim stays, untouched), Prometheus keeps less.
    {"loki": {"enabled": False}, "common": {"log_collector": "none"}, "prometheus": {"retention": "20d"}},
    # Loki comes back: its StatefulSet finds its old claim, the claim's patch takes it over again.
    {"loki": {"enabled": True}, "common": {"log_collector": "promtail"}},
    # A label dropped: the retained objects lose it, as a fresh `up` would never have set it.
    {"common": {"labels": {"environment": "prod"}}},
]


def test_destroy_then_a_changed_config_then_up_adopts_the_retained_objects(prod, cluster):
    uids = {claim: _claim(cluster, claim)["metadata"]["uid"] for claim in CLAIMS}
    namespace_uid = cluster.get(f"/api/v1/namespaces/{NS}")["metadata"]["uid"]
    config = prod.config()
    for change in DOWN_CHANGE_UP:
        prod.destroy()
        for section, values in change.items():
            config = with_section(config, section, **values)
        prod.set_config(config)
        up, _ = prod.up()
        assert up.summary.result == "succeeded", change
        labels = config["observability:common"]["labels"]
        namespace = cluster.get(f"/api/v1/namespaces/{NS}")
        assert namespace["metadata"]["uid"] == namespace_uid, change
        assert _stack_labels(namespace) == labels, (change, namespace["metadata"]["labels"])
        loki = config.get("observability:loki", {}).get("enabled", True)
        for claim, uid in uids.items():
            live = _claim(cluster, claim)
            assert live["metadata"]["uid"] == uid, f"{claim} recreated after {change}"
            if loki or "loki" not in claim:
                assert _stack_labels(live) == labels, (claim, change, live["metadata"]["labels"])
        prometheus = cluster.get(f"/apis/apps/v1/namespaces/{NS}/statefulsets/prometheus")
        files = cluster.get(f"/api/v1/namespaces/{NS}/configmaps/{_config_map(prometheus)}")["data"]
        retention = yaml.safe_load(files["prometheus.yml"])["storage"]["tsdb"]["retention"]["time"]
        assert retention == config["observability:prometheus"]["retention"], change
        assert cluster.exists(f"/apis/apps/v1/namespaces/{NS}/statefulsets/loki") == loki
        prod.preview(expect_no_changes=True)


def _claim(cluster, name: str) -> dict:
    return cluster.get(f"/api/v1/namespaces/{NS}/persistentvolumeclaims/{name}")


def _stack_labels(obj: dict) -> dict:
    """The labels the config sets (the stack's own and the pod-security ones left out)."""
    return {
        k: v
        for k, v in obj["metadata"].get("labels", {}).items()
        if "/" not in k and k not in ("kubernetes.io/metadata.name",)
    }


def _config_map(statefulset: dict) -> str:
    volumes = statefulset["spec"]["template"]["spec"]["volumes"]
    return next(v["configMap"]["name"] for v in volumes if "configMap" in v)


def _secret(deployment: dict) -> str:
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    return next(v["secret"]["secretName"] for v in volumes if "secret" in v)

"""Stack-scoped names on the real engine and Kubernetes provider, on a real API server.

A stack created at the last commit with bare resource names updates to scoped names with no create,
delete or replace: the aliases (components/naming.py) carry every resource over, and the provider
keeps the auto-named Secrets' names. Two stacks in one program, which the engine refused before
(duplicate URNs), come up side by side and go again.
"""

from __future__ import annotations

import pytest
from conftest import SECRETS, stack_config
from engine_helpers import EngineStack, local_cluster
from pulumi import automation as auto
from rename_helpers import BARE_NAMES_COMMIT, stack_config_at, tree_at, two_stacks_tree

from tools.engine.cluster import CONTEXT
from tools.engine.local import ROOT, on_cluster

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from local_cluster(tmp_path_factory)


# What changed since that commit besides the names: the cluster's scrape jobs and rules (prometheus.cluster,
# rules/cluster.yml, stack.yml) are in Prometheus' config, and the cluster and service dashboards in
# Grafana's, so each content-named ConfigMap is replaced and its workload rolls onto it. Nothing else
# may change.
CLUSTER_MONITORING = {
    ("kubernetes:core/v1:ConfigMap", "prometheus-config"),
    ("kubernetes:apps/v1:StatefulSet", "prometheus"),
    ("kubernetes:core/v1:ConfigMap", "grafana-config"),
    ("kubernetes:apps/v1:Deployment", "grafana"),
}
REPLACED = ("prometheus-config", "grafana-config")


def _changed(events) -> set[tuple[str, str]]:
    return {(kind, name) for _, kind, name in events.ops()}


@pytest.fixture(scope="module")
def upgraded(cluster, tmp_path_factory):
    old = tree_at(BARE_NAMES_COMMIT, tmp_path_factory.mktemp("bare-names"))
    # Its stack file then, when the PRSM content was the package's defaults; now the file names the pack
    # (packs/prsm): the same content, moved, so the upgrade is still no change.
    then = on_cluster(stack_config_at(BARE_NAMES_COMMIT, "prod"), cluster.kubeconfig, CONTEXT)
    stack = EngineStack(tmp_path_factory.mktemp("renames"), "prod", then, SECRETS, root=old)
    up, _ = stack.up()
    assert up.summary.result == "succeeded"
    before = {r["urn"]: r for r in stack.resources()}
    stack.run_program_of(ROOT)
    stack.set_config(on_cluster(stack_config("prod"), cluster.kubeconfig, CONTEXT))
    yield stack, before
    stack.destroy()


def test_a_stack_with_bare_names_previews_its_upgrade_as_no_rename(upgraded):
    stack, before = upgraded
    assert any(urn.endswith("::prometheus") for urn in before)
    result, events = stack.preview()
    assert set(result.change_summary) <= {auto.OpType.SAME, auto.OpType.REPLACE, auto.OpType.UPDATE}, events.ops()
    assert _changed(events) == CLUSTER_MONITORING, (result.change_summary, events.ops())


def test_the_upgrade_renames_every_resource_and_keeps_every_object(upgraded, cluster):
    stack, before = upgraded
    up, events = stack.up()
    assert up.summary.result == "succeeded"
    assert _changed(events) == CLUSTER_MONITORING, events.ops()
    after = stack.resources()
    assert len(after) == len(before)
    scoped = [r for r in after if r["type"] not in ("pulumi:pulumi:Stack", "observability:index:ObservabilityStack")]
    assert all(r["urn"].rsplit("::", 1)[-1].startswith("observability-") for r in scoped)

    # The same objects: an id is the object's [namespace/]name (a Secret's auto-name too), and the
    # uid the API server gave it did not change.
    def uids(resources):
        return {
            (r["type"], r["id"]): r["outputs"]["metadata"]["uid"]
            for r in resources
            if r["type"].startswith("kubernetes:")
            and "Patch" not in r["type"]
            and r.get("id")
            and not any(name in r["id"] for name in REPLACED)  # replaced, above
        }

    assert uids(after) == uids(before.values())
    assert len(uids(after)) > 40
    result, events = stack.preview(expect_no_changes=True)
    assert set(result.change_summary) == {auto.OpType.SAME}, events.ops()


def test_two_stacks_in_one_program_come_up_side_by_side(cluster, tmp_path_factory):
    sections = {
        "observability:common": {"target": "kubernetes", "kubernetes": {"network_policies": True}},
        **{
            f"observability:{s}": {"enabled": False} for s in ("grafana", "loki", "promtail", "jaeger", "node_exporter")
        },
        "observability:kube_state_metrics": {"enabled": False},
        "observability:alertmanager": {"replicas": 1},
        "observability:prometheus": {"replicas": 1},
    }
    config = on_cluster(sections, cluster.kubeconfig, CONTEXT)
    home = tmp_path_factory.mktemp("two-stacks")
    stack = EngineStack(home, "two", config, root=two_stacks_tree(home / "program"))
    try:
        up, _ = stack.up()
        assert up.summary.result == "succeeded"
        for team in ("team-a", "team-b"):
            for kind in ("statefulsets/prometheus", "statefulsets/alertmanager"):
                live = cluster.get(f"/apis/apps/v1/namespaces/{team}/{kind}")
                assert live["status"].get("readyReplicas") == 1, (team, kind, live["status"])
        outputs = stack.stack.outputs()
        assert outputs["team-a"].value["prometheus"]["internal"] == "http://prometheus.team-a.svc:9090"
        assert outputs["team-b"].value["prometheus"]["internal"] == "http://prometheus.team-b.svc:9090"
        result, events = stack.preview(expect_no_changes=True)
        assert set(result.change_summary) == {auto.OpType.SAME}, events.ops()
    finally:
        stack.destroy()

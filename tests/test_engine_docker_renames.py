"""Stack-scoped names on the real Docker provider and Docker Engine: a stack created at the last commit
with bare resource names (`prometheus`, `network`, `prometheus-data`) updates to scoped names with no
create or delete, so every volume, the network and every container stay what they were; only the
Prometheus container is replaced, for the rules shipped since (RULES_CHANGED)."""

from __future__ import annotations

import pytest
from conftest import SECRETS
from engine_helpers import EngineStack, docker_engine, remove_docker_leftovers
from pulumi import automation as auto
from rename_helpers import BARE_NAMES_COMMIT, tree_at

from tests.prsm_pack import PACK_CONFIG
from tools.engine.local import ROOT
from tools.harness.docker_local import local_config

pytestmark = pytest.mark.docker

PREFIX = "obs-rename"
SERVICES = ("prometheus", "alertmanager", "jaeger", "node-exporter")
# What changed since that commit besides the names: Prometheus' shipped rules (self_rules.py's groups in
# rules/stack.yml). Its config files are uploads, which the Docker provider puts in place by replacing
# the container; its data volume stays. Nothing else may change.
RULES_CHANGED = [
    ("delete-replaced", "docker:index/container:Container", "prometheus"),
    ("replace", "docker:index/container:Container", "prometheus"),
    ("create-replacement", "docker:index/container:Container", "prometheus"),
]


@pytest.fixture(scope="module")
def engine():
    return docker_engine()


@pytest.fixture(scope="module")
def upgraded(engine, tmp_path_factory):
    remove_docker_leftovers(engine, PREFIX, SERVICES)
    old = tree_at(BARE_NAMES_COMMIT, tmp_path_factory.mktemp("bare-names"))
    stack = EngineStack(tmp_path_factory.mktemp("docker-renames"), "docker", local_config(PREFIX), SECRETS, root=old)
    try:
        up, _ = stack.up()
        assert up.summary.result == "succeeded"
        before = {r["urn"]: r for r in stack.resources()}
        ids = {service: engine.inspect(f"{PREFIX}-{service}")["Id"] for service in SERVICES}
        stack.run_program_of(ROOT)
        # The content the old commit shipped as defaults is the PRSM pack's now: the same, moved.
        stack.set_config({**PACK_CONFIG, **local_config(PREFIX)})
        yield stack, before, ids
        stack.destroy()
    finally:
        remove_docker_leftovers(engine, PREFIX, SERVICES)


def test_a_stack_with_bare_names_upgrades_replacing_only_the_container_whose_rules_changed(upgraded, engine):
    stack, before, ids = upgraded
    assert any(urn.endswith("docker:index/network:Network::network") for urn in before)
    preview, events = stack.preview()
    assert sorted(events.ops()) == sorted(RULES_CHANGED), (preview.change_summary, events.ops())
    assert events.diffs == {"prometheus": {"uploads"}}, events.diffs
    up, events = stack.up()
    assert up.summary.result == "succeeded" and sorted(events.ops()) == sorted(RULES_CHANGED), events.ops()
    after = stack.resources()

    def objects(resources):
        # Every object by its id (a volume's id is its name), but the Prometheus container replaced above.
        return {
            (r["type"], r.get("id"))
            for r in resources
            if not (r["type"] == "docker:index/container:Container" and r["urn"].endswith("prometheus"))
        }

    assert objects(after) == objects(before.values())
    names = [r["urn"].rsplit("::", 1)[-1] for r in after if r.get("parent") and "ObservabilityStack::" not in r["urn"]]
    # The stack's children and theirs; the engine's default Docker provider is nobody's child.
    assert len(names) > 10 and all(name.startswith("observability-") for name in names), names
    # The very containers that were running before: not re-created behind the same name (but Prometheus,
    # for its rules, whose data volume is one of the resources above, the same).
    kept = [service for service in SERVICES if service != "prometheus"]
    assert {service: engine.inspect(f"{PREFIX}-{service}")["Id"] for service in kept} == {s: ids[s] for s in kept}
    result, events = stack.preview(expect_no_changes=True)
    assert set(result.change_summary) == {auto.OpType.SAME}, events.ops()

"""Stack-scoped names on the real Docker provider and Docker Engine: a stack created at the last commit
with bare resource names (`prometheus`, `network`, `prometheus-data`) updates to scoped names with no
create, delete or replace, so every container, volume and the network stay what they were."""

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


def test_a_stack_with_bare_names_upgrades_with_nothing_created_deleted_or_replaced(upgraded, engine):
    stack, before, ids = upgraded
    assert any(urn.endswith("docker:index/network:Network::network") for urn in before)
    preview, events = stack.preview()
    assert set(preview.change_summary) == {auto.OpType.SAME}, (preview.change_summary, events.ops())
    up, events = stack.up()
    assert up.summary.result == "succeeded" and not events.ops(), events.ops()
    after = stack.resources()
    assert {(r["type"], r.get("id")) for r in after} == {(r["type"], r.get("id")) for r in before.values()}
    names = [r["urn"].rsplit("::", 1)[-1] for r in after if r.get("parent") and "ObservabilityStack::" not in r["urn"]]
    # The stack's children and theirs; the engine's default Docker provider is nobody's child.
    assert len(names) > 10 and all(name.startswith("observability-") for name in names), names
    # The very containers that were running before: not re-created behind the same name.
    assert {service: engine.inspect(f"{PREFIX}-{service}")["Id"] for service in SERVICES} == ids
    result, events = stack.preview(expect_no_changes=True)
    assert set(result.change_summary) == {auto.OpType.SAME}, events.ops()

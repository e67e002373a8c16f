"""Resource names scoped by the stack's name (components/naming.py): two stacks in one program, and the
aliases that let a stack created with bare names update in place (the real engine shows that in
tests/test_engine_renames.py)."""

from __future__ import annotations

import textwrap

import pytest

from tools.harness import mockrun
from tools.harness.mockrun import run_program

TWO_STACKS = """
import observability_stack as obs

only = {{s: {{"enabled": False}} for s in ("grafana", "loki", "promtail", "jaeger", "node_exporter", "cadvisor",
        "kube_state_metrics")}}
for name in ("team-a", "team-b"):
    common = {{"target": "{target}", "name_prefix": name}}
    obs.ObservabilityStack(name, obs.StackArgs(config={{"common": common, **only}}))
"""


def _run(tmp_path, source: str):
    program = tmp_path / "__main__.py"
    program.write_text(textwrap.dedent(source))
    return run_program({}, program=program)


@pytest.mark.parametrize("target", ["docker", "kubernetes"])
def test_two_stacks_in_one_program_register_no_urn_twice(tmp_path, target):
    run = _run(tmp_path, TWO_STACKS.format(target=target))
    urns = [r.urn for r in run.records]
    assert len(urns) == len(set(urns)), sorted(u for u in urns if urns.count(u) > 1)
    stacks = run.of_type("observability:index:ObservabilityStack")
    assert sorted(s.name for s in stacks) == ["team-a", "team-b"]
    for stack in stacks:
        # Every resource under a stack carries its name, however deep it sits.
        children = {stack.urn}
        for record in run.records:
            if record.parent in children:
                children.add(record.urn)
                assert record.name.startswith(f"{stack.name}-"), record.urn
        assert len(children) > 8  # the components and their containers or objects


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_child_is_aliased_to_its_bare_name(monkeypatch, stack):
    aliases: dict[str, list[str]] = {}
    original = mockrun.RecordingMonitor.RegisterResource

    def register(self, request):
        aliases[request.name] = [a.spec.name for a in request.aliases]
        return original(self, request)

    monkeypatch.setattr(mockrun.RecordingMonitor, "RegisterResource", register)
    from kubernetes_helpers import prod_config

    config = prod_config() if stack == "prod" else {}
    run = run_program(config, stack=stack)
    children = [
        r for r in run.records if r.type not in ("pulumi:pulumi:Stack", "observability:index:ObservabilityStack")
    ]
    assert children
    for record in children:
        assert record.name == f"{mockrun.STACK_NAME}-{record.short}"
        # The Kubernetes SDK adds its own aliases, by type only (an object's older API versions).
        assert [name for name in aliases[record.name] if name] == [record.short], record.urn

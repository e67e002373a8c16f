"""How to unit-test a program that uses the components: Pulumi's mocks stand in for the engine and the
providers, so the test runs in a second with no cluster. `pytest` in this directory runs it."""

import pulumi
import pytest


class Mocks(pulumi.runtime.Mocks):
    """Every resource's state is its inputs; `registered` keeps them by (type, name) for the assertions."""

    def __init__(self):
        self.registered: dict[tuple[str, str], dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registered[(args.typ, args.name)] = args.inputs
        return f"{args.name}-id", args.inputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


mocks = Mocks()
pulumi.runtime.set_mocks(mocks, preview=False)

import monitoring  # noqa: E402
import pulumi_kubernetes as k8s  # noqa: E402  (after set_mocks: resources register with the mocks)

import observability_stack as obs  # noqa: E402

WEBHOOK = "https://hooks.slack.com/services/T000/B000/not-a-real-one"


def deploy():
    provider = k8s.Provider("cluster", context="test")
    return monitoring.deploy(provider, "monitoring", pulumi.Output.secret(WEBHOOK))


def registered(stack) -> pulumi.Output:
    """Resolves once the workloads are registered, so the config and secrets before them are too."""
    return pulumi.Output.all(*(component.workload.id for component in stack.services.values()))


@pulumi.runtime.test
def test_only_prometheus_and_alertmanager_in_the_given_namespace():
    stack = deploy()
    assert set(stack.services) == {"prometheus", "alertmanager"}

    def check(args):
        urls, _ = args
        assert urls["prometheus"]["internal"] == "http://prometheus.monitoring.svc:9090"
        kinds = {kind for kind, _ in mocks.registered}
        # The namespace is yours and the provider is yours: the stack makes neither.
        assert "kubernetes:core/v1:Namespace" not in kinds
        assert [name for kind, name in mocks.registered if kind == "pulumi:providers:kubernetes"] == ["cluster"]

    return pulumi.Output.all(stack.urls, registered(stack)).apply(check)


@pulumi.runtime.test
def test_the_webhook_is_a_secret_and_never_in_a_config_map():
    stack = deploy()

    def check(_):
        config_maps = [
            inputs for (kind, _), inputs in mocks.registered.items() if kind == "kubernetes:core/v1:ConfigMap"
        ]
        assert config_maps and WEBHOOK not in repr(config_maps)
        secret = mocks.registered[("kubernetes:core/v1:Secret", "monitoring-alertmanager-secret-files")]
        assert WEBHOOK in repr(secret)  # delivered, as a file in a Secret

    return registered(stack).apply(check)


def test_a_bad_config_fails_before_any_resource_with_its_path():
    with pytest.raises(obs.ConfigError) as error:
        obs.ObservabilityStack("broken", obs.StackArgs(config={"prometheus": {"retention": "a week"}}))
    assert "observability:prometheus.retention" in str(error.value)

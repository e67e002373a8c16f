"""The public API under Pulumi's mocks, as a user's program calls it: a config mapping validated in the
component, a caller's provider passed in opts, an existing Docker network or Kubernetes namespace."""

from __future__ import annotations

import textwrap

import pytest

from tools.harness.mockrun import run_program

K8S_PROVIDER, DOCKER_PROVIDER = "pulumi:providers:kubernetes", "pulumi:providers:docker"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

KUBERNETES = {"target": "kubernetes", "name_prefix": "monitoring"}
ONLY_PROMETHEUS_ALERTMANAGER = {
    s: {"enabled": False}
    for s in ("grafana", "loki", "promtail", "jaeger", "node_exporter", "cadvisor", "kube_state_metrics")
}

# The package ships no integration: a receiver of the user's names the secret.
SLACK = {"receivers": [{"name": "default", "slack": {"webhook_secret": "slack_webhook_url", "channel": "#ops"}}]}


def run_user_program(tmp_path, body: str, **kw):
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi\nimport pulumi_docker as docker\nimport pulumi_kubernetes as k8s\n"
        "import observability_stack as obs\n\n" + textwrap.dedent(body)
    )
    return run_program({}, program=program, **kw)


def test_a_config_mapping_is_validated_in_the_component_with_every_problem_and_its_path(tmp_path):
    with pytest.raises(Exception) as error:
        run_user_program(
            tmp_path,
            """
            obs.ObservabilityStack("obs", obs.StackArgs(config={
                "prometheus": {"retention": "a week"},
                "alertmanager": {"receivers": [{"name": "x", "slack": {"channel": 7}}]},
            }))
            """,
        )
    message = str(error.value)
    assert "observability:prometheus.retention" in message
    assert "observability:alertmanager.receivers[0].slack.channel" in message


def test_a_caller_provider_and_namespace_on_kubernetes(tmp_path):
    run = run_user_program(
        tmp_path,
        f"""
        cluster = k8s.Provider("cluster", context="theirs")
        obs.ObservabilityStack(
            "obs",
            obs.StackArgs(config={{
                "common": {{**{KUBERNETES!r}, "kubernetes": {{"create_namespace": False}}}},
                **{ONLY_PROMETHEUS_ALERTMANAGER!r},
            }}),
            pulumi.ResourceOptions(providers=[cluster]),
        )
        """,
    )
    assert [r.name for r in run.of_type(K8S_PROVIDER)] == ["cluster"]
    assert not run.of_type("kubernetes:core/v1:Namespace")
    kube = [r for r in run.records if r.type.startswith("kubernetes:")]
    assert kube and {r.provider.split("::")[-2] for r in kube} == {"cluster"}
    # Only this stack's pods are denied by default: the namespace holds the caller's workloads too.
    (deny,) = [r for r in run.of_type(NETPOL) if r.name == "obs-default-deny-ingress"]
    assert deny.inputs["spec"]["podSelector"] == {
        "matchLabels": {
            "app.kubernetes.io/instance": "monitoring",
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/part-of": "observability",
        }
    }
    # Named apart from a namespace-wide deny the namespace's owner may already have.
    assert deny.inputs["metadata"]["name"] == "monitoring-default-deny-ingress"


def test_in_its_own_namespace_the_default_deny_covers_every_pod(tmp_path):
    run = run_user_program(
        tmp_path,
        f"""obs.ObservabilityStack("obs", obs.StackArgs(config={{"common": {KUBERNETES!r}}}))\n""",
    )
    (deny,) = [r for r in run.of_type(NETPOL) if r.name == "obs-default-deny-ingress"]
    assert deny.inputs["spec"]["podSelector"] == {}
    assert [r.name for r in run.of_type(K8S_PROVIDER)] == ["obs-kubernetes"]


@pytest.mark.parametrize(
    "target, provider, setting",
    [
        ("kubernetes", 'k8s.Provider("cluster")', '"kubernetes": {"context": "other"}'),
        ("docker", 'docker.Provider("engine", host="unix:///var/run/docker.sock")', '"docker": {"host": "ssh://h"}'),
    ],
)
def test_a_caller_provider_with_provider_settings_in_the_config_is_refused(tmp_path, target, provider, setting):
    with pytest.raises(Exception) as error:
        run_user_program(
            tmp_path,
            f"""
            obs.ObservabilityStack(
                "obs",
                obs.StackArgs(config={{"common": {{"target": "{target}", {setting}}}}}),
                pulumi.ResourceOptions(provider={provider}),
            )
            """,
        )
    assert f"observability:common.{target}." in str(error.value)
    assert "provider passed in opts" in str(error.value)


def test_docker_through_a_caller_provider_on_an_existing_network(tmp_path):
    run = run_user_program(
        tmp_path,
        f"""
        engine = docker.Provider("engine", host="unix:///var/run/docker.sock")
        obs.ObservabilityStack(
            "obs",
            obs.StackArgs(
                config={{"common": {{"docker": {{"existing_network": "apps"}}}}, **{ONLY_PROMETHEUS_ALERTMANAGER!r}}}
            ),
            pulumi.ResourceOptions(provider=engine),
        )
        """,
    )
    assert not run.of_type("docker:index/network:Network")
    assert [r.name for r in run.of_type(DOCKER_PROVIDER)] == ["engine"]
    containers = run.of_type("docker:index/container:Container")
    assert sorted(c.name for c in containers) == ["obs-alertmanager", "obs-prometheus"]
    for container in containers:
        assert container.provider.split("::")[-2] == "engine"
        assert [n["name"] for n in container.inputs["networksAdvanced"]] == ["apps"]


def test_secrets_by_name_stay_secret(tmp_path):
    run = run_user_program(
        tmp_path,
        f"""
        obs.ObservabilityStack("obs", obs.StackArgs(
            config={{"common": {KUBERNETES!r}, **{ONLY_PROMETHEUS_ALERTMANAGER!r}, "alertmanager": {SLACK!r}}},
            secrets={{"slack_webhook_url": "https://hooks.slack.example/T0/B0/user-program"}},
        ))
        """,
    )
    secret = run.named("kubernetes:core/v1:Secret", "obs-alertmanager-secret-files")
    assert secret.secret_paths and "user-program" not in repr(secret.inputs)
    assert all("user-program" not in repr(r.inputs) for r in run.records)


def test_a_stack_config_built_by_the_caller_gets_the_cross_checks_too(tmp_path):
    with pytest.raises(Exception) as error:
        run_user_program(
            tmp_path,
            """
            config = obs.StackConfig.model_validate(
                {"prometheus": {"scrape_jobs": [{"job_name": "prometheus", "targets": ["x:1"]}]}}
            )
            obs.ObservabilityStack("obs", obs.StackArgs(config=config))
            """,
        )
    assert "observability:prometheus.scrape_jobs" in str(error.value)

"""A service is declared once: a toy service registered the way a real one is (its model, its renderer,
its component) appears everywhere the stack derives from the registry, on both targets."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from observability_stack.components.service import COMPONENTS, ServiceArgs, ServiceComponent
from observability_stack.components.workload import HealthCheck, Port, Workload
from observability_stack.configs import registry
from observability_stack.configs.content.meta_rules import meta_rule_groups
from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load_sections
from observability_stack.configs.models.service import Image, Service
from observability_stack.configs.registry import ServiceFacts
from observability_stack.configs.render.common import CONFIG_DIRS, DATA_DIRS, PORTS, SECRET_DIRS, RenderContext, to_yaml
from observability_stack.configs.render.files import all_files
from tools.generate import config_reference
from tools.harness.mockrun import run_program

TOY = ServiceFacts(port=7070, config_dir="/etc/toy", data_dir="/toy", ui=True, single_replica=True)


@pytest.fixture
def toy():
    @registry.service("toy", TOY)
    class Toy(Service):
        image: Image = Image(repository="example.org/toy", tag="1.2.3")
        greeting: str = "hello"

    @registry.renders("toy")
    def render_toy(ctx: RenderContext) -> dict[str, str]:
        return {"toy.yaml": to_yaml({"greeting": ctx.cfg.toy.greeting, "prometheus": ctx.topology.url("prometheus")})}

    class ToyComponent(ServiceComponent):
        SERVICE = "toy"
        TYPE = "observability:index:Toy"

        def describe(self, args: ServiceArgs) -> Workload:
            port = PORTS["toy"]
            workload = self.base(
                args,
                args=[],
                ports=[Port("web", port, ui=True, allowed_from=("grafana",))],
                health=HealthCheck.http("/healthz", port),
                metrics_port="web",
            )
            workload.args = [f"--config={workload.config_dir}/toy.yaml"]
            return workload

    yield Toy
    registry.unregister("toy")
    COMPONENTS.pop("toy", None)


def test_the_config_has_a_checked_section(toy):
    config, _, _ = load_sections({"toy": {"greeting": "hi"}})
    assert config.toy.greeting == "hi" and "toy" in config.enabled()
    with pytest.raises(ConfigError) as error:
        load_sections({"toy": {"greeting": ["not", "a", "string"], "replicas": 2}})
    assert "observability:toy.greeting" in str(error.value)
    with pytest.raises(ConfigError) as error:
        load_sections({"toy": {"replicas": 2}})
    assert "observability:toy.replicas: toy runs as a single instance here" in str(error.value)
    assert "### `toy`" in config_reference.reference()


def test_ports_directories_files_scrape_job_and_down_alert(toy):
    assert (PORTS["toy"], CONFIG_DIRS["toy"], DATA_DIRS["toy"], SECRET_DIRS["toy"]) == (
        7070,
        "/etc/toy",
        "/toy",
        "/run/secrets/toy",
    )
    config, secrets, _ = load_sections({})
    files = all_files(config, secrets.names())
    assert yaml.safe_load(files["toy"]["toy.yaml"]) == {"greeting": "hello", "prometheus": "http://prometheus:9090"}
    jobs = {job["job_name"]: job for job in yaml.safe_load(files["prometheus"]["prometheus.yml"])["scrape_configs"]}
    assert jobs["toy"]["static_configs"] == [{"targets": ["toy:7070"]}]
    (group,) = meta_rule_groups(config.enabled())
    (down,) = [rule for rule in group["rules"] if rule.get("alert") == "ToyDown"]
    assert down["expr"] == 'up{job="toy"} == 0 or absent(up{job="toy"})'
    assert down["labels"]["severity"] == "warning"
    # It has a UI, so an ingress host may name it; a service without one may not.
    load_sections(
        {"common": {"target": "kubernetes", "kubernetes": {"ingress": {"enabled": True, "hosts": {"toy": "toy.x.io"}}}}}
    )
    with pytest.raises(ConfigError, match="only prometheus, alertmanager, grafana, jaeger and toy have a UI"):
        load_sections(
            {
                "common": {
                    "target": "kubernetes",
                    "kubernetes": {"ingress": {"enabled": True, "hosts": {"loki": "l.x.io"}}},
                }
            }
        )


def _run(tmp_path, common: dict):
    program = tmp_path / "__main__.py"
    program.write_text(
        textwrap.dedent(
            f"""
            import observability_stack as obs
            obs.ObservabilityStack("obs", obs.StackArgs(config={{"common": {common!r}, "toy": {{"greeting": "hi"}}}}))
            """
        )
    )
    return run_program({}, program=program)


def test_on_docker_a_container_with_its_files_and_volume(toy, tmp_path):
    run = _run(tmp_path, {})
    (component,) = run.of_type("observability:index:Toy")
    container = run.named("docker:index/container:Container", "obs-toy")
    assert container.parent == component.urn
    assert container.inputs["command"] == ["--config=/etc/toy/toy.yaml"]
    assert "/etc/toy/toy.yaml" in [u["file"] for u in container.inputs["uploads"]]
    assert container.inputs["networksAdvanced"][0]["aliases"] == ["toy"]
    assert run.named("docker:index/volume:Volume", "obs-toy-data").retain_on_delete


def test_on_kubernetes_a_workload_service_and_policy(toy, tmp_path):
    run = _run(tmp_path, {"target": "kubernetes"})
    (component,) = run.of_type("observability:index:Toy")
    (workload,) = [r for r in run.records if r.parent == component.urn and r.type.startswith("kubernetes:apps/v1:")]
    assert workload.inputs["spec"]["template"]["spec"]["containers"][0]["args"] == ["--config=/etc/toy/toy.yaml"]
    assert run.named("kubernetes:core/v1:Service", "obs-toy").inputs["spec"]["ports"][0]["port"] == 7070
    policy = run.named("kubernetes:networking.k8s.io/v1:NetworkPolicy", "obs-toy")
    assert policy.parent == component.urn


def test_unregistered_it_is_gone_everywhere(toy):
    registry.unregister("toy")
    assert "toy" not in PORTS and "toy" not in load_sections({})[0].enabled()
    with pytest.raises(ConfigError, match="observability:toy"):
        load_sections({"toy": {}})


def test_the_shipped_services_are_declared_in_every_place_in_one_order():
    from observability_stack.configs.models.stack import StackConfig

    assert registry.names() == list(registry.SERVICES)
    sections = [name for name in StackConfig.model_fields if name not in ("common", "content_packs", "slos")]
    assert sections == [registry.section(name) for name in registry.SERVICES]
    for name in registry.SERVICES:
        assert StackConfig.model_fields[registry.section(name)].annotation is registry.registered(name).model
        assert registry.renderer(name) and COMPONENTS[name].SERVICE == name

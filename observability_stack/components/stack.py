"""ObservabilityStack: the enabled services on the configured target, as one component."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from observability_stack.configs.errors import NAMESPACE, ConfigError
from observability_stack.configs.load import from_pulumi, load, load_sections, split_config
from observability_stack.configs.models.stack import StackConfig, StackSettings
from observability_stack.configs.secrets import Secrets
from observability_stack.configs.validate import cross_check

# Each component module registers its service's component (ServiceComponent.SERVICE) on import.
from . import (  # noqa: F401
    alertmanager,
    alloy,
    cadvisor,
    grafana,
    jaeger,
    kube_state_metrics,
    loki,
    node_exporter,
    prometheus,
    promtail,
)
from .service import COMPONENTS, ServiceArgs, ServiceComponent
from .targets import make_target, passed_provider, provider_conflicts

TYPE = "observability:index:ObservabilityStack"


@dataclass
class StackArgs:
    """What an ObservabilityStack deploys.

    `config` is the stack configuration: a validated `StackConfig`, or the same sections as a mapping
    (`{"common": {"target": "kubernetes"}, "grafana": {"enabled": False}}`), exactly as under
    `observability:` in a stack file (docs/config-reference.md). A mapping is validated here and a bad
    one raises `ConfigError`, listing every problem with its path, before any resource is registered.
    """

    config: StackConfig | Mapping[str, Any] = field(default_factory=dict)
    """The stack configuration; every section is optional (defaults: the Docker target, every service)."""
    secrets: Secrets | Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Secret values by name (`grafana_admin_password`, the names receivers' `*_secret` fields use).
    Plain strings or Outputs; each is made a Pulumi secret and reaches its service only as a file."""
    project_root: str = "."
    """Where relative paths in the config (`grafana.dashboards_dir`) are resolved."""

    def __repr__(self) -> str:
        # The dataclass repr would print every secret value: a log line or a traceback leaks a webhook.
        names = sorted(self.secrets.names() if isinstance(self.secrets, Secrets) else self.secrets)
        secrets = f"<{len(names)} secret(s): {', '.join(names)}>"
        return f"StackArgs(config={self.config!r}, secrets={secrets}, project_root={self.project_root!r})"

    __str__ = __repr__

    @classmethod
    def from_pulumi_config(cls, project_root: str = ".") -> StackArgs:
        """This program's `observability:*` stack config and `observability:secrets`, as the sections
        the component validates (once, as a whole). A malformed `observability:secrets` raises
        `ConfigError` here, listing it with every other problem."""
        raw = from_pulumi()
        sections, secrets, problems = split_config(raw)
        if problems:
            load(raw, project_root)  # raises, with these problems and all the others
        return cls(sections, secrets, project_root)


def resolve(args: StackArgs) -> tuple[StackConfig, Secrets]:
    """The validated config and the secrets of `args`; warnings go to the Pulumi log."""
    if isinstance(args.config, StackSettings):
        # Built by the caller: the models checked each section, the checks across them run here.
        secrets = args.secrets if isinstance(args.secrets, Secrets) else Secrets(args.secrets)
        errors, warnings = cross_check(args.config, secrets.names(), args.project_root)
        if errors:
            raise ConfigError(errors)
        for path, message in warnings:
            pulumi.log.warn(f"{NAMESPACE}:{path}: {message}")
        return args.config, secrets
    values = args.secrets.values_by_name() if isinstance(args.secrets, Secrets) else args.secrets
    config, secrets, messages = load_sections(args.config, values, args.project_root)
    for message in messages:
        pulumi.log.warn(message)
    return config, secrets


class ObservabilityStack(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana, Loki, promtail and Jaeger, as enabled by the config, on Docker or
    Kubernetes. Pass your own Docker or Kubernetes provider in `opts` (`provider=` or `providers=`) to
    deploy through it instead of one the stack configures; children inherit it."""

    services: dict[str, ServiceComponent]
    """The enabled services' components, by service name: each exposes `internal_url`,
    `external_url`, `workload` and `services`."""
    urls: pulumi.Output[dict]
    """Per service: {internal, external} URLs."""
    grafana_admin_password: pulumi.Output[str] | None
    """Secret; None when Grafana is disabled."""

    def __init__(self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None):
        compose(self, name, args, opts)


def compose(
    component: Any,  # either class: it gets the attributes ObservabilityStack declares
    name: str,
    args: StackArgs,
    opts: pulumi.ResourceOptions | None,
    type_: str = TYPE,
) -> None:
    """Register `component` and build the stack under it: the Python class and the component provider's
    class (observability_stack/provider.py) share this, so both make the same resources."""
    # Validated before the component registers: a bad config leaves nothing behind.
    config, secrets = resolve(args)
    provider = passed_provider(opts, config.common.target)
    if conflicts := provider_conflicts(config, provider):
        raise ConfigError(conflicts)
    pulumi.ComponentResource.__init__(component, type_, name, None, opts)
    component.config = config
    component.target = make_target(config, component, provider, name)
    service_args = ServiceArgs(config, secrets, component.target, args.project_root)
    component.services = {}
    for service in config.enabled():
        child = component.target.names(service, pulumi.ResourceOptions(parent=component))
        component.services[service] = COMPONENTS[service](child["resource_name"], service_args, child["opts"])
    component.urls = pulumi.Output.all(
        **{
            service: pulumi.Output.all(internal=c.internal_url, external=c.external_url)
            for service, c in component.services.items()
        }
    )
    dashboards = component.services.get("grafana")
    component.grafana_admin_password = dashboards.admin_password if dashboards else None
    component.register_outputs({"urls": component.urls, "grafana_admin_password": component.grafana_admin_password})


__all__ = ["COMPONENTS", "ConfigError", "ObservabilityStack", "StackArgs", "compose", "resolve"]

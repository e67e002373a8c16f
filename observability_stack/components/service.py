"""Base of every service component: build the workload once, hand it to the target, expose URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from observability_stack.configs import registry
from observability_stack.configs.models.service import Image
from observability_stack.configs.models.stack import StackConfig
from observability_stack.configs.render.common import CONFIG_DIRS, DATA_DIRS, SECRET_DIRS
from observability_stack.configs.render.files import service_files
from observability_stack.configs.secret_walk import delivered
from observability_stack.configs.secrets import Secrets

from .naming import Names
from .workload import Workload


@dataclass
class Endpoints:
    """What a target made of a workload: its URLs and the resources a caller may depend on."""

    internal_url: pulumi.Input[str]
    external_url: pulumi.Input[str] | None
    workload: pulumi.Resource  # the Docker container, or the StatefulSet / Deployment / DaemonSet
    services: list[pulumi.Resource] = field(default_factory=list)  # Kubernetes Services


class Target(Protocol):
    name: str
    names: Names
    """Scopes the names of the resources it and the components on it register."""

    def deploy(self, workload: Workload, parent: pulumi.Resource) -> Endpoints: ...


@dataclass
class ServiceArgs:
    """What one service component deploys, and where."""

    config: StackConfig
    """The whole stack's validated config: a service's files name the other enabled services."""
    secrets: Secrets
    """Secret values by name; the component takes the ones its config refers to."""
    target: Target
    """From `make_target(config, parent, provider)`, shared by the services deployed together."""
    project_root: str = "."
    """Where relative paths in the config (`grafana.dashboards_dir`) are resolved."""


def image_ref(image: Image, registry: str | None) -> str:
    """The pinned reference, with the registry host swapped for a mirror when one is configured."""
    repository = image.repository
    if registry:
        first, _, rest = repository.partition("/")
        has_host = rest and ("." in first or ":" in first or first == "localhost")
        repository = f"{registry}/{rest if has_host else repository}"
    return f"{repository}:{image.tag}"


# Service name -> its component: each subclass with a SERVICE registers itself.
COMPONENTS: dict[str, type[ServiceComponent]] = {}


class ServiceComponent(pulumi.ComponentResource):
    """Subclasses set SERVICE and TYPE and implement `describe`: the workload, once, for any target."""

    SERVICE = ""
    TYPE = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.SERVICE:
            COMPONENTS[cls.SERVICE] = cls

    internal_url: pulumi.Output[str]
    """URL of the service inside the stack's network."""
    external_url: pulumi.Output[str | None]
    """URL of the service's UI from the host or ingress, when it has one."""
    workload: pulumi.Resource
    """The running workload: the Docker container, or the Kubernetes StatefulSet, Deployment or
    DaemonSet. Depend on it (`depends_on`) to start after the service is up."""
    services: list[pulumi.Resource]
    """The Kubernetes Services in front of it (none on Docker, where the network alias serves)."""

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(self.TYPE, name, None, opts)
        self.args = args
        self.spec: Workload = self.describe(args)
        endpoints = args.target.deploy(self.spec, self)
        self.internal_url = pulumi.Output.from_input(endpoints.internal_url)
        self.external_url = pulumi.Output.from_input(endpoints.external_url)
        self.workload = endpoints.workload
        self.services = endpoints.services
        self.register_outputs(self.outputs())

    def outputs(self) -> dict:
        return {"internal_url": self.internal_url, "external_url": self.external_url}

    # Helpers shared by the subclasses.
    @property
    def settings(self) -> Any:  # the service's own model (`Prometheus`, ...): each has fields of its own
        return self.args.config.section(self.SERVICE)

    def base(self, args: ServiceArgs, /, **fields) -> Workload:
        cfg = args.config
        settings = self.settings
        # Every secret its section refers to and it needs, as the models declare them, so a new
        # integration's secret reaches the service without a line here or in the component.
        secret_files, secret_env = delivered(cfg, self.SERVICE, args.secrets)
        values = dict(
            service=self.SERVICE,
            image=image_ref(settings.image, cfg.common.image_registry),
            requests=settings.requests,
            limits=settings.limits,
            config_dir=CONFIG_DIRS[self.SERVICE],
            config_files=service_files(cfg, self.SERVICE, args.secrets.names(), args.project_root),
            secret_dir=SECRET_DIRS[self.SERVICE],
            secret_files=secret_files,
            secret_env=secret_env,
            env=dict(settings.env),
            data_dir=DATA_DIRS[self.SERVICE],
            data_size=settings.storage_size,
            replicas=settings.replicas,
            kind="daemon" if registry.facts(self.SERVICE).per_node else "stateless",
            labels={
                **cfg.common.labels,
                "app.kubernetes.io/name": self.SERVICE,
                "app.kubernetes.io/part-of": "observability",
            },
        )
        values.update(fields)
        return Workload(**values)

    def describe(self, args: ServiceArgs) -> Workload:
        raise NotImplementedError

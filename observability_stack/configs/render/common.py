"""Where services listen and how they find each other, and deterministic serialisation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from .. import registry
from ..models.stack import StackConfig
from ..secret_walk import SecretFields


def _ports() -> dict[str, int]:
    ports: dict[str, int] = {}
    for name in registry.names():
        facts = registry.facts(name)
        ports[name] = facts.port
        ports.update({f"{name}_{port}": number for port, number in facts.extra_ports.items()})
    return ports


# From the services' declarations (configs/registry.py), read at each use.
# PORTS: the main port by service name, the others as <service>_<name>.
PORTS = registry.view(_ports)
# Where each service reads the files rendered for it: one root per service, so relative references hold.
CONFIG_DIRS = registry.view(lambda: {name: registry.facts(name).config_dir for name in registry.names()})
# Secret files live apart from config files: a Kubernetes Secret and a ConfigMap cannot share a mount.
SECRET_DIRS = registry.view(lambda: {name: f"/run/secrets/{name}" for name in registry.names()})
DATA_DIRS = registry.view(lambda: {name: registry.facts(name).data_dir for name in registry.names()})


def command_line(flags: list[tuple[str, str]], extra_args: list[str], dashes: str = "--") -> list[str]:
    """A service's arguments: its flags as `<dashes>name=value` (Prometheus and Alertmanager use two
    dashes, Loki and promtail one), then the user's `extra_args`, last so they win."""
    return [f"{dashes}{name}={value}" for name, value in flags] + list(extra_args)


def headless_service(service: str) -> str:
    """The headless Service that gives each replica of a stateful service a stable DNS name."""
    return f"{service}-headless"


def replica_address(service: str, index: int, port: int) -> str:
    return f"{service}-{index}.{headless_service(service)}:{port}"


@dataclass(frozen=True)
class Topology:
    """Addresses of the stack's services as seen from inside the stack, on one Docker host: every
    service is one container, reached by its network alias. KubernetesTopology says what differs;
    the renderers ask the topology, never which target it is."""

    # Replicas by service (a service left out has one).
    replicas: dict[str, int] = field(default_factory=dict)
    namespace: str = "observability"
    ingress_hosts: dict[str, str] = field(default_factory=dict)
    ingress_tls: bool = False
    # Whether a service declared per-node runs one instance per node with no single address (a
    # DaemonSet, found by discovery); a Docker host is one node, where it has an address.
    per_node_agents: ClassVar[bool] = False
    # Whether Prometheus can discover annotated pods (Kubernetes' API).
    pod_discovery: ClassVar[bool] = False
    # Where a log collector finds the containers' logs: the Docker API, or the node's pod log files.
    log_source: ClassVar[str] = "docker"

    @property
    def node_agents(self) -> tuple[str, ...]:
        """Services with one instance per node and no single address, found by discovery."""
        if not self.per_node_agents:
            return ()
        return tuple(name for name in registry.names() if registry.facts(name).per_node)

    def host(self, service: str) -> str:
        # Docker: network aliases; Kubernetes: Services in the same namespace. Both resolve the bare name.
        return service

    def url(self, service: str, port_name: str | None = None) -> str:
        return f"http://{self.host(service)}:{PORTS[port_name or service]}"

    def instances(self, service: str) -> list[str]:
        """host:port of every replica, one by one: Prometheus must notify each Alertmanager itself, and
        scraping replicas through their Service would hide a dead one behind a live one."""
        return [f"{service}:{PORTS[service]}"]

    def alertmanagers(self) -> list[str]:
        return self.instances("alertmanager")

    def replica_label(self) -> str | None:
        """The value of Prometheus' `replica` external label when it runs as an HA pair."""
        return None

    def public_url(self, service: str) -> str | None:
        """The service's URL from outside through an ingress, when one serves it."""
        return None

    @staticmethod
    def of(cfg: StackConfig) -> Topology:
        ingress = cfg.common.kubernetes.ingress
        hosts = dict(ingress.hosts) if ingress.enabled else {}
        replicas = {name: cfg.section(name).replicas for name in registry.names()}
        return TOPOLOGIES[cfg.common.target](replicas, cfg.common.name_prefix, hosts, bool(ingress.tls_secret))


@dataclass(frozen=True)
class KubernetesTopology(Topology):
    per_node_agents: ClassVar[bool] = True
    pod_discovery: ClassVar[bool] = True
    log_source: ClassVar[str] = "pods"

    def instances(self, service: str) -> list[str]:
        replicas = self.replicas.get(service, 1)
        if replicas > 1:
            return [replica_address(service, i, PORTS[service]) for i in range(replicas)]
        return super().instances(service)

    def replica_label(self) -> str | None:
        # Identical HA pairs; Prometheus 3 expands ${POD_NAME} in external labels, so every pod reads
        # the same file and still says which copy it is (Grafana/Thanos deduplicate on it).
        return "${POD_NAME}" if self.replicas.get("prometheus", 1) > 1 else None

    def public_url(self, service: str) -> str | None:
        host = self.ingress_hosts.get(service)
        return f"{'https' if self.ingress_tls else 'http'}://{host}" if host else None


@dataclass(frozen=True)
class RenderContext:
    """What a service's renderer (`@renders(name)`) gets: the config and where its files go."""

    cfg: StackConfig
    topology: Topology
    secrets: set[str]  # the names of the secrets that are set
    config_dir: str
    secret_dir: str
    project_root: str = "."

    def secret_fields(self) -> SecretFields:
        """What the renderer writes for each secret reference: the paths of the files the service gets."""
        return SecretFields(self.cfg, self.secrets, self.secret_dir)


TOPOLOGIES: dict[str, type[Topology]] = {"docker": Topology, "kubernetes": KubernetesTopology}


# libyaml's emitter when PyYAML has it (a third of a run was the pure-Python one); both emit the
# same bytes for these documents, which the determinism tests compare.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def to_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1000)


def to_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2) + "\n"

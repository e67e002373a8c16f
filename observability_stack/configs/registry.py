"""The services the stack knows, in one ordered list, each declared once with its facts.

A service's model (`configs/models/<service>.py`) registers itself with `@service(name, ServiceFacts(...))`;
its renderer (`configs/render/<service>.py`) with `@renders(name)`; its component
(`components/<service>.py`) by subclassing `ServiceComponent` with `SERVICE = name`; and its section is
a field of `StackConfig` (configs/models/stack.py), declared there so a type checker sees it.
Everything else the stack knows about a service (ports and directories, its self-scrape job, its
down alert, whether it may run replicas, has a UI, runs per node, mounts node paths) is derived from
these declarations. `SERVICES` orders them: resources, scrape jobs, rules and dashboards follow it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# The shipped services, in order. A service registered outside this list (a toy service in a test,
# another package's) comes after them, in the order it registered.
SERVICES = (
    "prometheus",
    "alertmanager",
    "grafana",
    "loki",
    "promtail",
    "alloy",
    "jaeger",
    "node-exporter",
    "cadvisor",
    "kube-state-metrics",
)


@dataclass(frozen=True)
class ServiceFacts:
    port: int
    """The main port: the service's URL, and its replicas' addresses."""
    config_dir: str
    """Where it reads the files rendered for it (one root, so relative references hold)."""
    data_dir: str
    """Where it keeps its data (a retained volume or claim when the workload has one)."""
    extra_ports: Mapping[str, int] = field(default_factory=dict)
    """Other ports by name; PORTS knows each as `<service>_<name>`."""
    ui: bool = False
    """Has a web UI: may be published on the Docker host or served by an ingress."""
    single_replica: bool = False
    """Cannot run more than one replica here: `replicas` must be 1."""
    per_node: bool = False
    """One instance per node (a Kubernetes DaemonSet), found by discovery rather than by address."""
    node_access: bool = False
    """Mounts node paths as root: a namespace holding it cannot enforce the restricted Pod Security level."""
    metrics_port: str | None = None
    """The extra port its own metrics are on; None: the main port."""
    metrics_path: str = "/metrics"
    pages_when_down: bool = False
    """Its down alert pages (critical): without it, no other alert reaches anyone."""
    log_collector: bool = False
    """Ships the containers' logs to Loki: one runs, the one `common.log_collector` names."""
    targets: tuple[str, ...] = ("docker", "kubernetes")
    """The targets it runs on (cAdvisor on Docker only, kube-state-metrics on Kubernetes only)."""


@dataclass(frozen=True)
class Registered:
    name: str
    model: type
    facts: ServiceFacts

    @property
    def section(self) -> str:
        """Its config section: the name with '-' as '_' (node-exporter is `node_exporter`)."""
        return self.name.replace("-", "_")

    @property
    def title(self) -> str:
        """The name in alert names: NodeExporter, KubeStateMetrics."""
        return "".join(part.capitalize() for part in self.name.split("-"))


_SERVICES: dict[str, Registered] = {}
_RENDERERS: dict[str, Callable[..., dict[str, str]]] = {}
_version = 0


def _changed() -> None:
    global _version
    _version += 1


def version() -> int:
    """Changes with every registration: what is derived from the registry may be cached by it."""
    return _version


def service(name: str, facts: ServiceFacts) -> Callable[[type], type]:
    """Class decorator for a service's config model: registers the service under `name`."""

    def register(model: type) -> type:
        if name in _SERVICES and _SERVICES[name].model.__qualname__ != model.__qualname__:
            raise ValueError(f"service {name!r} is already registered by {_SERVICES[name].model.__qualname__}")
        _SERVICES[name] = Registered(name, model, facts)
        _changed()
        return model

    return register


def renders(name: str) -> Callable[[Callable[..., dict[str, str]]], Callable[..., dict[str, str]]]:
    """Decorator for a service's renderer: `render(ctx: RenderContext) -> {path: content}`."""

    def register(function: Callable[..., dict[str, str]]) -> Callable[..., dict[str, str]]:
        _RENDERERS[name] = function
        return function

    return register


def unregister(name: str) -> None:
    """Forget a service (tests register toy services and remove them again)."""
    _SERVICES.pop(name, None)
    _RENDERERS.pop(name, None)
    _changed()


def names() -> list[str]:
    """The registered services: the shipped ones in `SERVICES` order, then any others."""
    shipped = [name for name in SERVICES if name in _SERVICES]
    return shipped + [name for name in _SERVICES if name not in SERVICES]


def registered(name: str) -> Registered:
    return _SERVICES[name]


def facts(name: str) -> ServiceFacts:
    return _SERVICES[name].facts


def log_collectors() -> tuple[str, ...]:
    """Every service that may push logs to Loki (the one running is the one the config names)."""
    return tuple(name for name in names() if facts(name).log_collector)


def section(name: str) -> str:
    return _SERVICES[name].section


def renderer(name: str) -> Callable[..., dict[str, str]]:
    return _RENDERERS[name]


class _View(Mapping[str, Any]):
    """A read-only mapping derived from the registry, built again only after a registration changes it:
    the renderers read PORTS and the directories on every lookup."""

    def __init__(self, build: Callable[[], dict[str, Any]]):
        self._build = build
        self._built: tuple[int, dict[str, Any]] | None = None

    def _current(self) -> dict[str, Any]:
        if self._built is None or self._built[0] != _version:
            self._built = (_version, self._build())
        return self._built[1]

    def __getitem__(self, key: str) -> Any:
        return self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return repr(self._current())


def view(build: Callable[[], dict[str, Any]]) -> Mapping[str, Any]:
    return _View(build)

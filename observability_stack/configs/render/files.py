"""Every file each service receives, keyed by service and path relative to its config directory."""

from __future__ import annotations

from .. import registry
from ..models.stack import StackConfig

# Each renderer module registers its service's renderer (`@renders(name)`) on import.
from . import alertmanager, alloy, collectors, grafana, jaeger, loki, prometheus, promtail  # noqa: F401
from .common import CONFIG_DIRS, SECRET_DIRS, RenderContext, Topology


def service_files(cfg: StackConfig, service: str, secrets: set[str], project_root: str = ".") -> dict[str, str]:
    context = RenderContext(cfg, Topology.of(cfg), secrets, CONFIG_DIRS[service], SECRET_DIRS[service], project_root)
    return registry.renderer(service)(context)


def all_files(cfg: StackConfig, secrets: set[str], project_root: str = ".") -> dict[str, dict[str, str]]:
    return {service: service_files(cfg, service, secrets, project_root) for service in cfg.enabled()}

"""Every file each service receives, keyed by service and path relative to its config directory."""

from __future__ import annotations

from ..models.stack import StackConfig
from .alertmanager import render_alertmanager
from .common import CONFIG_DIRS, SECRET_DIRS, Topology
from .grafana import render_grafana
from .jaeger import render_jaeger
from .loki import render_loki
from .prometheus import render_prometheus
from .promtail import render_promtail


def service_files(cfg: StackConfig, service: str, secrets: set[str], project_root: str = ".") -> dict[str, str]:
    topology = Topology.of(cfg)
    config_dir = CONFIG_DIRS[service]
    if service == "prometheus":
        return render_prometheus(cfg, topology)
    if service == "alertmanager":
        return render_alertmanager(cfg, secrets, SECRET_DIRS["alertmanager"])
    if service == "grafana":
        return render_grafana(cfg, topology, config_dir, project_root)
    if service == "loki":
        return render_loki(cfg, topology, config_dir)
    if service == "promtail":
        return render_promtail(cfg, topology)
    if service == "jaeger":
        return render_jaeger(cfg)
    raise KeyError(service)


def all_files(cfg: StackConfig, secrets: set[str], project_root: str = ".") -> dict[str, dict[str, str]]:
    return {service: service_files(cfg, service, secrets, project_root) for service in cfg.enabled()}

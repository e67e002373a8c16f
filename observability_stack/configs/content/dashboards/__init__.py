"""Grafana dashboards the stack provisions, grouped by folder, plus loading of user dashboards."""

from __future__ import annotations

from observability_stack.configs.content.dashboards.builder import stable_uid
from observability_stack.configs.content.dashboards.hosts import hosts_dashboard
from observability_stack.configs.content.dashboards.kubernetes import ClusterSources, kubernetes_dashboards
from observability_stack.configs.content.dashboards.loader import load_user_dashboards
from observability_stack.configs.content.dashboards.services import service_dashboards
from observability_stack.configs.content.dashboards.slo import slo_dashboard
from observability_stack.configs.content.dashboards.stack import stack_dashboard
from observability_stack.configs.models.slo import SLO

__all__ = ["ClusterSources", "builtin_dashboards", "load_user_dashboards", "stable_uid"]

KUBERNETES_FOLDER = "Kubernetes"


def builtin_dashboards(
    slos: list[SLO],
    enabled: list[str],
    slo_title: str = "Service Level Objectives",
    cluster: ClusterSources | None = None,
) -> dict[str, dict[str, dict]]:
    """Folder name -> {file name -> dashboard JSON}: the dashboards the stack ships. `cluster`: what of
    the Kubernetes cluster is scraped, None off Kubernetes (no Kubernetes dashboards)."""
    stack = {"stack-health.json": stack_dashboard(enabled).to_json()}
    stack |= {name: dash.to_json() for name, dash in service_dashboards(enabled).items()}
    folders = {"Observability Stack": stack}
    if slos:
        folders["SLOs"] = {"slos.json": slo_dashboard(slos, slo_title).to_json()}
    hosts = hosts_dashboard(enabled)
    if hosts is not None:
        folders["Infrastructure"] = {"hosts.json": hosts.to_json()}
    if cluster is not None:
        boards = {name: dash.to_json() for name, dash in kubernetes_dashboards(cluster).items()}
        if boards:
            folders[KUBERNETES_FOLDER] = boards
    return folders

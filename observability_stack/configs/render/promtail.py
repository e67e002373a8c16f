"""promtail: discovers containers (Docker socket) or pods (/var/log/pods) and pushes to Loki."""

from __future__ import annotations

from ..models.stack import StackConfig
from ..registry import renders
from .common import DATA_DIRS, PORTS, RenderContext, Topology, command_line, to_yaml
from .log_labels import DOCKER_RELABEL, DOCKER_SOCKET, POD_RELABEL

_DOCKER_JOB = {
    "job_name": "docker",
    "docker_sd_configs": [{"host": f"unix://{DOCKER_SOCKET}", "refresh_interval": "5s"}],
    "relabel_configs": DOCKER_RELABEL,
}

_PODS_JOB = {
    "job_name": "kubernetes-pods",
    "kubernetes_sd_configs": [{"role": "pod"}],
    "pipeline_stages": [{"cri": {}}],
    # promtail keeps only targets whose __host__ is its own HOSTNAME: the node it runs on.
    "relabel_configs": [
        {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "__host__"},
        *POD_RELABEL,
    ],
}


def promtail_yml(cfg: StackConfig, topology: Topology) -> dict:
    return {
        "server": {"http_listen_port": PORTS["promtail"], "grpc_listen_port": 0},
        "positions": {"filename": f"{DATA_DIRS['promtail']}/positions.yaml"},
        "clients": [{"url": f"{topology.url('loki')}/loki/api/v1/push"}],
        "scrape_configs": [{"docker": _DOCKER_JOB, "pods": _PODS_JOB}[topology.log_source]],
    }


@renders("promtail")
def render_promtail(ctx: RenderContext) -> dict[str, str]:
    return {"promtail.yaml": to_yaml(promtail_yml(ctx.cfg, ctx.topology))}


def promtail_args(cfg: StackConfig, config_dir: str) -> list[str]:
    return command_line([("config.file", f"{config_dir}/promtail.yaml")], cfg.promtail.extra_args, dashes="-")

"""The collectors' command lines. None of them reads a file: their whole configuration is flags."""

from __future__ import annotations

from ..models.stack import StackConfig
from ..registry import renders
from .common import PORTS, RenderContext, command_line

# Where the node's filesystems are mounted in node-exporter's container (components/node_exporter.py).
HOST_PROC, HOST_SYS, HOST_ROOT = "/host/proc", "/host/sys", "/host/root"


@renders("node-exporter")
@renders("cadvisor")
@renders("kube-state-metrics")
def no_files(ctx: RenderContext) -> dict[str, str]:
    return {}


def node_exporter_args(cfg: StackConfig) -> list[str]:
    settings = cfg.node_exporter
    flags = [
        ("path.procfs", HOST_PROC),
        ("path.sysfs", HOST_SYS),
        ("path.rootfs", HOST_ROOT),
        ("web.listen-address", f":{PORTS['node-exporter']}"),
        ("collector.filesystem.mount-points-exclude", settings.mount_points_exclude),
        ("collector.filesystem.fs-types-exclude", settings.fs_types_exclude),
    ]
    return command_line(flags, settings.extra_args)


def cadvisor_args(cfg: StackConfig) -> list[str]:
    settings = cfg.cadvisor
    flags = [
        ("port", str(PORTS["cadvisor"])),
        ("housekeeping_interval", settings.housekeeping_interval),
        ("docker_only", "true"),
        # Container labels as metric labels would copy every label of every container into the TSDB.
        ("store_container_labels", "false"),
        ("disable_metrics", ",".join(settings.disable_metrics)),
    ]
    return command_line(flags, settings.extra_args)


def kube_state_metrics_args(cfg: StackConfig) -> list[str]:
    settings = cfg.kube_state_metrics
    flags = [
        ("port", str(PORTS["kube-state-metrics"])),
        ("telemetry-port", str(PORTS["kube-state-metrics_telemetry"])),
        ("resources", ",".join(settings.collectors)),
    ]
    return command_line(flags, settings.extra_args)

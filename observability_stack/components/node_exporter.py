"""node-exporter: the node's CPU, memory, disks and filesystems, one per node (a DaemonSet on Kubernetes).

It reads the node's /proc, /sys and root filesystem through read-only mounts and joins the node's PID
namespace. On Kubernetes it also joins the node's network, so network devices are the node's; on
Docker it stays on the stack's network, unpublished, and the network device metrics are those of its
own container (joining the host network would publish its port on every interface of the host)."""

from __future__ import annotations

from observability_stack.configs.render.collectors import HOST_PROC, HOST_ROOT, HOST_SYS, node_exporter_args
from observability_stack.configs.render.common import PORTS

from .service import ServiceArgs, ServiceComponent
from .workload import HealthCheck, HostMount, Port, Workload

MOUNTS = [
    HostMount("/proc", HOST_PROC),
    HostMount("/sys", HOST_SYS),
    HostMount("/", HOST_ROOT, follow_host_mounts=True),
]


class NodeExporter(ServiceComponent):
    """node-exporter: host metrics from every node, for the disk, memory and node alerts."""

    SERVICE = "node-exporter"
    TYPE = "observability:index:NodeExporter"

    def describe(self, args: ServiceArgs) -> Workload:
        port = PORTS["node-exporter"]
        return self.base(
            args,
            args=node_exporter_args(args.config),
            ports=[Port("metrics", port, allowed_from=("prometheus",))],
            # Its landing page: node-exporter has no readiness endpoint, and / does not collect.
            health=HealthCheck.http("/", port, start_period="10s"),
            metrics_port="metrics",
            host_mounts={"docker": MOUNTS, "kubernetes": MOUNTS},
            host_namespaces={"docker": ("pid",), "kubernetes": ("pid", "network")},
        )

"""cAdvisor: every container's CPU, memory, network and restarts on the Docker host.

It reads the Docker engine's state and the cgroup hierarchy through read-only mounts, as root (the
files are root's) but with no capability. Upstream's example adds `--privileged` and /dev/kmsg for
OOM events and disk statistics; neither is granted here, so those few series are missing."""

from __future__ import annotations

from observability_stack.configs.render.collectors import cadvisor_args
from observability_stack.configs.render.common import PORTS

from .service import ServiceArgs, ServiceComponent
from .workload import HealthCheck, HostMount, Port, Workload

MOUNTS = [
    HostMount("/", "/rootfs"),
    HostMount("/var/run", "/var/run"),
    HostMount("/sys", "/sys"),
    HostMount("/var/lib/docker", "/var/lib/docker"),
    HostMount("/dev/disk", "/dev/disk"),
]


class Cadvisor(ServiceComponent):
    """cAdvisor: per-container metrics on the Docker host, for the container restart alert."""

    SERVICE = "cadvisor"
    TYPE = "observability:index:Cadvisor"

    def describe(self, args: ServiceArgs) -> Workload:
        port = PORTS["cadvisor"]
        return self.base(
            args,
            args=cadvisor_args(args.config),
            ports=[Port("metrics", port, allowed_from=("prometheus",))],
            health=HealthCheck.http("/healthz", port, start_period="20s"),
            metrics_port="metrics",
            user="0:0",
            host_mounts={"docker": MOUNTS},
        )

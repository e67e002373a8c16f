"""promtail: one per host (a DaemonSet on Kubernetes), tails container logs into Loki.
promtail reached end of life in March 2026; Grafana Alloy is its successor. Disable it
(`promtail.enabled: false`) and run another collector that pushes to Loki's /loki/api/v1/push."""

from __future__ import annotations

from observability_stack.configs.render.common import PORTS
from observability_stack.configs.render.promtail import DOCKER_SOCKET, promtail_args

from .service import ServiceArgs, ServiceComponent
from .workload import ApiRule, HealthCheck, HostMount, Port, Workload

_PORT = PORTS["promtail"]


class Promtail(ServiceComponent):
    """promtail: ships container and node logs to Loki (end of life upstream; see the README)."""

    SERVICE = "promtail"
    TYPE = "observability:index:Promtail"

    def describe(self, args: ServiceArgs) -> Workload:
        cfg = args.config
        containers = f"{cfg.promtail.docker_root}/containers"
        mounts = {
            "docker": [HostMount(DOCKER_SOCKET, DOCKER_SOCKET), HostMount(containers, containers)],
            "kubernetes": [HostMount("/var/log", "/var/log")],
        }
        workload = self.base(
            args,
            args=[],
            ports=[Port("http", _PORT, allowed_from=("prometheus",))],
            health=HealthCheck.bash_http("/ready", _PORT),
            metrics_port="http",
            # Reading other containers' log files under /var/log needs root; it is still read-only.
            user="0:0",
            host_mounts=mounts,
            api_rules=[ApiRule(("",), ("pods", "nodes"))],
            # On Kubernetes promtail keeps only the pods whose node matches HOSTNAME.
            field_env={"HOSTNAME": "spec.nodeName"},
        )
        workload.args = promtail_args(cfg, workload.config_dir)
        return workload

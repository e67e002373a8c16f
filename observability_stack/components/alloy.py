"""Grafana Alloy: promtail's successor as the log collector, one per node (a DaemonSet on Kubernetes),
and optionally every node's OTLP endpoint for traces and metrics."""

from __future__ import annotations

from observability_stack.configs.render.alloy import alloy_args
from observability_stack.configs.render.common import PORTS
from observability_stack.configs.render.log_labels import DOCKER_SOCKET, POD_LOGS

from .service import ServiceArgs, ServiceComponent
from .workload import ApiRule, HealthCheck, HostMount, Port, Workload

_PORT = PORTS["alloy"]


class Alloy(ServiceComponent):
    """Grafana Alloy: ships container or pod logs to Loki; optionally receives OTLP for the applications."""

    SERVICE = "alloy"
    TYPE = "observability:index:Alloy"

    def describe(self, args: ServiceArgs) -> Workload:
        cfg = args.config
        ports = [Port("http", _PORT, allowed_from=("prometheus",))]
        if cfg.alloy.otlp.enabled:
            ports += [
                Port("otlp-grpc", PORTS["alloy_otlp_grpc"], allowed_from=("*",)),
                Port("otlp-http", PORTS["alloy_otlp_http"], allowed_from=("*",)),
            ]
        workload = self.base(
            args,
            args=[],
            ports=ports,
            health=HealthCheck.bash_http("/-/ready", _PORT),
            metrics_port="http",
            # The container logs and the Docker socket are root's; still no capability, read-only mounts.
            user="0:0",
            # Logs through the Docker API on Docker; the kubelet's pod log files on Kubernetes.
            host_mounts={
                "docker": [HostMount(DOCKER_SOCKET, DOCKER_SOCKET)],
                "kubernetes": [HostMount(POD_LOGS, POD_LOGS)],
            },
            api_rules=[ApiRule(("",), ("pods",))],
            # The node it runs on, for the discovery selector (configs/render/alloy.py).
            field_env={"HOSTNAME": "spec.nodeName"},
        )
        workload.args = alloy_args(cfg, workload.config_dir)
        return workload

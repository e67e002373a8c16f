"""Alertmanager: routes alerts to receivers; a gossip cluster when it has more than one replica."""

from __future__ import annotations

from observability_stack.configs.render.alertmanager import alertmanager_args
from observability_stack.configs.render.common import DATA_DIRS, PORTS, replica_address
from observability_stack.configs.render.zoneinfo import ZONEINFO_DIR, zoneinfo_files

from .service import ServiceArgs, ServiceComponent
from .workload import HealthCheck, Port, Workload


class Alertmanager(ServiceComponent):
    """Alertmanager: routes alerts to receivers; a gossip cluster with more than one replica."""

    SERVICE = "alertmanager"
    TYPE = "observability:index:Alertmanager"

    def describe(self, args: ServiceArgs) -> Workload:
        cfg = args.config
        port, cluster = PORTS["alertmanager"], PORTS["alertmanager_cluster"]
        replicas = cfg.alertmanager.replicas
        workload = self.base(
            args,
            args=[],
            ports=[Port("web", port, ui=True, allowed_from=("prometheus", "loki", "grafana"))],
            health=HealthCheck.http("/-/ready", port),
            kind="stateful",
            metrics_port="web",
            binary_files=zoneinfo_files(cfg),
        )
        if workload.binary_files:
            workload.env["ZONEINFO"] = f"{workload.config_dir}/{ZONEINFO_DIR}"
        extra = []
        if replicas > 1:
            # Each replica gossips with every other over the headless Service; the pod IP is advertised.
            workload.ports += [
                Port("mesh-tcp", cluster, "TCP", allowed_from=("alertmanager",)),
                Port("mesh-udp", cluster, "UDP", allowed_from=("alertmanager",)),
            ]
            workload.field_env["POD_IP"] = "status.podIP"
            extra = [
                ("cluster.listen-address", f"0.0.0.0:{cluster}"),
                ("cluster.advertise-address", f"$(POD_IP):{cluster}"),
            ]
            extra += [("cluster.peer", replica_address("alertmanager", i, cluster)) for i in range(replicas)]
        else:
            extra = [("cluster.listen-address", "")]  # a lone instance needs no gossip port open
        workload.args = alertmanager_args(cfg, workload.config_dir, DATA_DIRS[self.SERVICE], extra)
        return workload

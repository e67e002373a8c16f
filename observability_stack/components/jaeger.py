"""Jaeger v2: OTLP in, traces in memory or badger, query UI out."""

from __future__ import annotations

from observability_stack.configs.render.common import PORTS
from observability_stack.configs.render.jaeger import jaeger_args

from .service import ServiceArgs, ServiceComponent
from .workload import HealthCheck, Port, Workload


class Jaeger(ServiceComponent):
    """Jaeger v2: receives traces over OTLP and serves the query UI."""

    SERVICE = "jaeger"
    TYPE = "observability:index:Jaeger"

    def describe(self, args: ServiceArgs) -> Workload:
        cfg = args.config
        badger = cfg.jaeger.storage == "badger"
        health = PORTS["jaeger_health"]
        workload = self.base(
            args,
            args=[],
            ports=[
                Port("ui", PORTS["jaeger"], ui=True, allowed_from=("grafana",)),
                # Applications anywhere send spans here.
                Port("otlp-grpc", PORTS["jaeger_otlp_grpc"], allowed_from=("*",)),
                Port("otlp-http", PORTS["jaeger_otlp_http"], allowed_from=("*",)),
                Port("health", health),
                Port("metrics", PORTS["jaeger_metrics"], allowed_from=("prometheus",)),
            ],
            health=HealthCheck.http("/status", health),
            kind="stateful" if badger else "stateless",
            metrics_port="metrics",
            user="10001:10001",
            image_has_data_dir=False,  # the image has no /badger
        )
        if not badger:
            workload.data_dir = None  # memory storage: nothing to keep
        workload.args = jaeger_args(cfg, workload.config_dir)
        return workload

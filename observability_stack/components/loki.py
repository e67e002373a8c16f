"""Loki, monolithic: stores logs on its volume or in S3 and evaluates the security log rules."""

from __future__ import annotations

from observability_stack.configs import registry
from observability_stack.configs.render.common import PORTS
from observability_stack.configs.render.loki import loki_args

from .service import ServiceArgs, ServiceComponent
from .workload import HealthCheck, Port, Workload


class Loki(ServiceComponent):
    """Loki: stores logs; its ruler evaluates the security rules and alerts through Alertmanager."""

    SERVICE = "loki"
    TYPE = "observability:index:Loki"

    def describe(self, args: ServiceArgs) -> Workload:
        cfg = args.config
        port = PORTS["loki"]
        workload = self.base(
            args,
            args=[],
            # Whichever log collector runs pushes here (the policy keeps only the enabled ones).
            ports=[Port("http", port, allowed_from=(*registry.log_collectors(), "grafana", "prometheus"))],
            # The image is distroless since 3.6: no shell or wget, but the binary checks itself.
            health=HealthCheck("/ready", port, ("CMD", "/usr/bin/loki", "-health"), start_period="60s"),
            kind="stateful",
            metrics_port="http",
            user="10001:10001",
        )
        workload.args = loki_args(cfg, workload.config_dir)
        return workload

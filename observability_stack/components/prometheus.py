"""Prometheus: scrapes the stack and the applications, evaluates rules, notifies Alertmanager."""

from __future__ import annotations

from observability_stack.configs.render.alloy import remote_writers
from observability_stack.configs.render.common import DATA_DIRS, PORTS
from observability_stack.configs.render.prometheus import prometheus_args

from .service import ServiceArgs, ServiceComponent
from .workload import ApiRule, HealthCheck, Port, Workload

# What service discovery reads: kubernetes_sd roles pod/service/endpointslice/node, and node metrics.
DISCOVERY_RULES = [
    ApiRule(("",), ("pods", "services", "endpoints", "nodes", "nodes/metrics")),
    ApiRule(("discovery.k8s.io",), ("endpointslices",)),
    ApiRule(("networking.k8s.io",), ("ingresses",)),
    ApiRule((), (), ("get",), ("/metrics",)),
]


class Prometheus(ServiceComponent):
    """Prometheus: scrapes the stack and the applications, evaluates the alert and SLO rules."""

    SERVICE = "prometheus"
    TYPE = "observability:index:Prometheus"

    def describe(self, args: ServiceArgs) -> Workload:
        cfg = args.config
        port = PORTS["prometheus"]
        workload = self.base(
            args,
            args=[],
            # Alloy pushes the applications' OTLP metrics in when it forwards them (remote write).
            ports=[Port("web", port, ui=True, allowed_from=("grafana", "prometheus", *remote_writers(cfg)))],
            health=HealthCheck.http("/-/ready", port),
            kind="stateful",
            metrics_port="web",
            api_rules=DISCOVERY_RULES,  # for Kubernetes discovery; a target without an API ignores them
        )
        workload.args = prometheus_args(cfg, workload.config_dir, DATA_DIRS[self.SERVICE])
        if cfg.prometheus.replicas > 1:  # the replica label of an HA pair (only Kubernetes runs more than one)
            workload.field_env["POD_NAME"] = "metadata.name"
        return workload

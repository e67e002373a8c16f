"""kube-state-metrics: the cluster's objects as metrics (node conditions, pod restarts and phases).

It lists and watches only the kinds its collectors need (`kube_state_metrics.collectors`), with a
read-only ClusterRole built from that list, and nothing else: no secrets, no config maps."""

from __future__ import annotations

from observability_stack.configs.models.kube_state_metrics import API_GROUPS
from observability_stack.configs.render.collectors import kube_state_metrics_args
from observability_stack.configs.render.common import PORTS

from .service import ServiceArgs, ServiceComponent
from .workload import ApiRule, HealthCheck, Port, Workload


def api_rules(collectors: list[str]) -> list[ApiRule]:
    """One list/watch rule per API group, over the collectors' kinds in it."""
    groups: dict[str, list[str]] = {}
    for collector in collectors:
        groups.setdefault(API_GROUPS[collector], []).append(collector)
    return [ApiRule((group,), tuple(sorted(kinds)), ("list", "watch")) for group, kinds in sorted(groups.items())]


class KubeStateMetrics(ServiceComponent):
    """kube-state-metrics: Kubernetes object state, for the node-not-ready and crash-loop alerts."""

    SERVICE = "kube-state-metrics"
    TYPE = "observability:index:KubeStateMetrics"

    def describe(self, args: ServiceArgs) -> Workload:
        port, telemetry = PORTS["kube-state-metrics"], PORTS["kube-state-metrics_telemetry"]
        return self.base(
            args,
            args=kube_state_metrics_args(args.config),
            ports=[
                Port("metrics", port, allowed_from=("prometheus",)),
                Port("telemetry", telemetry, allowed_from=("prometheus",)),
            ],
            health=HealthCheck.http("/healthz", port, start_period="20s"),
            metrics_port="metrics",
            api_rules=api_rules(args.config.kube_state_metrics.collectors),
        )

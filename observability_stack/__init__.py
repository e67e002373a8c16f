"""Prometheus, Alertmanager, Grafana, Loki, promtail and Jaeger as Pulumi components, on Docker or Kubernetes.

The public API (see the README's "Using the package"); everything else is internal and may change
in any release:

- `ObservabilityStack`, `StackArgs`: the enabled services on one target, from typed config.
- `StackConfig` and its section models (`observability_stack.models`), `Secrets`, `ConfigError`.
- `Prometheus`, `Alertmanager`, `Grafana`, `Loki`, `Promtail`, `Jaeger`, `Alloy`, `NodeExporter`, `Cadvisor`,
  `KubeStateMetrics`, `ServiceArgs`, `make_target`:
  one service at a time, on a target you create.
"""

from observability_stack.components.alertmanager import Alertmanager
from observability_stack.components.alloy import Alloy
from observability_stack.components.cadvisor import Cadvisor
from observability_stack.components.grafana import Grafana
from observability_stack.components.jaeger import Jaeger
from observability_stack.components.kube_state_metrics import KubeStateMetrics
from observability_stack.components.loki import Loki
from observability_stack.components.node_exporter import NodeExporter
from observability_stack.components.prometheus import Prometheus
from observability_stack.components.promtail import Promtail
from observability_stack.components.service import ServiceArgs, ServiceComponent
from observability_stack.components.stack import ObservabilityStack, StackArgs
from observability_stack.components.targets import make_target
from observability_stack.configs import models
from observability_stack.configs.errors import ConfigError
from observability_stack.configs.models.stack import StackConfig
from observability_stack.configs.secrets import Secrets

__version__ = "0.1.0"

__all__ = [
    "Alertmanager",
    "Alloy",
    "Cadvisor",
    "ConfigError",
    "Grafana",
    "Jaeger",
    "KubeStateMetrics",
    "Loki",
    "NodeExporter",
    "ObservabilityStack",
    "Prometheus",
    "Promtail",
    "Secrets",
    "ServiceArgs",
    "ServiceComponent",
    "StackArgs",
    "StackConfig",
    "make_target",
    "models",
]

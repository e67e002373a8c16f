"""`kube_state_metrics` section: the cluster's objects as metrics (node conditions, pod restarts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ..registry import ServiceFacts, service
from .service import Image, Resources, Service

# The collectors kube-state-metrics may run here, by the API group of the objects each one lists and
# watches (its RBAC rule). Secrets and ConfigMaps are not offered: their names and labels are nobody's
# business in a metrics store.
API_GROUPS = {
    "nodes": "",
    "pods": "",
    "namespaces": "",
    "services": "",
    "persistentvolumeclaims": "",
    "persistentvolumes": "",
    "resourcequotas": "",
    "deployments": "apps",
    "statefulsets": "apps",
    "daemonsets": "apps",
    "replicasets": "apps",
    "jobs": "batch",
    "cronjobs": "batch",
    "horizontalpodautoscalers": "autoscaling",
    "poddisruptionbudgets": "policy",
    "ingresses": "networking.k8s.io",
    "storageclasses": "storage.k8s.io",
}
# One of the kinds above (the list written once: the Literal is built from it).
if TYPE_CHECKING:
    Collector = str  # a checker cannot read a Literal built at run time
else:
    Collector = Literal[tuple(API_GROUPS)]
# What the shipped rules and dashboard read.
DEFAULT_COLLECTORS = [
    "nodes",
    "pods",
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "jobs",
    "cronjobs",
    "persistentvolumeclaims",
    "namespaces",
]


@service(
    "kube-state-metrics",
    ServiceFacts(
        port=8080,
        extra_ports={"telemetry": 8081},
        config_dir="/etc/kube-state-metrics",
        data_dir="",
        single_replica=True,
        targets=("kubernetes",),
    ),
)
class KubeStateMetrics(Service):
    image: Image = Image(repository="registry.k8s.io/kube-state-metrics/kube-state-metrics", tag="v2.20.0")
    requests: Resources = Resources(cpu="50m", memory="128Mi")
    limits: Resources = Resources(cpu="500m", memory="512Mi")
    collectors: list[Collector] = Field(default_factory=lambda: list(DEFAULT_COLLECTORS), min_length=1)

"""`alloy` section: Grafana Alloy, promtail's successor, as the log collector
(`common.log_collector: alloy`), optionally also the applications' one OTLP endpoint."""

from __future__ import annotations

from ..registry import ServiceFacts, service
from .base import Model
from .service import Image, Resources, Service


class Otlp(Model):
    # Receive OTLP (gRPC 4317, HTTP 4318) on every node: traces go on to Jaeger, metrics to Prometheus
    # (whose remote-write receiver is then switched on), so applications need one endpoint only.
    enabled: bool = False


@service(
    "alloy",
    ServiceFacts(
        port=12345,
        extra_ports={"otlp_grpc": 4317, "otlp_http": 4318},
        config_dir="/etc/alloy",
        data_dir="/var/lib/alloy",
        single_replica=True,
        per_node=True,
        node_access=True,
        log_collector=True,
    ),
)
class Alloy(Service):
    image: Image = Image(repository="grafana/alloy", tag="v1.19.2")
    requests: Resources = Resources(cpu="50m", memory="128Mi")
    limits: Resources = Resources(cpu="500m", memory="512Mi")
    otlp: Otlp = Otlp()

"""`jaeger` section (Jaeger v2, built on the OpenTelemetry Collector)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..registry import ServiceFacts, service
from .base import Duration, Int
from .service import Bytes, Image, Resources, Service


@service(
    "jaeger",
    ServiceFacts(
        port=16686,
        extra_ports={"otlp_grpc": 4317, "otlp_http": 4318, "health": 13133, "metrics": 8888},
        config_dir="/etc/jaeger",
        data_dir="/badger",
        ui=True,
        single_replica=True,
        metrics_port="metrics",
    ),
)
class Jaeger(Service):
    image: Image = Image(repository="jaegertracing/jaeger", tag="2.21.0")
    requests: Resources = Resources(cpu="100m", memory="256Mi")
    limits: Resources = Resources(cpu="1", memory="1Gi")
    host_port: Int | None = 16686
    # memory loses traces on restart; badger keeps them on the data volume.
    storage: Literal["memory", "badger"] = "memory"
    # Jaeger reads it into a Go int: past int64 its config does not load.
    max_traces: Int = Field(100000, ge=1000, le=2**63 - 1)
    badger_ttl: Duration = "72h"
    storage_size: Bytes = "5Gi"

"""`promtail` section. promtail reached end of life in March 2026 (Grafana Alloy succeeds it);
the collector is one component among others and can be disabled and replaced."""

from __future__ import annotations

from ..registry import ServiceFacts, service
from .base import Int
from .names import HostPath
from .service import Image, Resources, Service


@service(
    "promtail",
    ServiceFacts(
        port=9080,
        config_dir="/etc/promtail",
        data_dir="/promtail",
        single_replica=True,
        per_node=True,
        node_access=True,
        log_collector=True,
    ),
)
class Promtail(Service):
    image: Image = Image(repository="grafana/promtail", tag="3.6.11")
    requests: Resources = Resources(cpu="50m", memory="64Mi")
    limits: Resources = Resources(cpu="250m", memory="256Mi")
    host_port: Int | None = None
    # Where the Docker engine keeps container logs on the host (Docker target).
    docker_root: HostPath = "/var/lib/docker"

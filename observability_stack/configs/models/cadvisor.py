"""`cadvisor` section: per-container CPU, memory, network and restarts on the Docker host."""

from __future__ import annotations

from ..registry import ServiceFacts, service
from .base import Duration
from .service import Image, Resources, Service


@service(
    "cadvisor",
    ServiceFacts(
        port=8080,
        config_dir="/etc/cadvisor",
        data_dir="",
        single_replica=True,
        node_access=True,
        # On Kubernetes the kubelet embeds cAdvisor already.
        targets=("docker",),
    ),
)
class Cadvisor(Service):
    # Published on ghcr.io from v0.53.0 on (the module's README); the release workflow tags v<version>.
    image: Image = Image(repository="ghcr.io/google/cadvisor", tag="v0.60.6")
    requests: Resources = Resources(cpu="100m", memory="128Mi")
    limits: Resources = Resources(cpu="500m", memory="512Mi")
    housekeeping_interval: Duration = "30s"
    # Metric families left out: per-CPU, scheduler, TCP/UDP tables and processes multiply the series
    # by cores and sockets and feed no shipped rule or panel.
    disable_metrics: list[str] = [
        "percpu",
        "sched",
        "tcp",
        "udp",
        "advtcp",
        "process",
        "hugetlb",
        "referenced_memory",
        "cpu_topology",
        "resctrl",
    ]

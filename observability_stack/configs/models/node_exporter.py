"""`node_exporter` section: the host's metrics (CPU, memory, disks, filesystems) from every node."""

from __future__ import annotations

from ..registry import ServiceFacts, service
from .service import Image, Resources, Service


@service(
    "node-exporter",
    ServiceFacts(
        port=9100,
        config_dir="/etc/node-exporter",
        data_dir="",
        single_replica=True,
        per_node=True,
        node_access=True,
    ),
)
class NodeExporter(Service):
    image: Image = Image(repository="prom/node-exporter", tag="v1.12.1")
    requests: Resources = Resources(cpu="50m", memory="32Mi")
    limits: Resources = Resources(cpu="250m", memory="128Mi")
    # Filesystems not worth a series (and a disk-full alert): the container runtime's and kubelet's own.
    mount_points_exclude: str = "^/(dev|proc|sys|run|var/lib/docker/.+|var/lib/containerd/.+|var/lib/kubelet/.+)($|/)"
    fs_types_exclude: str = (
        "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue"
        "|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tmpfs|tracefs)$"
    )

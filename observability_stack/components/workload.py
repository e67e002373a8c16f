"""A service's workload described once, independent of where it runs; a target turns it into resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi

from observability_stack.configs.models.service import Resources


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    protocol: Literal["TCP", "UDP"] = "TCP"
    # A UI port: published on the Docker host (loopback by default) or exposed through an Ingress.
    ui: bool = False
    # Services (by name) allowed to reach this port under network policy; "*" means anyone.
    allowed_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class HealthCheck:
    """HTTP readiness endpoint for Kubernetes probes, and the command Docker runs inside the image."""

    path: str
    port: int
    # Docker runs this inside the container, so it must exist in the image (Loki's is distroless).
    docker_test: tuple[str, ...] = ()
    start_period: str = "30s"

    @classmethod
    def http(cls, path: str, port: int, start_period: str = "30s") -> HealthCheck:
        """The usual check: an HTTP GET on loopback, by the busybox `wget` the image carries."""
        url = f"http://127.0.0.1:{port}{path}"
        return cls(path, port, ("CMD", "wget", "-q", "-O", "/dev/null", url), start_period)

    @classmethod
    def bash_http(cls, path: str, port: int, start_period: str = "30s") -> HealthCheck:
        """For images with bash but neither wget nor curl (promtail's and Alloy's Ubuntu): the GET by
        bash's /dev/tcp, healthy on a 200."""
        request = f"printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' >&3"
        script = f"exec 3<>/dev/tcp/127.0.0.1/{port} && {request} && grep -q '200 OK' <&3"
        return cls(path, port, ("CMD", "bash", "-c", script), start_period)


@dataclass(frozen=True)
class HostMount:
    host_path: str
    container_path: str
    read_only: bool = True
    # Mounts made on the host after start show inside too (Kubernetes HostToContainer): a root
    # filesystem mount must see the disks mounted later.
    follow_host_mounts: bool = False


@dataclass(frozen=True)
class ApiRule:
    """One Kubernetes RBAC rule the service needs (cluster-wide discovery)."""

    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...] = ("get", "list", "watch")
    non_resource_urls: tuple[str, ...] = ()


@dataclass
class Workload:
    service: str
    image: str
    args: list[str]
    ports: list[Port]
    health: HealthCheck
    requests: Resources
    limits: Resources
    config_dir: str
    config_files: dict[str, str]
    secret_dir: str
    # Binary files next to the config files (relative path -> bytes), e.g. time-zone data.
    binary_files: dict[str, bytes] = field(default_factory=dict)
    # File name -> secret Output: mounted read-only, readable by the service's user alone.
    secret_files: dict[str, pulumi.Output] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, pulumi.Output] = field(default_factory=dict)
    # Environment from the pod itself (Kubernetes downward API): name -> field path.
    field_env: dict[str, str] = field(default_factory=dict)
    data_dir: str | None = None
    data_size: str = "1Gi"
    # "uid:gid" the image runs as; data volumes are owned by it.
    user: str = "65534:65534"
    # Whether the image has data_dir. A new Docker volume takes its owner from the image's directory at
    # the mount point; without one the volume is root's, and the Docker target runs the service as root
    # to write it (Kubernetes sets fsGroup instead).
    image_has_data_dir: bool = True
    replicas: int = 1
    kind: Literal["stateful", "stateless", "daemon"] = "stateless"
    # Node paths the service reads, per target name: what it needs differs (the Docker socket and
    # container logs on Docker, the pod logs under /var/log on Kubernetes); each target takes its own.
    host_mounts: dict[str, list[HostMount]] = field(default_factory=dict)
    # The host's namespaces the service joins, per target name ("pid", "network"): a node agent sees
    # the node's processes and, on Kubernetes, its network devices.
    host_namespaces: dict[str, tuple[str, ...]] = field(default_factory=dict)
    api_rules: list[ApiRule] = field(default_factory=list)
    metrics_port: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def config_path(self, relative: str) -> str:
        return f"{self.config_dir}/{relative}"

    def uid(self) -> int:
        return int(self.user.split(":")[0])

    def gid(self) -> int:
        return int(self.user.split(":")[1])

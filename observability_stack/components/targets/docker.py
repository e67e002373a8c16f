"""Docker target: one private network, and per service a pinned image, a retained volume and a container."""

from __future__ import annotations

import base64

import pulumi
import pulumi_docker as docker

from observability_stack.configs.docker_forms import HOST_PID_SECURITY_OPTS, docker_cpus, go_duration, memory_mib
from observability_stack.configs.models.stack import StackConfig

from ..naming import DEFAULT_NAMES, Names
from ..service import Endpoints
from ..workload import Workload

# How the Docker target delivers a secret file: root-owned (the provider's uploads cannot set an
# owner), readable by the owner's group, which the container's user joins as a supplementary group,
# as OpenShift runs arbitrary users in group 0 and Grafana's own image runs as 472:0.
SECRET_MODE = "0440"
SECRET_GROUP = "0"


class DockerTarget:
    """Created by the stack component; its network and provider are children of that component."""

    name = "docker"

    def __init__(
        self,
        cfg: StackConfig,
        parent: pulumi.Resource | None,
        provider: pulumi.ProviderResource | None = None,
        names: Names = DEFAULT_NAMES,
    ):
        self.cfg = cfg
        self.names = names
        self.prefix = cfg.common.name_prefix
        settings = cfg.common.docker
        self.provider = provider
        if settings.host and provider is None:
            self.provider = docker.Provider(
                **names("docker", pulumi.ResourceOptions(parent=parent)), host=settings.host
            )
        # The network's name, as containers join it: one the stack creates, or one that already exists.
        self.network_name: pulumi.Input[str] = settings.existing_network or ""
        self.network: docker.Network | None = None
        if not settings.existing_network:
            self.network = docker.Network(
                **names.child(parent, self.provider)("network", ignore_changes=["labels"]),
                name=f"{self.prefix}-{settings.network}",
                driver="bridge",
                labels=self._fixed_labels({}, docker.NetworkLabelArgs),
            )
            self.network_name = self.network.name

    def _labels(self, labels: dict[str, str], kind=docker.ContainerLabelArgs) -> list:
        merged = {**self.cfg.common.labels, **labels, "observability.stack": self.prefix}
        return [kind(label=k, value=v) for k, v in sorted(merged.items())]

    def _fixed_labels(self, labels: dict[str, str], kind) -> list:
        """Labels for a volume or the network: Docker cannot change theirs, so the provider replaces
        them on any label change (a new, empty volume under a retained old one). Only what never
        changes without a new name goes on them; `common.labels` go on the containers."""
        merged = {**labels, "observability.stack": self.prefix}
        return [kind(label=k, value=v) for k, v in sorted(merged.items())]

    def _uploads(self, w: Workload) -> list[docker.ContainerUploadArgs]:
        uploads = [
            docker.ContainerUploadArgs(file=w.config_path(path), content=content, permissions="0444")
            for path, content in sorted(w.config_files.items())
        ]
        uploads += [
            docker.ContainerUploadArgs(
                file=w.config_path(path), content_base64=base64.b64encode(data).decode(), permissions="0444"
            )
            for path, data in sorted(w.binary_files.items())
        ]
        # Secret files: content stays a secret Output. The provider (v5.1.0) writes every upload as
        # root:root (its tar headers carry no owner), so a secret is 0440 and readable through group 0,
        # which only the service's process joins (SECRET_GROUP); other users in the container cannot read it.
        uploads += [
            docker.ContainerUploadArgs(file=f"{w.secret_dir}/{name}", content=value, permissions=SECRET_MODE)
            for name, value in sorted(w.secret_files.items())
        ]
        return uploads

    @staticmethod
    def _user(w: Workload) -> str:
        """The user the container runs as: root where a new volume would be root's (image_has_data_dir)."""
        return w.user if w.image_has_data_dir or not w.data_dir else "0:0"

    def _healthcheck(self, w: Workload) -> docker.ContainerHealthcheckArgs:
        # Durations in the form the provider reads back (configs/docker_forms.py): "60s" would differ
        # from the stored "1m0s" on every `pulumi up`.
        return docker.ContainerHealthcheckArgs(
            tests=list(w.health.docker_test),
            interval=go_duration("15s"),
            timeout=go_duration("5s"),
            retries=5,
            start_period=go_duration(w.health.start_period),
        )

    def deploy(self, w: Workload, parent: pulumi.Resource) -> Endpoints:
        name = f"{self.prefix}-{w.service}"
        child = self.names.child(parent, self.provider)
        image = docker.RemoteImage(**child(f"{w.service}-image"), name=w.image, keep_locally=True)
        volumes = [
            docker.ContainerVolumeArgs(host_path=m.host_path, container_path=m.container_path, read_only=m.read_only)
            for m in w.host_mounts.get(self.name, [])
        ]
        if w.data_dir:
            # Retained: neither a replaced container nor `pulumi destroy` takes the data with it.
            volume = docker.Volume(
                # Labels as first created: a stack from before they were fixed keeps its volume.
                **child(f"{w.service}-data", retain_on_delete=True, ignore_changes=["labels"]),
                name=f"{name}-data",
                labels=self._fixed_labels({"observability.service": w.service}, docker.VolumeLabelArgs),
            )
            volumes.append(docker.ContainerVolumeArgs(volume_name=volume.name, container_path=w.data_dir))
        settings = self.cfg.common.docker
        host_port = self.cfg.section(w.service).host_port
        ports = [
            docker.ContainerPortArgs(
                internal=p.port, external=host_port, ip=settings.publish_address, protocol=p.protocol.lower()
            )
            for p in w.ports
            if p.ui and host_port
        ]
        env = [f"{k}={v}" for k, v in sorted(w.env.items())]
        secret_env = [pulumi.Output.concat(k, "=", pulumi.Output.secret(v)) for k, v in sorted(w.secret_env.items())]
        host_pid = "pid" in w.host_namespaces.get(self.name, ())
        container = docker.Container(
            **child(w.service),
            name=name,
            image=image.image_id,
            # Unset rather than empty: the provider reads back the image's own CMD.
            command=w.args or None,
            envs=env + secret_env,
            user=self._user(w),
            group_adds=[SECRET_GROUP] if w.secret_files and self._user(w) != "0:0" else None,
            uploads=self._uploads(w),
            volumes=volumes,
            ports=ports,
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=self.network_name, aliases=[w.service])],
            healthcheck=self._healthcheck(w),
            memory=memory_mib(w.limits.memory),
            # Unset, the engine makes swap twice the limit and the provider reads that back: an update
            # on every `pulumi up`. Equal to the limit means no swap, as on Kubernetes.
            memory_swap=memory_mib(w.limits.memory),
            memory_reservation=memory_mib(w.requests.memory),
            cpus=docker_cpus(w.limits.cpu),  # ForceNew: only the form the provider reads back is stable
            # Only a node agent joins the host's PID namespace; the network stays the stack's own.
            pid_mode="host" if host_pid else None,
            restart="unless-stopped",
            # Wait for the health check, so `pulumi up` fails on a service that does not come up.
            wait=True,
            wait_timeout=180,
            destroy_grace_seconds=30,
            # Root-run containers (promtail) only read root-owned files, which needs no capability either.
            # No read-only root filesystem here, unlike on Kubernetes: the provider delivers `uploads`
            # into the created container through the archive API, which the engine refuses on a
            # read-only root ("container rootfs is marked read-only"; tests/test_docker_engine.py).
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            security_opts=["no-new-privileges:true", *(HOST_PID_SECURITY_OPTS if host_pid else ())],
            log_opts={"max-size": "50m", "max-file": "3"},
            labels=self._labels({"observability.service": w.service}),
        )
        internal = f"http://{w.service}:{w.health.port if not w.ports else w.ports[0].port}"
        external = None
        if ports:
            external = f"http://{settings.publish_address}:{host_port}"
        # No services on Docker: other containers reach this one by its network alias.
        return Endpoints(internal_url=internal, external_url=external, workload=container, services=[])

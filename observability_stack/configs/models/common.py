"""`common` section: deployment target and settings shared by every service."""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import Field, field_validator

from .base import Model
from .names import DnsSubdomain, DockerName, IngressHost, IpAddress, K8sLabelKey, K8sLabelValue

_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,30}[a-z0-9])?$")


class DockerSettings(Model):
    # None means the local socket; ssh:// or tcp:// reaches a remote engine through the provider's `host`.
    host: str | None = None
    # UIs are published on loopback by default: an observability UI on 0.0.0.0 is an open door.
    publish_address: IpAddress = "127.0.0.1"
    network: DockerName = "observability"
    # Join this existing network (by name) instead of creating `<name_prefix>-<network>`: services of
    # your own on it reach the stack by the service names.
    existing_network: DockerName | None = None

    @field_validator("host")
    @classmethod
    def _scheme(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(unix|ssh|tcp|npipe)://", value):
            raise ValueError("must start with unix://, ssh://, tcp:// or npipe://")
        # The socket's path follows the scheme: unix://var/run/docker.sock is relative to wherever
        # the provider happens to run.
        if value is not None and value.startswith("unix://") and not value.startswith("unix:///"):
            raise ValueError(f"{value!r}: the socket path must be absolute (unix:///var/run/docker.sock)")
        return value


class IngressSettings(Model):
    enabled: bool = False
    class_name: str = "nginx"
    # Namespace of the ingress controller, the only source allowed to reach the UIs by network policy.
    controller_namespace: str = "ingress-nginx"
    tls_secret: str | None = None
    # One host per UI, e.g. {grafana: grafana.example.com}
    hosts: dict[str, IngressHost] = Field(default_factory=dict)
    # Prometheus, Alertmanager and Jaeger have no login of their own: an ingress host for one of them
    # is refused unless it is listed here (after putting authentication in front, e.g. by annotations).
    allow_unauthenticated: list[Literal["prometheus", "alertmanager", "jaeger"]] = Field(default_factory=list)


class KubernetesSettings(Model):
    kubeconfig: str | None = None
    context: str | None = None
    # Render manifests to this directory instead of applying them (the provider's renderYamlToDirectory).
    render_yaml_to: str | None = None
    create_namespace: bool = True
    storage_class: DnsSubdomain | None = None
    network_policies: bool = True
    ingress: IngressSettings = IngressSettings()


class Common(Model):
    target: Literal["docker", "kubernetes"] = "docker"
    # The one log collector that runs: promtail (end of life upstream since March 2026), Grafana Alloy,
    # its successor, or none. Switching replaces one collector by the other.
    log_collector: Literal["promtail", "alloy", "none"] = "promtail"
    # Prefix of every Docker container, volume and network name; the namespace on Kubernetes.
    name_prefix: str = "observability"
    labels: dict[K8sLabelKey, K8sLabelValue] = Field(default_factory=dict)
    # Air-gapped mirrors: replaces the registry host of every image, e.g. registry.local:5000.
    image_registry: str | None = None
    docker: DockerSettings = DockerSettings()
    kubernetes: KubernetesSettings = KubernetesSettings()
    # Where the shipped alerts' runbook_url annotations point: {group} is `observability` (the stack and
    # host alerts), `kubernetes` (the cluster's) or `slo`; {runbook} the alert's name in lower case or the
    # SLO's name, e.g. https://wiki.example.com/runbooks/{group}/{runbook}. Unset, they carry no link.
    runbook_url_pattern: str | None = None

    @field_validator("runbook_url_pattern")
    @classmethod
    def _runbook_pattern(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
            value.format(group="g", runbook="r")
        except (ValueError, IndexError, KeyError) as error:
            raise ValueError(f"{value!r}: not a pattern of {{group}} and {{runbook}}: {error}") from None
        if "runbook" not in fields:
            raise ValueError(f"{value!r} has no {{runbook}}: every alert would link to the same page")
        return value

    @field_validator("name_prefix")
    @classmethod
    def _dns(cls, value: str) -> str:
        if not _DNS_LABEL.match(value):
            raise ValueError("must be a DNS label: lower-case letters, digits and '-', at most 32 characters")
        return value

    @field_validator("image_registry")
    @classmethod
    def _registry(cls, value: str | None) -> str | None:
        if value is not None and (not value or "/" in value.rstrip("/").split("/", 1)[0] or value.endswith("/")):
            raise ValueError("must be a registry host[:port], without a trailing '/'")
        return value

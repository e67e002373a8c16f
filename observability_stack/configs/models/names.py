"""Names and addresses the targets refuse when malformed, checked when the config is read."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
# The distribution reference grammar (distribution/reference): an optional registry host[:port], then
# lower-case path components separated by '/'.
_REPO_PATH = re.compile(r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")
_REGISTRY = re.compile(
    r"^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(:\d+)?$"
)
_DOCKER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _dns_subdomain(value: str) -> str:
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(f"{value!r} is not a DNS name (lower-case letters, digits, '-' and '.', at most 253)")
    return value


def _host(value: str) -> str:
    # An ingress host may start with one wildcard label.
    _dns_subdomain(value[2:] if value.startswith("*.") else value)
    return value


def _label_key(value: str) -> str:
    prefix, slash, name = value.rpartition("/")
    if slash:  # an empty prefix before the '/' is refused too
        _dns_subdomain(prefix)
    if len(name) > 63 or not _LABEL_NAME.match(name):
        raise ValueError(
            f"{value!r} is not a Kubernetes label key ([prefix/]name, the name at most 63 of "
            "letters, digits, '-', '_', '.', starting and ending alphanumeric)"
        )
    return value


def _label_value(value: str) -> str:
    if value and (len(value) > 63 or not _LABEL_NAME.match(value)):
        raise ValueError(
            f"{value!r} is not a Kubernetes label value (at most 63 of letters, digits, '-', '_', '.', "
            "starting and ending alphanumeric)"
        )
    return value


def _repository(value: str) -> str:
    first, _, rest = value.partition("/")
    registry = rest and ("." in first or ":" in first or first == "localhost" or first.startswith("["))
    if registry and not _REGISTRY.match(first):
        raise ValueError(f"{value!r}: {first!r} is not a registry host[:port]")
    path = rest if registry else value
    if ":" in path.rsplit("/", 1)[-1] or "@" in path:
        raise ValueError("give the repository without a tag; the tag goes in image.tag")
    if not _REPO_PATH.match(path):
        raise ValueError(f"{value!r} is not an image repository (lower-case path components such as prom/prometheus)")
    return value


def _ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address (e.g. 127.0.0.1)") from None
    return value


def _docker_name(value: str) -> str:
    if not _DOCKER_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a Docker object name (letters, digits, '_', '.', '-', starting alphanumeric)"
        )
    return value


def _absolute_path(value: str) -> str:
    if not value.startswith("/") or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an absolute URL path (e.g. /metrics)")
    return value


def _host_path(value: str) -> str:
    # Docker bind-mounts only an absolute host path (a relative one is read as a volume name), and
    # the provider passes binds as host:container[:mode], so a ':' in the path splits it.
    if not value.startswith("/"):
        raise ValueError(f"{value!r} is not an absolute path on the host (e.g. /var/lib/docker)")
    if ":" in value or "\0" in value:
        raise ValueError(f"{value!r}: a host path for a Docker bind mount cannot hold ':'")
    return value


def _bucket(value: str) -> str:
    if not _BUCKET.match(value) or ".." in value or re.match(r"^\d+\.\d+\.\d+\.\d+$", value):
        raise ValueError(
            f"{value!r} is not an S3 bucket name (3-63 lower-case letters, digits, '.', '-', "
            "starting and ending alphanumeric, not an IP address)"
        )
    return value


DnsSubdomain = Annotated[str, AfterValidator(_dns_subdomain)]
IngressHost = Annotated[str, AfterValidator(_host)]
K8sLabelKey = Annotated[str, AfterValidator(_label_key)]
K8sLabelValue = Annotated[str, AfterValidator(_label_value)]
ImageRepository = Annotated[str, AfterValidator(_repository)]
IpAddress = Annotated[str, AfterValidator(_ip)]
DockerName = Annotated[str, AfterValidator(_docker_name)]
AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]
HostPath = Annotated[str, AfterValidator(_host_path)]
BucketName = Annotated[str, AfterValidator(_bucket)]

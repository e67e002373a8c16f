"""Settings every service shares: enablement, pinned image, resources, storage, replicas."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from ..units import BYTES, CPU, INT64_MAX, byte_count, cpu_cores
from .base import Duration, Int, Model
from .names import ImageRepository


def _cpu(value: str) -> str:
    if not CPU.match(value):
        hint = " (that is a memory unit)" if BYTES.match(value) else ""
        raise ValueError(f"{value!r} is not a CPU quantity{hint}: use cores or millicores, e.g. 500m, 1, 1.5")
    if cpu_cores(value) <= 0:
        raise ValueError(f"{value!r}: a CPU quantity must be above zero")
    if cpu_cores(value) * 1000 > INT64_MAX:
        raise ValueError(f"{value!r} is beyond the largest CPU quantity Kubernetes holds (2^63-1 millicores)")
    return value


def _bytes(value: str) -> str:
    if not BYTES.match(value):
        hint = " ('m' is milli: a thousandth of a byte; use Mi or M)" if re.match(r"^\d+(\.\d+)?m$", value) else ""
        raise ValueError(f"{value!r} is not a byte quantity{hint} (e.g. 512Mi, 1Gi, 10Gi)")
    if byte_count(value) <= 0:
        raise ValueError(f"{value!r}: a size must be above zero")
    if byte_count(value) > INT64_MAX:
        raise ValueError(f"{value!r} is beyond the largest size Kubernetes and Docker hold (2^63-1 bytes, under 8Ei)")
    return value


# As field types, not validators, so a subclass that redefines the field (a service's own default)
# keeps the check: a validator method can be shadowed by one of the same name in a subclass.
Cpu = Annotated[str, AfterValidator(_cpu)]
Bytes = Annotated[str, AfterValidator(_bytes)]


class Resources(Model):
    cpu: Cpu = "500m"
    memory: Bytes = "512Mi"


class Image(Model):
    repository: ImageRepository
    # An exact version: `latest` or an empty tag would make two deploys of one commit differ.
    tag: str

    @field_validator("tag")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if not value:
            raise ValueError("an image needs a tag: pin an exact version")
        if value == "latest" or value.endswith("-latest"):
            raise ValueError("'latest' is not a version: pin an exact one")
        if not re.match(r"^[\w][\w.-]{0,127}$", value):
            raise ValueError(f"{value!r} is not a valid image tag")
        return value


class Service(Model):
    enabled: bool = True
    replicas: Int = Field(1, ge=1, le=9)
    requests: Resources = Resources(cpu="100m", memory="128Mi")
    limits: Resources = Resources()
    storage_size: Bytes = "10Gi"
    extra_args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    # UI port published on the Docker host (loopback by default); None keeps the service internal.
    host_port: Int | None = None

    @field_validator("host_port")
    @classmethod
    def _port(cls, value: Int | None) -> Int | None:
        if value is not None and not 1 <= value <= 65535:
            raise ValueError(f"port {value} is out of range 1-65535")
        return value


class RetainedService(Service):
    retention: Duration = "15d"

"""Settings every service shares: enablement, pinned image, resources, storage, replicas."""
from __future__ import annotations

import re
from typing import Optional

from pydantic import Field, field_validator

from .base import Duration, Model

_QUANTITY = re.compile(r"^\d+(\.\d+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")


def _quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity (e.g. 500m, 1, 512Mi, 10Gi)")
    return value


class Resources(Model):
    cpu: str = "500m"
    memory: str = "512Mi"

    _check = field_validator("cpu", "memory")(classmethod(lambda cls, v: _quantity(v)))


class Image(Model):
    repository: str
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

    @field_validator("repository")
    @classmethod
    def _repo(cls, value: str) -> str:
        if not value or ":" in value.rsplit("/", 1)[-1] or "@" in value:
            raise ValueError("give the repository without a tag; the tag goes in image.tag")
        return value


class Service(Model):
    enabled: bool = True
    replicas: int = Field(1, ge=1, le=9)
    requests: Resources = Resources(cpu="100m", memory="128Mi")
    limits: Resources = Resources()
    storage_size: str = "10Gi"
    extra_args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    # UI port published on the Docker host (loopback by default); None keeps the service internal.
    host_port: Optional[int] = None

    _size = field_validator("storage_size")(classmethod(lambda cls, v: _quantity(v)))

    @field_validator("host_port")
    @classmethod
    def _port(cls, value: Optional[int]) -> Optional[int]:
        if value is not None and not 1 <= value <= 65535:
            raise ValueError(f"port {value} is out of range 1-65535")
        return value


class RetainedService(Service):
    retention: Duration = "15d"

"""Settings every service shares: enablement, pinned image, resources, storage, replicas."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from .base import Duration, Int, Model
from .names import ImageRepository

_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
# Kubernetes' suffixes (resource.Quantity) without the milli and exponent forms.
_BYTES = re.compile(r"^(\d+(?:\.\d+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_BYTE_FACTORS = {
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    None: 1,
}
# Kubernetes caps a quantity at 2^63-1 without a word (resource.Quantity), the Docker engine holds
# memory in an int64 of bytes, and the kubelet CPU in an int64 of millicores: beyond, the amount
# deployed is not the amount written.
INT64_MAX = 2**63 - 1


def cpu_cores(value: str) -> Fraction:
    number, milli = _CPU.match(value).groups()
    return Fraction(number) / (1000 if milli else 1)


def byte_count(value: str) -> Fraction:
    """Exact, so a size next to the int64 limit is judged right (a float rounds 2^63-1 up)."""
    number, unit = _BYTES.match(value).groups()
    return Fraction(number) * _BYTE_FACTORS[unit]


def _cpu(value: str) -> str:
    if not _CPU.match(value):
        hint = " (that is a memory unit)" if _BYTES.match(value) else ""
        raise ValueError(f"{value!r} is not a CPU quantity{hint}: use cores or millicores, e.g. 500m, 1, 1.5")
    if cpu_cores(value) <= 0:
        raise ValueError(f"{value!r}: a CPU quantity must be above zero")
    if cpu_cores(value) * 1000 > INT64_MAX:
        raise ValueError(f"{value!r} is beyond the largest CPU quantity Kubernetes holds (2^63-1 millicores)")
    return value


def _bytes(value: str) -> str:
    if not _BYTES.match(value):
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

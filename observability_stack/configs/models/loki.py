"""`loki` section: storage backend, retention and ingestion limits."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..registry import ServiceFacts, service
from .base import Duration, Int, Model, duration_seconds
from .names import BucketName
from .secret import SecretRef
from .service import INT64_MAX, Image, Resources, RetainedService

# What Loki 3.7 does with the limits this section sets, read in its source (pkg/validation/limits.go):
# ingestion_rate_mb is a float64 read from YAML, so a number beyond float64 does not load; the burst
# is turned into bytes as int(burst_mb * 2^20), which past int64 comes out negative (amd64) and
# refuses every push.
_MIB = 2**20
MAX_RATE_MB = int(sys.float_info.max)
MAX_BURST_MB = INT64_MAX // _MIB
# 24h is Loki's documented shortest retention (docs/sources/operations/storage/retention.md), and
# what Limits.Validate refuses at start for a per-stream retention. The global retention_period is
# not checked at start (Config.Validate, pkg/loki/loki.go): a shorter one would start and keep less
# than the documented minimum. Nor is a period that is not a multiple of 24h refused: that rule is
# the table manager's, which this TSDB-and-compactor config does not run.
MIN_RETENTION_SECONDS = 24 * 3600


def _s3_key(key: str, env: str) -> SecretRef:
    # Only with S3 storage; and required: Loki cannot reach the bucket without it, whatever its name.
    return SecretRef(
        key=key,
        env=env,
        required=True,
        applies=lambda loki: loki.storage.type == "s3",
        error="secret {name!r} is not set",
    )


class S3Storage(Model):
    bucket: BucketName | None = None
    endpoint: str | None = None
    region: str = "us-east-1"
    # MinIO and most self-hosted stores need path-style URLs.
    s3forcepathstyle: bool = False
    insecure: bool = False
    # Loki reads the keys from the environment (-config.expand-env): a Secret's variables, not files.
    access_key_secret: Annotated[str, _s3_key("access_key_id", "LOKI_S3_ACCESS_KEY_ID")] = "loki_s3_access_key_id"
    secret_key_secret: Annotated[str, _s3_key("secret_access_key", "LOKI_S3_SECRET_ACCESS_KEY")] = (
        "loki_s3_secret_access_key"
    )


class LokiStorage(Model):
    type: Literal["filesystem", "s3"] = "filesystem"
    s3: S3Storage = S3Storage()

    @model_validator(mode="after")
    def _bucket(self) -> LokiStorage:
        if self.type == "s3" and not self.s3.bucket:
            raise ValueError("s3 storage needs s3.bucket")
        return self


@service(
    "loki",
    ServiceFacts(port=3100, extra_ports={"grpc": 9095}, config_dir="/etc/loki", data_dir="/loki", single_replica=True),
)
class Loki(RetainedService):
    image: Image = Image(repository="grafana/loki", tag="3.7.8")
    requests: Resources = Resources(cpu="200m", memory="256Mi")
    limits: Resources = Resources(cpu="1", memory="1Gi")
    retention: Duration = "744h"
    storage: LokiStorage = LokiStorage()
    ingestion_rate_mb: Int = Field(16, ge=1, le=MAX_RATE_MB)
    ingestion_burst_size_mb: Int = Field(32, ge=1, le=MAX_BURST_MB)
    reject_old_samples_max_age: Duration = "168h"
    # Loki ruler alerts (the seed's security patterns); routed through Alertmanager.
    security_rules: bool = True
    host_port: Int | None = None

    @field_validator("retention")
    @classmethod
    def _retention(cls, value: str) -> str:
        if duration_seconds(value) < MIN_RETENTION_SECONDS:
            raise ValueError(f"{value!r} is below 24h, the shortest retention Loki supports")
        return value

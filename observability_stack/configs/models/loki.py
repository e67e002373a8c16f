"""`loki` section: storage backend, retention and ingestion limits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..registry import ServiceFacts, service
from .base import Duration, Int, Model
from .names import BucketName
from .service import Image, Resources, RetainedService


class S3Storage(Model):
    bucket: BucketName | None = None
    endpoint: str | None = None
    region: str = "us-east-1"
    # MinIO and most self-hosted stores need path-style URLs.
    s3forcepathstyle: bool = False
    insecure: bool = False
    access_key_secret: str = "loki_s3_access_key_id"
    secret_key_secret: str = "loki_s3_secret_access_key"


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
    ServiceFacts(
        order=40, port=3100, extra_ports={"grpc": 9095}, config_dir="/etc/loki", data_dir="/loki", single_replica=True
    ),
)
class Loki(RetainedService):
    image: Image = Image(repository="grafana/loki", tag="3.7.8")
    requests: Resources = Resources(cpu="200m", memory="256Mi")
    limits: Resources = Resources(cpu="1", memory="1Gi")
    retention: Duration = "744h"
    storage: LokiStorage = LokiStorage()
    ingestion_rate_mb: Int = Field(16, ge=1)
    ingestion_burst_size_mb: Int = Field(32, ge=1)
    reject_old_samples_max_age: Duration = "168h"
    # Loki ruler alerts (the seed's security patterns); routed through Alertmanager.
    security_rules: bool = True
    host_port: Int | None = None

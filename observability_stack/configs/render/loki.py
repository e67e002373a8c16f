"""Loki 3.x monolithic config (TSDB index, schema v13) and its ruler's rule files."""

from __future__ import annotations

from ..content.loki_rules import loki_security_rule_groups
from ..models.loki import S3Storage
from ..models.secret import declared
from ..models.stack import StackConfig
from ..registry import renders
from ..secret_walk import SecretFields
from .common import DATA_DIRS, PORTS, RenderContext, Topology, command_line, to_yaml

# The environment variables Loki expands (-config.expand-env) into the S3 credentials, by field,
# as the model declares them (tools/commands/preflight.py reads the same ones).
S3_ENV = {field: ref.env for field, ref in declared(S3Storage).items()}
# With auth disabled Loki's single tenant is called "fake"; the local ruler reads <dir>/<tenant>/*.yml.
TENANT = "fake"


def _object_store(cfg: StackConfig, secrets: SecretFields) -> tuple[str, dict]:
    data = DATA_DIRS["loki"]
    if cfg.loki.storage.type == "s3":
        s3 = cfg.loki.storage.s3
        aws = {
            "bucketnames": s3.bucket,
            "region": s3.region,
            "s3forcepathstyle": s3.s3forcepathstyle,
            "insecure": s3.insecure,
            **(secrets.of(s3) or {}),  # the keys, as `${VAR}`: the validation refuses them unset
        }
        if s3.endpoint:
            aws["endpoint"] = s3.endpoint
        return "s3", {"s3": aws}
    return "filesystem", {"filesystem": {"chunks_directory": f"{data}/chunks", "rules_directory": f"{data}/rules"}}


def loki_yml(cfg: StackConfig, topology: Topology, config_dir: str, secrets: SecretFields) -> dict:
    data = DATA_DIRS["loki"]
    store, storage = _object_store(cfg, secrets)
    config: dict = {
        "auth_enabled": False,
        "server": {"http_listen_port": PORTS["loki"], "grpc_listen_port": PORTS["loki_grpc"], "log_level": "info"},
        "common": {
            "path_prefix": data,
            "replication_factor": 1,
            "instance_addr": "127.0.0.1",
            "ring": {"kvstore": {"store": "inmemory"}},
            "storage": storage,
        },
        "schema_config": {
            "configs": [
                {
                    "from": "2024-04-01",
                    "store": "tsdb",
                    "object_store": store,
                    "schema": "v13",
                    "index": {"prefix": "index_", "period": "24h"},
                }
            ]
        },
        "storage_config": {
            "tsdb_shipper": {"active_index_directory": f"{data}/tsdb-index", "cache_location": f"{data}/tsdb-cache"}
        },
        "compactor": {
            "working_directory": f"{data}/compactor",
            "compaction_interval": "10m",
            "retention_enabled": True,
            "retention_delete_delay": "2h",
            "delete_request_store": store,
        },
        "limits_config": {
            "retention_period": cfg.loki.retention,
            "reject_old_samples": True,
            "reject_old_samples_max_age": cfg.loki.reject_old_samples_max_age,
            "ingestion_rate_mb": cfg.loki.ingestion_rate_mb,
            "ingestion_burst_size_mb": cfg.loki.ingestion_burst_size_mb,
            "allow_structured_metadata": True,
            "volume_enabled": True,
        },
        "analytics": {"reporting_enabled": False},
    }
    if cfg.loki.security_rules:
        ruler: dict = {
            "storage": {"type": "local", "local": {"directory": f"{config_dir}/rules"}},
            "rule_path": f"{data}/ruler-scratch",
            "enable_api": True,
            "ring": {"kvstore": {"store": "inmemory"}},
        }
        if cfg.alertmanager.enabled:
            ruler["alertmanager_url"] = ",".join(f"http://{am}" for am in topology.alertmanagers())
        config["ruler"] = ruler
    return config


@renders("loki")
def render_loki(ctx: RenderContext) -> dict[str, str]:
    files = {"loki.yaml": to_yaml(loki_yml(ctx.cfg, ctx.topology, ctx.config_dir, ctx.secret_fields()))}
    if ctx.cfg.loki.security_rules:
        files[f"rules/{TENANT}/security.yml"] = to_yaml({"groups": loki_security_rule_groups()})
    return files


def loki_args(cfg: StackConfig, config_dir: str) -> list[str]:
    # expand-env only when needed: it would also expand any `$` a user put in the file.
    expand = [("config.expand-env", "true")] if cfg.loki.storage.type == "s3" else []
    return command_line(
        [("config.file", f"{config_dir}/loki.yaml"), ("target", "all")] + expand, cfg.loki.extra_args, dashes="-"
    )

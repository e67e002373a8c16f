"""Jaeger v2 config: an OpenTelemetry Collector pipeline with Jaeger's storage and query extensions."""

from __future__ import annotations

from ..models.stack import StackConfig
from ..registry import renders
from .common import DATA_DIRS, PORTS, RenderContext, command_line, to_yaml

_STORE = "traces"


def _backend(cfg: StackConfig) -> dict:
    if cfg.jaeger.storage == "badger":
        data = DATA_DIRS["jaeger"]
        return {
            "badger": {
                "directories": {"keys": f"{data}/keys", "values": f"{data}/values"},
                "ephemeral": False,
                "ttl": {"spans": cfg.jaeger.badger_ttl},
            }
        }
    return {"memory": {"max_traces": cfg.jaeger.max_traces}}


def jaeger_yml(cfg: StackConfig) -> dict:
    # Collector components default to localhost since OTel 0.104: every listener is bound explicitly.
    return {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {
                "traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["jaeger_storage_exporter"]}
            },
            "telemetry": {
                "resource": {"service.name": "jaeger"},
                "metrics": {
                    "level": "detailed",
                    "readers": [
                        {"pull": {"exporter": {"prometheus": {"host": "0.0.0.0", "port": PORTS["jaeger_metrics"]}}}}
                    ],
                },
                "logs": {"level": "info"},
            },
        },
        "extensions": {
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"0.0.0.0:{PORTS['jaeger_health']}"}},
            "jaeger_query": {"storage": {"traces": _STORE}, "http": {"endpoint": f"0.0.0.0:{PORTS['jaeger']}"}},
            "jaeger_storage": {"backends": {_STORE: _backend(cfg)}},
        },
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"0.0.0.0:{PORTS['jaeger_otlp_grpc']}"},
                    "http": {"endpoint": f"0.0.0.0:{PORTS['jaeger_otlp_http']}"},
                }
            }
        },
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": _STORE}},
    }


@renders("jaeger")
def render_jaeger(ctx: RenderContext) -> dict[str, str]:
    return {"config.yaml": to_yaml(jaeger_yml(ctx.cfg))}


def jaeger_args(cfg: StackConfig, config_dir: str) -> list[str]:
    return command_line([("config", f"{config_dir}/config.yaml")], cfg.jaeger.extra_args)

"""Grafana Alloy's configuration: the same log discovery, labels and pipeline as promtail's
(configs/render/log_labels.py), pushed to Loki, and optionally an OTLP receiver that forwards traces
to Jaeger and metrics to Prometheus. Written as data through alloy_syntax."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..models.stack import StackConfig
from ..registry import renders
from .alloy_syntax import Block, Expr, render
from .common import DATA_DIRS, PORTS, RenderContext, Topology, command_line
from .log_labels import DOCKER_RELABEL, DOCKER_SOCKET, POD_RELABEL

CONFIG_FILE = "config.alloy"
# Prometheus relabel-config keys -> the `rule` block's arguments (the same names, in Alloy).
_RULE_KEYS = ("source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action")


def rules(relabel: Sequence[Mapping[str, Any]]) -> list[Block]:
    """Prometheus relabel configs as discovery.relabel `rule` blocks."""
    for rule in relabel:
        unknown = set(rule) - set(_RULE_KEYS)
        if unknown:
            raise ValueError(f"no Alloy rule argument for {sorted(unknown)}")
    return [Block("rule", body=[(key, rule[key]) for key in _RULE_KEYS if key in rule]) for rule in relabel]


def _loki_write(topology: Topology) -> Block:
    return Block(
        "loki.write",
        "loki",
        [Block("endpoint", body=[("url", f"{topology.url('loki')}/loki/api/v1/push")])],
    )


def _docker_logs() -> list[Block]:
    host = f"unix://{DOCKER_SOCKET}"
    return [
        Block("discovery.docker", "containers", [("host", host), ("refresh_interval", "5s")]),
        # The log stream label exists only once the source reads an entry: the rules go to the
        # source (relabel_rules), as promtail applies them per entry.
        Block("discovery.relabel", "containers", [("targets", []), *rules(DOCKER_RELABEL)]),
        Block(
            "loki.source.docker",
            "containers",
            [
                ("host", host),
                ("targets", Expr("discovery.docker.containers.targets")),
                ("forward_to", [Expr("loki.write.loki.receiver")]),
                ("relabel_rules", Expr("discovery.relabel.containers.rules")),
            ],
        ),
    ]


def _pod_logs() -> list[Block]:
    return [
        Block(
            "discovery.kubernetes",
            "pods",
            [
                ("role", "pod"),
                # This node's pods only: each Alloy of the DaemonSet reads its own node's files.
                Block("selectors", body=[("role", "pod"), ("field", Expr('"spec.nodeName=" + sys.env("HOSTNAME")'))]),
            ],
        ),
        Block(
            "discovery.relabel", "pods", [("targets", Expr("discovery.kubernetes.pods.targets")), *rules(POD_RELABEL)]
        ),
        Block("local.file_match", "pods", [("path_targets", Expr("discovery.relabel.pods.output"))]),
        Block(
            "loki.source.file",
            "pods",
            [("targets", Expr("local.file_match.pods.targets")), ("forward_to", [Expr("loki.process.pods.receiver")])],
        ),
        Block("loki.process", "pods", [Block("stage.cri"), ("forward_to", [Expr("loki.write.loki.receiver")])]),
    ]


def _otlp(topology: Topology) -> list[Block]:
    jaeger = f"{topology.host('jaeger')}:{PORTS['jaeger_otlp_grpc']}"
    return [
        Block(
            "otelcol.receiver.otlp",
            "default",
            [
                Block("grpc", body=[("endpoint", f"0.0.0.0:{PORTS['alloy_otlp_grpc']}")]),
                Block("http", body=[("endpoint", f"0.0.0.0:{PORTS['alloy_otlp_http']}")]),
                Block(
                    "output",
                    body=[
                        ("traces", [Expr("otelcol.exporter.otlp.jaeger.input")]),
                        ("metrics", [Expr("otelcol.exporter.prometheus.default.input")]),
                    ],
                ),
            ],
        ),
        Block(
            "otelcol.exporter.otlp",
            "jaeger",
            [Block("client", body=[("endpoint", jaeger), Block("tls", body=[("insecure", True)])])],
        ),
        Block(
            "otelcol.exporter.prometheus",
            "default",
            [("forward_to", [Expr("prometheus.remote_write.default.receiver")])],
        ),
        # Every replica of an HA pair gets every sample: through the Service each would get some.
        Block(
            "prometheus.remote_write",
            "default",
            [
                Block("endpoint", body=[("url", f"http://{address}/api/v1/write")])
                for address in topology.instances("prometheus")
            ],
        ),
    ]


def alloy_blocks(cfg: StackConfig, topology: Topology) -> list[Block]:
    blocks = _docker_logs() if topology.log_source == "docker" else _pod_logs()
    blocks.append(_loki_write(topology))
    if cfg.alloy.otlp.enabled:
        blocks += _otlp(topology)
    return blocks


@renders("alloy")
def render_alloy(ctx: RenderContext) -> dict[str, str]:
    return {CONFIG_FILE: render(alloy_blocks(ctx.cfg, ctx.topology))}


def alloy_args(cfg: StackConfig, config_dir: str) -> list[str]:
    flags = [
        ("server.http.listen-addr", f"0.0.0.0:{PORTS['alloy']}"),
        ("storage.path", f"{DATA_DIRS['alloy']}/data"),
    ]
    return ["run", f"{config_dir}/{CONFIG_FILE}", *command_line(flags, cfg.alloy.extra_args)]


def remote_writers(cfg: StackConfig) -> tuple[str, ...]:
    """The services that push samples to Prometheus: Alloy, when it forwards OTLP metrics."""
    return ("alloy",) if "alloy" in cfg.enabled() and cfg.alloy.otlp.enabled else ()

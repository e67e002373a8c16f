"""Grafana Alloy as the log collector: its rendered configuration held to Alloy's grammar and to the
arguments, blocks and exports of each component it uses, the same labels as promtail, and switching
collectors changing the collector and the places that name it, nothing else.

Alloy's module is not on the Go module proxy, so `alloy fmt` cannot run here. The component table is
from Alloy's documentation and Go struct tags at v1.19.0 (grafana/alloy, docs/sources/reference/
components/*, internal/component/*), the release the stack pins (v1.19.2)."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest
import yaml

from observability_stack.configs.load import load_sections
from observability_stack.configs.render.alloy import alloy_blocks
from observability_stack.configs.render.alloy_syntax import Block, Expr, SyntaxProblem, parse, render
from observability_stack.configs.render.common import Topology
from observability_stack.configs.render.files import all_files
from observability_stack.configs.render.prometheus import prometheus_args
from observability_stack.configs.render.promtail import promtail_yml
from tools.harness.mockrun import run_program


class Spec(NamedTuple):
    """What a component or block accepts: its arguments, its blocks (by name), and a component's exports."""

    arguments: frozenset[str]
    blocks: dict[str, Spec] = {}
    exports: frozenset[str] = frozenset()


def spec(arguments: str = "", blocks: dict[str, Spec] | None = None, exports: str = "") -> Spec:
    return Spec(frozenset(arguments.split()), blocks or {}, frozenset(exports.split()))


RULE = spec("source_labels separator regex modulus target_label replacement action")
COMPONENTS = {
    "discovery.docker": spec("host port host_networking_host refresh_interval match_first_network", exports="targets"),
    "discovery.relabel": spec("targets", {"rule": RULE}, "output rules"),
    "loki.source.docker": spec("host targets forward_to labels relabel_rules refresh_interval"),
    "discovery.kubernetes": spec(
        "role api_server kubeconfig_file",
        {"selectors": spec("role label field"), "namespaces": spec("names own_namespace")},
        "targets",
    ),
    "local.file_match": spec("path_targets sync_period ignore_older_than", exports="targets"),
    "loki.source.file": spec("targets forward_to encoding tail_from_end"),
    "loki.process": spec("forward_to", {"stage.cri": spec("max_partial_lines max_partial_line_size")}, "receiver"),
    "loki.write": spec("external_labels max_streams", {"endpoint": spec("url tenant_id batch_wait")}, "receiver"),
    "otelcol.receiver.otlp": spec(
        blocks={"grpc": spec("endpoint"), "http": spec("endpoint"), "output": spec("metrics logs traces")}
    ),
    "otelcol.exporter.otlp": spec(
        "timeout", {"client": spec("endpoint compression", {"tls": spec("insecure insecure_skip_verify")})}, "input"
    ),
    "otelcol.exporter.prometheus": spec("forward_to include_target_info add_metric_suffixes", exports="input"),
    "prometheus.remote_write": spec("external_labels", {"endpoint": spec("url name remote_timeout")}, "receiver"),
}
REQUIRED = {
    "discovery.docker": {"host"},
    "discovery.relabel": {"targets"},
    "loki.source.docker": {"host", "targets", "forward_to"},
    "discovery.kubernetes": {"role"},
    "local.file_match": {"path_targets"},
    "loki.source.file": {"targets", "forward_to"},
    "loki.process": {"forward_to"},
    "otelcol.exporter.prometheus": {"forward_to"},
}
CONTAINER = "docker:index/container:Container"
REFERENCE = re.compile(r"\b([a-z_]+(?:\.[a-z_]+)+)\.([a-z_]+)\.([a-z_]+)\b")


def _config(target: str, otlp: bool = False):
    cfg, secrets, _ = load_sections(
        {"common": {"target": target, "log_collector": "alloy"}, "alloy": {"otlp": {"enabled": otlp}}}
    )
    return cfg, secrets


def _check_body(where: str, body: list, allowed: Spec) -> None:
    for item in body:
        if isinstance(item, Block):
            assert item.name in allowed.blocks, f"{where}: no block {item.name!r}"
            assert item.label is None, f"{where}: block {item.name} takes no label"
            _check_body(f"{where} > {item.name}", item.body, allowed.blocks[item.name])
        else:
            assert item[0] in allowed.arguments, f"{where}: no argument {item[0]!r}"


def _values(body: list) -> list:
    """Every attribute value in a body and its nested blocks."""
    found = []
    for item in body:
        found += _values(item.body) if isinstance(item, Block) else [item[1]]
    return found


def _references(value) -> list[str]:
    if isinstance(value, Expr):
        return [value.text]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []


def check_components(blocks: list[Block]) -> None:
    declared = {(b.name, b.label) for b in blocks}
    assert len(declared) == len(blocks), "a component declared twice"
    for block in blocks:
        assert block.name in COMPONENTS, f"unknown component {block.name}"
        assert block.label and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", block.label), block.label
        _check_body(block.name, block.body, COMPONENTS[block.name])
        present = {item[0] for item in block.body if not isinstance(item, Block)}
        assert REQUIRED.get(block.name, set()) <= present, (block.name, present)
        values = _values(block.body)
        for text in (ref for value in values for ref in _references(value)):
            if text.startswith(("sys.env(", '"')):
                continue
            match = REFERENCE.fullmatch(text)
            assert match, f"{block.name}: {text!r} is not a component export"
            name, label, export = match.groups()
            assert (name, label) in declared, f"{block.name}: {text} names no declared component"
            assert export in COMPONENTS[name].exports, f"{text}: {name} exports no {export}"


@pytest.mark.parametrize("target", ["docker", "kubernetes"])
@pytest.mark.parametrize("otlp", [False, True])
def test_the_rendered_file_follows_the_grammar_and_each_components_reference(target, otlp):
    cfg, secrets = _config(target, otlp)
    text = all_files(cfg, secrets.names())["alloy"]["config.alloy"]
    blocks = parse(text)
    check_components(blocks)
    assert blocks == alloy_blocks(cfg, Topology.of(cfg))  # it reads back as it was written
    assert ("otelcol.receiver.otlp", "default") in {(b.name, b.label) for b in blocks} if otlp else True


def test_the_checks_catch_what_alloy_would_refuse():
    good = render([Block("loki.write", "loki", [Block("endpoint", body=[("url", "http://loki:3100")])])])
    check_components(parse(good))
    for broken in (
        good.replace("}", "", 1),
        'loki.write "loki" {\n  endpoint {\n    url = "http://x\n  }\n}\n',
        'url = "http://x"\n',
        'loki.write "loki" {\n  endpoint.url = "x"\n}\n',
    ):
        with pytest.raises(SyntaxProblem):
            parse(broken)
    for wrong in (
        [Block("loki.writer", "loki", [])],
        [Block("loki.write", "loki", [Block("endpoints", body=[("url", "x")])])],
        [Block("loki.process", "p", [("forward_to", [Expr("loki.write.missing.receiver")])])],
        [Block("loki.write", "w", []), Block("loki.process", "p", [("forward_to", [Expr("loki.write.w.output")])])],
        [Block("local.file_match", "f", [])],
    ):
        with pytest.raises(AssertionError):
            check_components(wrong)


def _rule_dicts(blocks: list[Block], label: str) -> list[dict]:
    (relabel,) = [b for b in blocks if b.name == "discovery.relabel" and b.label == label]
    return [dict(rule.body) for rule in relabel.body if isinstance(rule, Block)]


def test_the_same_labels_as_promtail():
    for target, label, job in (("docker", "containers", 0), ("kubernetes", "pods", 0)):
        cfg, _ = _config(target)
        topology = Topology.of(cfg)
        promtail_rules = promtail_yml(cfg, topology)["scrape_configs"][job]["relabel_configs"]
        promtail_rules = [r for r in promtail_rules if r.get("target_label") != "__host__"]  # promtail's node filter
        assert _rule_dicts(alloy_blocks(cfg, topology), label) == promtail_rules, target


def test_otlp_forwards_to_jaeger_and_prometheus_which_then_accepts_remote_write():
    cfg, _ = _config("kubernetes", otlp=True)
    blocks = {b.name: b for b in alloy_blocks(cfg, Topology.of(cfg))}
    client = dict(blocks["otelcol.exporter.otlp"].body[0].body[:1])
    assert client == {"endpoint": "jaeger:4317"}
    assert dict(blocks["prometheus.remote_write"].body[0].body) == {"url": "http://prometheus:9090/api/v1/write"}
    assert "--web.enable-remote-write-receiver" in prometheus_args(cfg, "/etc/prometheus", "/prometheus")
    plain, _ = _config("kubernetes", otlp=False)
    assert "--web.enable-remote-write-receiver" not in prometheus_args(plain, "/etc/prometheus", "/prometheus")


def _run(tmp_path, target: str, collector: str):
    program = tmp_path / f"{target}-{collector}.py"
    program.write_text(
        "import observability_stack as obs\n"
        f"obs.ObservabilityStack('observability', obs.StackArgs(config={{'common': "
        f"{{'target': {target!r}, 'log_collector': {collector!r}}}}}))\n"
    )
    return {(r.type, r.short): r for r in run_program({}, program=program).records}


@pytest.mark.parametrize(
    "target, also_changed",
    [
        # Prometheus scrapes the collector (its job and down alert), Grafana's stack dashboard shows it up.
        ("docker", {(CONTAINER, "prometheus"), (CONTAINER, "grafana")}),
        # ...and on Kubernetes, Loki's policy names who may push; the config objects are named by content.
        (
            "kubernetes",
            {
                ("kubernetes:apps/v1:StatefulSet", "prometheus"),
                ("kubernetes:core/v1:ConfigMap", "prometheus-config"),
                ("kubernetes:apps/v1:Deployment", "grafana"),
                ("kubernetes:core/v1:ConfigMap", "grafana-config"),
                ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "loki"),
            },
        ),
    ],
)
def test_switching_to_alloy_replaces_the_collector_and_changes_only_what_names_it(tmp_path, target, also_changed):
    before, after = _run(tmp_path, target, "promtail"), _run(tmp_path, target, "alloy")
    gone = {key for key in before.keys() - after.keys()}
    new = {key for key in after.keys() - before.keys()}
    assert gone and all("promtail" in key[1] or "Promtail" in key[0] for key in gone), gone
    assert new and all("alloy" in key[1] or "Alloy" in key[0] for key in new), new
    changed = {key for key in before.keys() & after.keys() if before[key].inputs != after[key].inputs}
    assert changed == also_changed
    if target == "docker":
        files = {u["file"]: u["content"] for u in after[(CONTAINER, "prometheus")].inputs["uploads"]}
        jobs = [j["job_name"] for j in yaml.safe_load(files["/etc/prometheus/prometheus.yml"])["scrape_configs"]]
        assert "alloy" in jobs and "promtail" not in jobs


def test_remote_write_reaches_each_replica_of_an_ha_prometheus():
    cfg, _, _ = load_sections(
        {
            "common": {"target": "kubernetes", "log_collector": "alloy"},
            "alloy": {"otlp": {"enabled": True}},
            "prometheus": {"replicas": 2},
        }
    )
    (write,) = [b for b in alloy_blocks(cfg, Topology.of(cfg)) if b.name == "prometheus.remote_write"]
    assert [dict(endpoint.body)["url"] for endpoint in write.body] == [
        f"http://prometheus-{i}.prometheus-headless:9090/api/v1/write" for i in (0, 1)
    ]

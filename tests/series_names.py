"""The metric names the shipped rules and dashboards read, and the upstream expositions they are held to.

Shared by tests/test_series_names.py (every name against the catalogues in fixtures/expositions/,
read from each exporter's source at the release the stack deploys) and the tests that start the
exporters this machine runs (tests/test_series_names_e2e.py, tests/test_control_plane_series.py),
which check the names those exporters own against their real /metrics instead.

A name is owned by (in order): the rules that record it (a `:` in it); the PRSM pack (`prsm_`); the
scrape loop (`up`, `scrape_*`, `ALERTS*`: Prometheus writes them); the exporter of the job its
selector names (`job="kubelet"`); else every catalogue that lists it; else the running exporter whose
prefix it has. Anything else fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import promql_parser as pp
from conftest import ROOT, SECRETS, stack_config
from test_content_dashboards import GRAFANA_VARIABLES

from observability_stack.configs.load import load
from observability_stack.configs.models.kube_state_metrics import API_GROUPS
from observability_stack.configs.models.stack import StackConfig
from observability_stack.configs.render.files import service_files
from observability_stack.configs.render.grafana import dashboards
from observability_stack.configs.render.rules import rule_files

EXPOSITIONS = Path(__file__).resolve().parent / "fixtures" / "expositions"
GO = "client_golang-v1.24.0.txt"
KSM = "kube-state-metrics-v2.20.0.txt"
# Rendered scrape job -> the catalogues of what it scrapes (client_golang's go_*/process_* with each Go one).
JOB_CATALOGUES = {
    "kube-state-metrics": (KSM, GO),
    "kubelet": ("kubelet-v1.37.2-metrics.txt", GO),
    "kubelet-cadvisor": ("kubelet-v1.37.2-cadvisor.txt",),
    "kubelet-probes": ("kubelet-v1.37.2-probes.txt",),
    "cadvisor": ("cadvisor-v0.60.5.txt", GO),
    "coredns": ("coredns-v1.14.6.txt", GO),
    "loki": ("loki-v3.7.6.txt", GO),
    "promtail": ("promtail-v3.6.11.txt", "alloy-v1.19.0-rc.3.txt", GO),
    "grafana": ("grafana-13.txt", GO),
}
# Exporters this machine runs: their names are checked against their real /metrics, by the test that
# starts them. Job -> (test, exporter); prefix -> (test, exporters) for selectors that name no job.
LIVE_JOBS = {
    "node-exporter": ("e2e", "node-exporter"),
    "prometheus": ("e2e", "prometheus"),
    "alertmanager": ("e2e", "alertmanager"),
    "apiserver": ("control-plane", "kube-apiserver"),
    "kube-controller-manager": ("control-plane", "kube-controller-manager"),
    "kube-scheduler": ("control-plane", "kube-scheduler"),
    "etcd": ("control-plane", "etcd"),
}
LIVE_PREFIXES = {
    "node_": ("e2e", "node-exporter"),
    "prometheus_": ("e2e", "prometheus"),
    "alertmanager_": ("e2e", "alertmanager"),
    "apiserver_": ("control-plane", "kube-apiserver"),
    "aggregator_": ("control-plane", "kube-apiserver"),
    "etcd_": ("control-plane", "etcd kube-apiserver"),
    "grpc_server_": ("control-plane", "etcd"),
    "scheduler_": ("control-plane", "kube-scheduler"),
    "node_collector_": ("control-plane", "kube-controller-manager"),
    "workqueue_": ("control-plane", "kube-controller-manager kube-apiserver"),
    "rest_client_": ("control-plane", "kube-controller-manager kube-scheduler"),
    "leader_election_": ("control-plane", "kube-controller-manager kube-scheduler"),
}
# Written by Prometheus itself for every target and alert: github.com/prometheus/prometheus@v0.316.0
# (Prometheus v3.16.0) scrape/scrape.go (the report series) and rules/alerting.go (ALERTS*).
SCRAPE_SERIES = {
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "scrape_timeout_seconds",
    "scrape_sample_limit",
    "scrape_body_size_bytes",
    "ALERTS",
    "ALERTS_FOR_STATE",
}


# --- catalogues -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Catalogue:
    file: str
    families: dict[str, tuple[str, str]]  # family -> (type, where upstream)
    header: str

    @property
    def source(self) -> str:
        return next((line for line in self.header.splitlines() if "source:" in line), self.header.splitlines()[0])

    def family_of(self, name: str) -> str | None:
        """The family `name` is a series of (histogram/summary suffixes), or None."""
        if name in self.families:
            return name
        for suffix in ("_bucket", "_sum", "_count"):
            base = name.removesuffix(suffix)
            if base != name and base in self.families:
                kind = self.families[base][0]
                if (
                    kind == "untyped"
                    or (kind in ("histogram", "summary") and suffix != "_bucket")
                    or kind == "histogram"
                ):
                    return base
        return None


@cache
def catalogue(file: str) -> Catalogue:
    text = (EXPOSITIONS / file).read_text()
    header = "\n".join(line[2:] for line in text.splitlines() if line.startswith("#"))
    families = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, kind, where = line.split(" ", 2)
            families[name] = (kind, where)
    return Catalogue(file, families, header)


def static_catalogues() -> list[str]:
    return sorted(p.name for p in EXPOSITIONS.glob("*.txt"))


def ksm_collector(where: str) -> str | None:
    """The collector of a kube-state-metrics docs page: docs/metrics/workload/pod-metrics.md -> pods."""
    stem = Path(where).name.removesuffix("-metrics.md")
    if stem == Path(where).name:
        return None  # telemetry
    for plural in (stem + "s", stem + "es", stem[:-1] + "ies"):
        if plural in API_GROUPS:
            return plural
    return stem + "s"


# --- what the stack reads -------------------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    stack: str
    where: str  # rule file / group / rule, or dashboard file / panel
    metric: str
    matchers: tuple[tuple[str, str, str], ...] = field(default=())  # (label, op, value)

    def job(self) -> tuple[str, str] | None:
        return next(((op, value) for label, op, value in self.matchers if label == "job"), None)

    def __str__(self) -> str:
        return f"{self.stack}: {self.where} reads {self.metric}"


def selectors(expr: pp.Expr) -> list[pp.VectorSelector]:
    found: list[pp.VectorSelector] = []

    def walk(node) -> None:
        if isinstance(node, pp.VectorSelector):
            found.append(node)
            return
        if isinstance(node, pp.MatrixSelector):
            walk(node.vector_selector)
            return
        for attr in ("expr", "lhs", "rhs", "param"):
            child = getattr(node, attr, None)
            if isinstance(child, pp.Expr):
                walk(child)
        if isinstance(node, pp.Call):
            for arg in node.args:
                walk(arg)

    walk(expr)
    return found


def _op(op) -> str:
    return {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}.get(
        str(op), str(op)
    )


def selector_refs(stack: str, where: str, expr: str) -> list[Reference]:
    refs = []
    for sel in selectors(pp.parse(expr)):
        matchers = tuple((m.name, _op(m.op), m.value) for m in sel.matchers.matchers)
        name = sel.name or next((v for label, op, v in matchers if label == "__name__" and op == "="), None)
        if name:
            refs.append(Reference(stack, where, name, matchers))
    return refs


def grafana_expr(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def _panels(panels: list[dict]):
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _is_prometheus(target: dict, panel: dict) -> bool:
    source = target.get("datasource") or panel.get("datasource") or {}
    uid = source.get("uid", "") if isinstance(source, dict) else str(source)
    kind = source.get("type", "") if isinstance(source, dict) else ""
    return "loki" not in (uid + kind) and "jaeger" not in (uid + kind) and "alertmanager" not in (uid + kind)


def references(stack: str, cfg: StackConfig) -> list[Reference]:
    refs = []
    for file, groups in rule_files(cfg).items():
        for group in groups:
            for rule in group["rules"]:
                where = f"rule {file} / {group['name']} / {rule.get('alert') or rule.get('record')}"
                refs += selector_refs(stack, where, rule["expr"])
    for folder, files in dashboards(cfg, str(ROOT)).items():
        for file, dash in files.items():
            for panel in _panels(dash.get("panels", [])):
                for target in panel.get("targets", []):
                    if "expr" in target and _is_prometheus(target, panel):
                        where = f"panel {folder}/{file} / {panel.get('title')!r}"
                        refs += selector_refs(stack, where, grafana_expr(target["expr"]))
    return refs


def recorded(cfg: StackConfig) -> set[str]:
    return {r["record"] for groups in rule_files(cfg).values() for g in groups for r in g["rules"] if "record" in r}


def scrape_jobs(cfg: StackConfig) -> dict[str, dict]:
    import yaml

    doc = yaml.safe_load(service_files(cfg, "prometheus", set())["prometheus.yml"])
    return {job["job_name"]: job for job in doc["scrape_configs"]}


@cache
def stacks() -> dict[str, StackConfig]:
    """The configs the shipped content is rendered for: prod (Kubernetes, the PRSM pack), dev (Docker),
    and prod with every kube-state-metrics collector and every cluster target on (what a rule or panel
    may read when a user turns them on)."""
    out = {}
    for name, stack, extra in (
        ("prod", "prod", {}),
        ("dev", "dev", {}),
        ("prod, every collector", "prod", {"observability:kube_state_metrics": {"collectors": list(API_GROUPS)}}),
    ):
        cfg, _, _ = load(stack_config(stack, **{"observability:secrets": dict(SECRETS)}, **extra), str(ROOT))
        out[name] = cfg
    return out


# --- ownership ------------------------------------------------------------------------------------
@dataclass
class Verdict:
    ref: Reference
    owner: str  # "recorded", "pack", "scrape", "catalogue", "live:<test>", or "" (a problem)
    problem: str = ""
    exporters: str = ""  # for live owners: which running exporter(s)


def _jobs_matching(op: str, value: str, jobs: set[str]) -> set[str]:
    if op == "=":
        return {value} & jobs
    if op == "=~":
        return {j for j in jobs if re.fullmatch(value, j)}
    return set()


def judge(ref: Reference, cfg: StackConfig, jobs: set[str], records: set[str]) -> Verdict:
    name = ref.metric
    if ":" in name:
        if name in records:
            return Verdict(ref, "recorded")
        return Verdict(ref, "", f"{ref}: no rule of this stack records {name}")
    job = ref.job()
    if job and job[0] in ("=", "=~"):
        named = _jobs_matching(*job, jobs)
        if not named:
            return Verdict(ref, "", f"{ref} with job{job[0]}{job[1]!r}: no such scrape job (jobs: {sorted(jobs)})")
    else:
        named = set()
    if name.startswith("prsm_"):
        return Verdict(ref, "pack")
    if name in SCRAPE_SERIES:
        return Verdict(ref, "scrape")
    if named == jobs and len(jobs) > 1:
        named = set()  # a dashboard's `$job` (every job) names none in particular
    if named:
        files = sorted({f for j in named for f in JOB_CATALOGUES.get(j, ())})
        if any(catalogue(f).family_of(name) for f in files):
            return _in_catalogues(ref, cfg, files)
        live = sorted(LIVE_JOBS[j] for j in named if j in LIVE_JOBS)
        if live:
            return Verdict(ref, "live:" + live[0][0], exporters=" ".join(x for _, x in live))
        if not files:
            return Verdict(ref, "", f"{ref}: job {sorted(named)} has no catalogue in tests/series_names.py")
        return _in_catalogues(ref, cfg, files)
    files = [f for f in static_catalogues() if catalogue(f).family_of(name)]
    if files:
        return _in_catalogues(ref, cfg, files)
    for prefix, (test, exporters) in sorted(LIVE_PREFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.startswith(prefix):
            return Verdict(ref, "live:" + test, exporters=exporters)
    return Verdict(
        ref,
        "",
        f"{ref}: in no upstream exposition (checked {', '.join(static_catalogues())}; "
        f"no running exporter has its prefix: {sorted(LIVE_PREFIXES)})",
    )


def _in_catalogues(ref: Reference, cfg: StackConfig, files: list[str]) -> Verdict:
    for file in files:
        cat = catalogue(file)
        family = cat.family_of(ref.metric)
        if family is None:
            continue
        if file == KSM and "kube-state-metrics" in cfg.enabled():
            collector = ksm_collector(cat.families[family][1])
            if collector and collector not in cfg.kube_state_metrics.collectors:
                return Verdict(
                    ref,
                    "",
                    f"{ref}: kube-state-metrics exports it from its `{collector}` collector "
                    f"({cat.families[family][1]}), which kube_state_metrics.collectors leaves off "
                    f"({cfg.kube_state_metrics.collectors}); checked against {file}",
                )
        return Verdict(ref, "catalogue")
    sources = "; ".join(f"{f} ({catalogue(f).source.strip()})" for f in files)
    return Verdict(ref, "", f"{ref}: not in {sources}")


def verdicts() -> list[Verdict]:
    out = []
    for stack, cfg in stacks().items():
        jobs, records = set(scrape_jobs(cfg)), recorded(cfg)
        out += [judge(ref, cfg, jobs, records) for ref in references(stack, cfg)]
    return out


def live_references(test: str) -> list[Verdict]:
    """The references whose names the running exporters of `test` own, once each (name, job)."""
    seen, out = set(), []
    for verdict in verdicts():
        key = (verdict.ref.metric, verdict.ref.job())
        if verdict.owner == "live:" + test and key not in seen:
            seen.add(key)
            out.append(verdict)
    return out


# --- real expositions -----------------------------------------------------------------------------
def exposition_names(text: str) -> set[str]:
    """Every series name a text exposition shows, and its family's suffixed names from # TYPE."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            names.add(family)
            if kind.strip() in ("histogram", "gaugehistogram"):
                names |= {family + "_bucket", family + "_sum", family + "_count"}
            elif kind.strip() == "summary":
                names |= {family + "_sum", family + "_count"}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names

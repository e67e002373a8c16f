"""The synthetic series `make bench` evaluates the shipped rules over, derived from the rules themselves.

Every selector of every rule is parsed (promql_parser); each metric a rule reads and no rule records is
generated with the cardinality of its family in a cluster of SIZE, so a rule added later is benched
without editing this file. The model (FAMILIES; the first whose pattern matches the metric name wins):

- `up`, and any unknown metric a selector names a job for: one series per scrape target of each job
  the selectors name: a node each for node-exporter, kubelet, cAdvisor and promtail; 3 for the
  control plane (apiserver, etcd, scheduler, controller manager); 2 CoreDNS; the stack services'
  replicas from its config; `slo_series` for the jobs an SLO reads `up` of.
- SLI metrics (read by slo.yml's rules), and application metrics sharing their prefix (`prsm_`):
  `slo_series` (1,000) series per metric, a histogram's buckets included.
- `kube_pod_container_*`, `container_*`: per container (pods x containers_per_pod), x resource (2)
  for limits/requests; the `*_reason` families sparse (0.5 % of containers, as KSM exports them).
- `kube_pod_*`: per pod, x phase (5) for `_status_phase`, x condition (3) for `_status_ready`.
- `kube_node_*`, `kubelet_*`, `node_*`: per node; x condition (5) x status (3), x resource (4),
  x filesystem (5), x cpu (8) x mode (8), x device (3) where the family has those.
- `kubelet_volume_stats_*`, `kube_persistentvolumeclaim_*`: per PVC.
- `kube_deployment_*`, `kube_statefulset_*`, `kube_daemonset_*`, `kube_job_*`,
  `kube_horizontalpodautoscaler_*`: per object (x condition x status for conditions); other
  `kube_*` per namespace.
- `apiserver_request_*`: per API server x resource (25) x verb (8), x code (6) for the counter,
  x le (24) for the latency histogram.
- `etcd_*`, `scheduler_*`, `workqueue_*`, `coredns_*`: per instance of their job (x rcode x type for
  CoreDNS responses).
- `prometheus_*`, `alertmanager_*`, `loki_*`, `promtail_*`, `grafana_*`, `jaeger_*`: per replica of
  the service, x rule group (30), Alertmanager (3), integration (5) or route (12) x status where the
  metric has those.
- anything else: 10 series, listed as unmodelled in the report.

A `*_bucket` metric gets an `le` axis (12 buckets, plus any value a selector's `le` matcher needs).
A label a selector matches that the family does not model (`status!="success"`, `code=~"5.."`)
takes, across the series, one value satisfying and one violating each matcher, so both kinds exist.
Values are those of a healthy cluster, so alerts stay quiet and the cost measured is the steady state:
counters grow at 1/s per series (0 for failures and errors: a name or label value saying so),
histogram buckets by a fixed latency distribution, gauges by their name (`up` 1, free/available 60
of a size/capacity/limit of 100, `*_ttl_seconds` months, replicas equal), one-hot states 1 on the
healthy value.
"""

from __future__ import annotations

import math
import re
import re._parser as sre_parse  # type: ignore[import-not-found]
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import product

import promql_parser

# ---- selectors -------------------------------------------------------------------------------

OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


@dataclass(frozen=True)
class Selector:
    name: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value), op one of = != =~ !~
    range_s: int = 0  # seconds of samples read before the evaluation time (range + offset); 0: instant

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get("__name__", self.name) == self.name and all(
            _match(labels.get(label, ""), op, value) for label, op, value in self.matchers
        )

    def promql(self) -> str:
        inner = ",".join(f"{label}{op}{_quote(value)}" for label, op, value in self.matchers)
        return f"{self.name}{{{inner}}}" if inner else self.name


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _match(actual: str, op: str, value: str) -> bool:
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    hit = re.fullmatch(value, actual) is not None
    return hit if op == "=~" else not hit


def _seconds(delta: timedelta | None) -> int:
    return int(delta.total_seconds()) if delta else 0


def selectors(expr: str) -> list[Selector]:
    """Every series selector of a PromQL expression, in order, with how far back each reads."""
    found: list[Selector] = []

    def visit(node, back: int) -> None:
        if isinstance(node, promql_parser.MatrixSelector):
            vs = node.vector_selector
            found.append(_selector(vs, back + _seconds(node.range) + _seconds(vs.offset)))
        elif isinstance(node, promql_parser.VectorSelector):
            found.append(_selector(node, back + _seconds(node.offset)))
        elif isinstance(node, promql_parser.SubqueryExpr):
            visit(node.expr, back + _seconds(node.range) + _seconds(node.offset))
        elif isinstance(node, promql_parser.BinaryExpr):
            visit(node.lhs, back)
            visit(node.rhs, back)
        elif isinstance(node, promql_parser.Call):
            for arg in node.args:
                visit(arg, back)
        elif isinstance(node, promql_parser.AggregateExpr):
            visit(node.expr, back)
            if node.param is not None:
                visit(node.param, back)
        elif isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
            visit(node.expr, back)

    visit(promql_parser.parse(expr), 0)
    return found


def _selector(vs, back: int) -> Selector:
    matchers = []
    name = vs.name or ""
    for m in vs.matchers.matchers:
        if m.name == "__name__" and str(m.op) == "MatchOp.Equal":
            name = m.value
        else:
            matchers.append((m.name, OPS[str(m.op)], m.value))
    return Selector(name, tuple(matchers), back)


# ---- example label values for matchers -------------------------------------------------------

GOOD_VALUE = re.compile(r"(?i)^(success|succeeded|ok|true|noerror|2\d\d)$")
BAD_VALUE = re.compile(r"(?i)^(5\d\d|.*(fail|error|servfail|refused|timeout|denied|unauthori[sz]ed|not_).*)$")
BAD_NAME = re.compile(
    r"(?i)(fail|error|throttled|dropped|unauthorized|restarts|leader_changes|oom|evicted|missed|corruption|panic"
    r"|discarded|invalid|errs)"
)
CLOCK_NAME = re.compile(r"(?i).*(start_time|_timestamp|_time_seconds|creation_time|last_seen).*")
CLOCK_AGE = 3600.0  # a clock gauge (start time, timestamp) reads this many seconds before the bench began


def example(pattern: str) -> str:
    """A short string the (fully anchored) RE2-style regex `pattern` matches."""

    def walk(items) -> str:
        out = []
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "ANY":
                out.append("0")
            elif name == "IN":
                out.append(_in_example(arg))
            elif name == "BRANCH":
                out.append(walk(arg[1][0]))
            elif name == "SUBPATTERN":
                out.append(walk(arg[-1]))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, _high, body = arg
                out.append(walk(body) * low)
        return "".join(out)

    candidate = walk(sre_parse.parse(pattern))
    if re.fullmatch(pattern, candidate) is None:
        raise ValueError(f"no example for regex {pattern!r}")
    return candidate


def _in_example(items) -> str:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " "}.get(str(arg), "a")
    return "a"


def satisfying(op: str, value: str) -> str:
    if op == "=":
        return value
    if op == "=~":
        return example(value)
    excluded = value if op == "!=" else example(value)
    for candidate in (("failed" if GOOD_VALUE.match(excluded) else "ok"), "other", "x1", "0", ""):
        if _match(candidate, op, value):
            return candidate
    raise ValueError(f"no value for {op}{value!r}")


def violating(op: str, value: str) -> str | None:
    inverse = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}[op]
    try:
        return satisfying(inverse, value)
    except ValueError:
        return None


# ---- the cardinality model -------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    nodes: int = 100
    pods: int = 3000
    containers_per_pod: int = 2
    namespaces: int = 30
    pvcs: int = 300
    deployments: int = 300
    statefulsets: int = 40
    daemonsets: int = 8
    jobs: int = 150
    hpas: int = 50
    control_plane: int = 3  # API servers, etcd members, schedulers, controller managers
    coredns: int = 2
    slo_series: int = 1000
    replicas: Mapping[str, int] = field(default_factory=dict)  # the stack's services, from its config
    slo_jobs: frozenset[str] = frozenset()  # jobs whose `up` an SLO reads


Axis = tuple[Mapping[str, str], ...]


def _axis(label: str, *values: str) -> Axis:
    return tuple({label: v} for v in values)


BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf")
API_BUCKETS = (
    *("0.005", "0.025", "0.05", "0.1", "0.2", "0.4", "0.6", "0.8", "1.0", "1.25", "1.5", "2.0"),
    *("3.0", "4.0", "5.0", "6.0", "8.0", "10.0", "15.0", "20.0", "30.0", "45.0", "60.0", "+Inf"),
)
RESOURCES = _axis(
    "resource",
    *("pods", "services", "endpoints", "endpointslices", "nodes", "namespaces", "configmaps", "secrets"),
    *("deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs", "events", "leases"),
    *("serviceaccounts", "persistentvolumeclaims", "persistentvolumes", "ingresses", "networkpolicies"),
    *("roles", "rolebindings", "customresourcedefinitions", "horizontalpodautoscalers"),
)
VERBS = _axis("verb", "GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH", "DELETE", "APPLY")
STATUS = _axis("status", "true", "false", "unknown")
FILESYSTEMS: Axis = tuple(
    {"mountpoint": m, "fstype": f, "device": d}
    for m, f, d in (
        ("/", "ext4", "/dev/nvme0n1p1"),
        ("/boot/efi", "vfat", "/dev/nvme0n1p15"),
        ("/var/lib/kubelet", "ext4", "/dev/nvme1n1"),
        ("/run", "tmpfs", "tmpfs"),
        ("/var/lib/containerd/overlay", "overlay", "overlay"),
    )
)


@dataclass(frozen=True)
class Family:
    pattern: str  # fullmatch on the metric name
    entity: str  # node, pod, container, pvc, deployment, ..., target (per scrape target of the job), slo
    job: str = ""  # the job label; for entity "target", the job whose targets they are
    axes: tuple[Axis, ...] = ()
    hot: Mapping[str, str] = field(default_factory=dict)  # one-hot states: 1 where these labels hold
    healthy_else: Mapping[str, str] = field(default_factory=dict)  # ...for the axes' entries but the first
    sparse: float = 1.0  # fraction of the entities that have the series
    label: str = ""  # the model's name in the report

    def describe(self) -> str:
        return self.label or self.entity


KSM, NODE_EXPORTER, KUBELET, CADVISOR = "kube-state-metrics", "node-exporter", "kubelet", "kubelet-cadvisor"
FAMILIES: tuple[Family, ...] = (
    Family("up", "target", label="per target"),
    Family(
        r"kube_pod_container_status_(waiting|terminated|last_terminated)_reason",
        "container",
        KSM,
        sparse=0.005,
        label="per container, sparse",
    ),
    Family(r"kube_pod_container_resource_(limits|requests)", "container", KSM, (_axis("resource", "cpu", "memory"),)),
    Family(r"kube_pod_container_.*", "container", KSM),
    Family(
        r"kube_pod_status_phase",
        "pod",
        KSM,
        (_axis("phase", "Running", "Pending", "Succeeded", "Failed", "Unknown"),),
        {"phase": "Running"},
    ),
    Family(
        r"kube_pod_status_(ready|scheduled)",
        "pod",
        KSM,
        (_axis("condition", "true", "false", "unknown"),),
        {"condition": "true"},
    ),
    Family(r"kube_pod_.*", "pod", KSM),
    Family(
        r"kube_node_status_condition",
        "node",
        KSM,
        (_axis("condition", "Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"), STATUS),
        {"status": "true"},
        healthy_else={"status": "false"},  # a node's pressure conditions are false when it is healthy
    ),
    Family(
        r"kube_node_status_(capacity|allocatable)",
        "node",
        KSM,
        (_axis("resource", "cpu", "memory", "pods", "ephemeral_storage"),),
    ),
    Family(r"kube_node_spec_taint", "node", KSM, sparse=0.02, label="per node, sparse"),
    Family(r"kube_node_.*", "node", KSM),
    Family(r"kube_persistentvolumeclaim_.*", "pvc", KSM),
    Family(
        r"kube_deployment_status_condition",
        "deployment",
        KSM,
        (_axis("condition", "Available", "Progressing"), STATUS),
        {"status": "true"},
    ),
    Family(r"kube_deployment_.*", "deployment", KSM),
    Family(r"kube_statefulset_.*", "statefulset", KSM),
    Family(r"kube_daemonset_.*", "daemonset", KSM),
    Family(r"kube_job_.*", "job", KSM),
    Family(r"kube_horizontalpodautoscaler_.*", "hpa", KSM),
    Family(
        r"kube_resourcequota",
        "namespace",
        KSM,
        (_axis("resource", "pods", "requests.cpu", "requests.memory", "limits.cpu"), _axis("type", "hard", "used")),
    ),
    Family(r"kube_.*", "namespace", KSM),
    Family(r"container_.*", "container", CADVISOR),
    Family(r"kubelet_volume_stats_.*", "pvc", KUBELET),
    Family(r"kubelet_.*", "node", KUBELET),
    Family(r"node_filesystem_.*", "node", NODE_EXPORTER, (FILESYSTEMS,)),
    Family(
        r"node_cpu_seconds_total",
        "node",
        NODE_EXPORTER,
        (
            _axis("cpu", *map(str, range(8))),
            _axis("mode", "user", "system", "idle", "iowait", "irq", "softirq", "steal", "nice"),
        ),
    ),
    Family(r"node_(disk|network)_.*", "node", NODE_EXPORTER, (_axis("device", "nvme0n1", "nvme1n1", "eth0"),)),
    Family(r"node_.*", "node", NODE_EXPORTER),
    Family(
        r"apiserver_request_duration_seconds_bucket",
        "target",
        "apiserver",
        (RESOURCES, VERBS, _axis("le", *API_BUCKETS)),
    ),
    Family(
        r"apiserver_request_total",
        "target",
        "apiserver",
        (RESOURCES, VERBS, _axis("code", "200", "201", "404", "409", "500", "503")),
    ),
    Family(r"apiserver_.*", "target", "apiserver", (RESOURCES,)),
    Family(r"etcd_.*", "target", "etcd"),
    Family(r"scheduler_.*", "target", "kube-scheduler"),
    Family(r"(workqueue|rest_client|node_collector)_.*", "target", "kube-controller-manager"),
    Family(
        r"coredns_dns_responses_total",
        "target",
        "coredns",
        (_axis("rcode", "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED"), _axis("type", "A", "AAAA", "SRV", "PTR")),
    ),
    Family(r"coredns_.*", "target", "coredns"),
    Family(r"prometheus_rule_.*", "target", "prometheus", (_axis("rule_group", *(f"g{i}" for i in range(30))),)),
    Family(r"prometheus_notifications_.*", "target", "prometheus", (_axis("alertmanager", "am-0", "am-1", "am-2"),)),
    Family(r"prometheus_.*", "target", "prometheus"),
    Family(
        r"alertmanager_notifications_.*",
        "target",
        "alertmanager",
        (_axis("integration", "email", "pagerduty", "slack", "webhook", "opsgenie"),),
    ),
    Family(r"alertmanager_.*", "target", "alertmanager"),
    Family(
        r"loki_request_duration_seconds_.*",
        "target",
        "loki",
        (_axis("route", *(f"route_{i}" for i in range(12))), _axis("status_code", "200", "204", "400", "500")),
    ),
    Family(r"loki_.*", "target", "loki"),
    Family(r"promtail_.*", "target", "promtail"),
    Family(r"grafana_.*", "target", "grafana"),
    Family(r"jaeger_.*", "target", "jaeger"),
)
UNMODELLED = Family(r".*", "default", label="unmodelled")
UNMODELLED_TARGET = Family(r".*", "target", label="per target (family unmodelled)")
DEFAULT_SERIES = 10
PER_NODE_JOBS = {NODE_EXPORTER, KUBELET, CADVISOR, "promtail", "cadvisor"}
CONTROL_PLANE_JOBS = {"apiserver", "etcd", "kube-scheduler", "kube-controller-manager"}
PORTS = {NODE_EXPORTER: 9100, KUBELET: 10250, CADVISOR: 10250, "apiserver": 6443, "etcd": 2379}


def _jobs(sels: list[Selector], size: Size) -> list[str]:
    """The jobs the selectors name: `job="x"`, or the known jobs a `job=~` regex matches."""
    known = PER_NODE_JOBS | CONTROL_PLANE_JOBS | {"coredns", KSM} | set(size.replicas) | size.slo_jobs
    jobs: set[str] = set()
    for sel in sels:
        for label, op, value in sel.matchers:
            if label == "job" and op == "=":
                jobs.add(value)
            elif label == "job" and op == "=~":
                jobs |= {j for j in known if re.fullmatch(value, j)} or {example(value)}
    return sorted(jobs)


def job_targets(job: str, size: Size) -> int:
    if job in size.slo_jobs:
        return size.slo_series
    if job in PER_NODE_JOBS:
        return size.nodes
    if job in CONTROL_PLANE_JOBS:
        return size.control_plane
    if job == "coredns":
        return size.coredns
    return size.replicas.get(job, 1)


def entities(entity: str, size: Size, job: str = "") -> list[dict[str, str]]:
    """Label sets of one family's entities (before its axes)."""
    ns = size.namespaces
    if entity == "node":
        port = PORTS.get(job, 9100)
        return [{"node": f"node-{i:03d}", "instance": f"node-{i:03d}:{port}"} for i in range(size.nodes)]
    if entity == "pod":
        return [{"namespace": f"ns-{i % ns:02d}", "pod": f"pod-{i:04d}"} for i in range(size.pods)]
    if entity == "container":
        return [
            {"namespace": f"ns-{i % ns:02d}", "pod": f"pod-{i:04d}", "container": c}
            for i in range(size.pods)
            for c in ("app", "sidecar", "init", "proxy")[: size.containers_per_pod]
        ]
    if entity == "pvc":
        return [{"namespace": f"ns-{i % ns:02d}", "persistentvolumeclaim": f"data-{i:03d}"} for i in range(size.pvcs)]
    counts = {
        "deployment": size.deployments,
        "statefulset": size.statefulsets,
        "daemonset": size.daemonsets,
        "job": size.jobs,
        "hpa": size.hpas,
    }
    if entity in counts:
        label = {"job": "job_name", "hpa": "horizontalpodautoscaler"}.get(entity, entity)
        return [{"namespace": f"ns-{i % ns:02d}", label: f"{entity}-{i:03d}"} for i in range(counts[entity])]
    if entity == "namespace":
        return [{"namespace": f"ns-{i:02d}"} for i in range(ns)]
    if entity == "target":
        port = PORTS.get(job, 8080)
        return [{"instance": f"{job}-{i}:{port}"} for i in range(job_targets(job, size))]
    if entity == "slo":
        return [{"instance": f"app-{i:04d}:8000"} for i in range(size.slo_series)]
    if entity == "default":
        return [{"instance": f"target-{i}:8080"} for i in range(DEFAULT_SERIES)]
    raise ValueError(f"unknown entity {entity!r}")


# ---- series ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    name: str
    labels: tuple[tuple[str, str], ...]
    counter: bool
    value: float  # a gauge's value, a counter's increase per second, a clock's offset from the reference time
    clock: bool = False  # a timestamp: reference time (the end of the history) + value

    def text(self) -> str:
        """`name{labels}` as the exposition formats write it."""
        inner = ",".join(f"{k}={_quote(v)}" for k, v in self.labels)
        return f"{self.name}{{{inner}}}" if inner else self.name

    def at(self, now: float, origin: float, reference: float) -> float:
        """The value at `now`: counters count from `origin`, clocks are offsets from `reference`."""
        if self.counter:
            return self.value * (now - origin)
        return reference + self.value if self.clock else self.value


@dataclass
class Metric:
    """One metric name: the selectors reading it and the family modelling it."""

    name: str
    family: Family
    selectors: list[Selector]
    series: list[Series]

    @property
    def range_s(self) -> int:
        return max(s.range_s for s in self.selectors)

    def history(self, series: Series) -> int:
        """Seconds of samples the rules read of `series`: the longest range of a selector matching it."""
        labels = {"__name__": series.name, **dict(series.labels)}
        return max((s.range_s for s in self.selectors if s.matches(labels)), default=0)


SLI = Family(r".*", "slo", label="SLI (SLO size)")
APPLICATION = Family(r".*", "slo", label="application (SLO size)")


def family_of(name: str, sli_names: Iterable[str] = (), app_prefixes: Iterable[str] = ()) -> Family:
    if name != "up" and name in set(sli_names):
        return SLI
    for family in FAMILIES:
        if re.fullmatch(family.pattern, name):
            return family
    if any(name.startswith(prefix) for prefix in app_prefixes):
        return APPLICATION
    return UNMODELLED


def _gauge_value(name: str) -> float:
    rules = (
        (r"up|.*has_leader", 1.0),
        (r".*(readonly|failed|misscheduled|unavailable|pending|errors?|waiting|offset).*", 0.0),
        (r".*sync_status.*", 1.0),
        (r".*(replicas|number_scheduled|_scheduled|desired).*", 3.0),
        (r".*(ttl_seconds|expir).*", 1e8),
        # 6,000 containers requesting 1 each fit on 99 nodes of 100 allocatable: no overcommit.
        (r".*resource_requests.*", 1.0),
        (r".*(score|accuracy|ratio).*", 0.97),
        (r".*(avail|free).*", 60.0),
        (r".*(total_size|size_in_bytes|usage|used|working_set|active|running|members).*", 50.0),
        (r".*(size|capacity|limit|quota|max|memtotal|allocatable).*", 100.0),
    )
    for pattern, value in rules:
        if re.fullmatch(pattern, name, re.IGNORECASE):
            return value
    return 50.0


def _bucket_fraction(le: str) -> float:
    """Fraction of events at or under `le` seconds: most requests are fast."""
    if le == "+Inf":
        return 1.0
    return 1.0 - math.exp(-float(le) / 0.02)  # p50 14 ms, p99 92 ms


def _candidates(label: str, sels: list[Selector]) -> list[str]:
    values: list[str] = []
    for sel in sels:
        for lab, op, value in sel.matchers:
            if lab != label:
                continue
            for candidate in (satisfying(op, value), violating(op, value)):
                if candidate is not None and candidate not in values:
                    values.append(candidate)
    return values


def _axes_for(family: Family, name: str, sels: list[Selector]) -> list[Axis]:
    axes = list(family.axes)
    if name.endswith("_bucket") and not any("le" in entry for axis in axes for entry in axis):
        axes.append(_axis("le", *BUCKETS))
    # Where a selector needs an axis value the model lacks (`le="2"`), add it to the axis.
    for i, axis in enumerate(axes):
        labels = set(axis[0])
        for sel in sels:
            for lab, op, value in sel.matchers:
                if lab in labels and not any(_match(entry[lab], op, value) for entry in axis):
                    axes[i] = axis = (*axis, {**axis[0], lab: satisfying(op, value)})
    return axes


def generate_metric(
    name: str, sels: list[Selector], size: Size, family: Family | None = None, entity_limit: int | None = None
) -> Metric:
    """Series of one metric: its family's entities x axes, with the labels its selectors match.
    `entity_limit` caps the entities (a histogram's _count and _sum have its _bucket's)."""
    family = family or family_of(name)
    axes = _axes_for(family, name, sels)
    modelled = {"__name__", "job", "instance"} | {label for axis in axes for entry in axis for label in entry}
    jobs = _jobs(sels, size)
    if family is UNMODELLED and jobs:
        family = UNMODELLED_TARGET
    if family.entity == "target":
        jobs = jobs or [family.job]
        base = [{"job": job, **e} for job in jobs for e in entities("target", size, job)]
    else:
        job = jobs[0] if len(jobs) == 1 else family.job or "app"
        base = [{"job": job, **e} for e in entities(family.entity, size, job)]
        if family.entity == "slo":
            per_entity = 1
            for axis in axes:
                per_entity *= len(axis)
            base = base[: max(1, size.slo_series // per_entity)]
    if entity_limit is not None:
        base = base[:entity_limit]
    if family.sparse < 1:  # at least one, so every selector has a series to read at any size
        kept = [e for e in base if zlib.crc32(repr(sorted(e.items())).encode()) % 1000 < family.sparse * 1000]
        base = kept or base[:1]
    modelled |= {label for e in base for label in e}
    free = sorted({lab for s in sels for lab, _, _ in s.matchers} - modelled)
    choices = [(label, _candidates(label, sels)) for label in free]
    counter = bool(re.search(r"_(total|count|sum|bucket)$", name))
    series = []
    index = 0
    for entity in base:
        for combo in product(*axes):
            labels = dict(entity)
            for entry in combo:
                labels.update(entry)
            stride = 1
            for label, values in choices:  # mixed radix over the series: every combination appears
                labels[label] = values[(index // stride) % len(values)]
                stride *= len(values)
            index += 1
            series.append(_series(name, labels, family, counter))
    return Metric(name, family, list(sels), series)


def _series(name: str, labels: dict[str, str], family: Family, counter: bool) -> Series:
    items = tuple(sorted((k, v) for k, v in labels.items() if v != ""))
    bad = BAD_NAME.search(name) or any(BAD_VALUE.match(v) for k, v in items if k not in ("instance", "job"))
    if counter:
        rate = 0.0 if bad else 1.0 + (zlib.crc32(repr(items).encode()) % 10) / 10
        if name.endswith("_bucket"):
            entity = tuple((k, v) for k, v in items if k != "le")
            rate = (0.0 if bad else 1.0 + (zlib.crc32(repr(entity).encode()) % 10) / 10) * _bucket_fraction(
                labels["le"]
            )
        elif name.endswith("_count") or name.endswith("_sum"):
            rate = 0.0 if bad else 1.0 + (zlib.crc32(repr(items).encode()) % 10) / 10
            rate *= 0.1 if name.endswith("_sum") else 1.0
        return Series(name, items, True, rate)
    if family.hot:
        firsts = {k: axis[0][k] for axis in family.axes for k in axis[0] if k not in family.hot}
        first = all(labels.get(k) == v for k, v in firsts.items())  # e.g. condition="Ready"
        wanted = family.hot if first or not family.healthy_else else family.healthy_else
        hot = all(labels.get(k) == v for k, v in wanted.items())
        return Series(name, items, False, 1.0 if hot else 0.0)
    if family.sparse < 1:
        return Series(name, items, False, 1.0)
    if any(BAD_VALUE.match(v) for k, v in items if k not in ("instance", "job")):
        return Series(name, items, False, 0.0)  # a gauge of failed things (`state="failed"`): none
    if CLOCK_NAME.fullmatch(name):
        return Series(name, items, False, -CLOCK_AGE, clock=True)
    return Series(name, items, False, _gauge_value(name))


# ---- from rule groups to series --------------------------------------------------------------


@dataclass
class Model:
    """What the shipped rules read: raw metrics (generated here) and the recordings they read back."""

    metrics: dict[str, Metric]
    recordings: list[tuple[str, dict[str, str], int, int]]  # (record, labels, interval s, history s)

    @property
    def series(self) -> list[Series]:
        return [s for m in self.metrics.values() for s in m.series]


def _interval(group: Mapping, default: int) -> int:
    from observability_stack.configs.models.base import duration_seconds

    return int(duration_seconds(group["interval"])) if group.get("interval") else default


def build_model(
    groups: Iterable[Mapping], size: Size, sli_groups: Iterable[Mapping] = (), evaluation_interval: int = 15
) -> Model:
    """Series for every metric the `groups` read and no rule records; `sli_groups` are the SLO groups,
    whose raw metrics (and `up` jobs) are sized at `size.slo_series`."""
    groups = list(groups)
    reads: dict[str, list[Selector]] = {}
    for group in groups:
        for rule in group["rules"]:
            for sel in selectors(rule["expr"]):
                if sel.name and sel.name not in ("ALERTS", "ALERTS_FOR_STATE"):
                    reads.setdefault(sel.name, []).append(sel)
    recorded = {rule["record"] for g in groups for rule in g["rules"] if "record" in rule}
    sli_names: set[str] = set()
    slo_jobs: set[str] = set()
    for group in sli_groups:
        for rule in group["rules"]:
            for sel in selectors(rule["expr"]):
                if sel.name and sel.name not in recorded:
                    sli_names.add(sel.name)
                    slo_jobs |= {v for lab, op, v in sel.matchers if lab == "job" and op == "="}
    size = Size(**{**size.__dict__, "slo_jobs": frozenset(slo_jobs)})
    prefixes = {n.split("_", 1)[0] + "_" for n in sli_names if n != "up"}
    metrics: dict[str, Metric] = {}
    # Buckets first: a histogram's _count and _sum then get as many entities as its buckets have.
    for name in sorted((n for n in reads if n not in recorded), key=lambda n: not n.endswith("_bucket")):
        limit = None
        for suffix in ("_count", "_sum"):
            bucket = metrics.get(name.removesuffix(suffix) + "_bucket") if name.endswith(suffix) else None
            if bucket is not None:
                limit = len({tuple(kv for kv in s.labels if kv[0] != "le") for s in bucket.series})
        metrics[name] = generate_metric(name, reads[name], size, family_of(name, sli_names, prefixes), limit)
    # A recording read over a range needs that range of history: backfill it at its group's interval.
    recordings = []
    for group in groups:
        interval = _interval(group, evaluation_interval)
        for rule in group["rules"]:
            if "record" not in rule:
                continue
            labels = {k: str(v) for k, v in (rule.get("labels") or {}).items()}
            history = max(
                (s.range_s for s in reads.get(rule["record"], []) if s.matches({"__name__": rule["record"], **labels})),
                default=0,
            )
            if history:
                recordings.append((rule["record"], labels, interval, history))
    return Model(metrics, recordings)


def recording_value(record: str) -> float:
    """A healthy value for a backfilled recording: error ratios and bad-event rates small, others 1."""
    return 0.0001 if re.search(r"(?i)error|bad|fail", record) else 1.0

"""Every list of named things in the config, checked for a name given twice: the services keep one of
the two (or refuse to start), so one definition would be silently lost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable

from .models.stack import StackConfig
from .render.common import TOPOLOGIES
from .render.prometheus import POD_JOB

Problem = tuple[str, str]


def duplicates(names: Iterable[Hashable]) -> list:
    """The names given more than once, each once, in order of first appearance."""
    counts = Counter(names)
    return [name for name, count in counts.items() if count > 1]


def _named(path: str, noun: str, names: list[str]) -> list[Problem]:
    """A list whose items have names: Alertmanager and Prometheus refuse a name defined twice."""
    return [(path, f"{noun} {name!r} is defined more than once") for name in sorted(duplicates(names))]


def _listed(path: str, noun: str, values: list[str]) -> list[Problem]:
    """A list of names: the service keeps one of each, so a repeat is a slip (often a copy meant to
    be edited into another name)."""
    return [(path, f"{noun} {value!r} is listed more than once") for value in sorted(duplicates(values))]


def _repeated_items(path: str, noun: str, items: list) -> list[Problem]:
    """Items without a name, compared whole: an exact copy is a slip."""
    problems = []
    first: dict = {}
    for index, item in enumerate(items):
        key = item.model_dump_json()
        if key in first:
            problems.append((f"{path}[{index}]", f"the same {noun} as {path}[{first[key]}]"))
        else:
            first[key] = index
    return problems


def _reserved_jobs(cfg: StackConfig) -> list[Problem]:
    """The stack's own jobs are named after the services (checked with the jobs), and where pods are
    discovered there is one more: Prometheus refuses two scrape configs of one name."""
    if not TOPOLOGIES[cfg.common.target].pod_discovery or cfg.prometheus.kubernetes_pods is False:
        return []
    return [
        (
            f"prometheus.scrape_jobs[{index}].job_name",
            f"{POD_JOB!r} is the stack's own job for annotated pods (set prometheus.kubernetes_pods: false to free it)",
        )
        for index, job in enumerate(cfg.prometheus.scrape_jobs)
        if job.job_name == POD_JOB
    ]


def duplicate_problems(cfg: StackConfig) -> list[Problem]:
    am, prometheus = cfg.alertmanager, cfg.prometheus
    problems = _named("alertmanager.receivers", "receiver", [r.name for r in am.receivers])
    problems += _named("alertmanager.time_intervals", "time interval", [t.name for t in am.time_intervals])
    problems += _repeated_items("alertmanager.inhibit_rules", "inhibit rule", list(am.inhibit_rules))
    problems += _named("prometheus.scrape_jobs", "job", [job.job_name for job in prometheus.scrape_jobs])
    problems += _reserved_jobs(cfg)
    for index, job in enumerate(prometheus.scrape_jobs):
        problems += _listed(f"prometheus.scrape_jobs[{index}].targets", "target", list(job.targets))
    problems += _named("prometheus.rule_groups", "rule group", [g.name for g in prometheus.rule_groups])
    problems += _named("slos", "SLO", [slo.name for slo in cfg.slos])
    problems += _listed("kube_state_metrics.collectors", "collector", list(cfg.kube_state_metrics.collectors))
    problems += _listed("cadvisor.disable_metrics", "metric family", list(cfg.cadvisor.disable_metrics))
    ingress = cfg.common.kubernetes.ingress
    problems += _listed(
        "common.kubernetes.ingress.allow_unauthenticated", "service", list(ingress.allow_unauthenticated)
    )
    return problems

"""Checks that span fields or sections, which field validators cannot see."""

from __future__ import annotations

import os
from collections.abc import Iterator

import promql_parser

from . import registry
from .docker_forms import docker_cpus
from .duplicates import duplicate_problems, duplicates
from .models.alertmanager import DEADMANS_SWITCH, Route
from .models.base import duration_seconds
from .models.grafana_env import value_problems
from .models.service import byte_count, cpu_cores
from .models.stack import StackConfig
from .secret_refs import secret_problems

Problem = tuple[str, str]

# Single-binary deployments: more than one replica would split state (sqlite, local TSDB, in-memory traces).


def _routes(routes: list[Route], path: str) -> Iterator[tuple[str, Route]]:
    for index, route in enumerate(routes):
        here = f"{path}[{index}]"
        yield here, route
        yield from _routes(route.routes, f"{here}.routes")


def _shadowed_routes(routes: list[Route], path: str) -> list[Problem]:
    """A route without matchers and without `continue` takes every alert that reaches it: the sibling
    routes after it can never match."""
    problems: list[Problem] = []
    for index, route in enumerate(routes):
        if not route.matchers and not route.continue_ and index < len(routes) - 1:
            later = ", ".join(f"{path}[{i}]" for i in range(index + 1, len(routes)))
            problems.append(
                (
                    f"{path}[{index}]",
                    f"matches every alert and does not continue, so {later} can never "
                    f"match; move it last or give it matchers",
                )
            )
        problems += _shadowed_routes(route.routes, f"{path}[{index}].routes")
    return problems


def _alertmanager(cfg: StackConfig) -> tuple[list[Problem], list[Problem]]:
    am = cfg.alertmanager
    errors: list[Problem] = []
    warnings: list[Problem] = []
    receivers = [r.name for r in am.receivers]
    intervals = [t.name for t in am.time_intervals]
    for index, name in enumerate(receivers):
        if name == DEADMANS_SWITCH:
            errors.append(
                (
                    f"alertmanager.receivers[{index}].name",
                    f"{DEADMANS_SWITCH!r} is reserved for the Watchdog; set alertmanager.deadmans_switch",
                )
            )
    receivers.append(DEADMANS_SWITCH)
    if am.receiver not in receivers:
        errors.append(("alertmanager.receiver", f"unknown receiver {am.receiver!r}"))
    for field in ("group_interval", "repeat_interval"):
        if duration_seconds(getattr(am, field)) == 0:
            errors.append((f"alertmanager.{field}", f"{field} cannot be zero (Alertmanager refuses it)"))
    for path, route in _routes(am.routes, "alertmanager.routes"):
        for field in ("group_interval", "repeat_interval"):
            value = getattr(route, field)
            if value is not None and duration_seconds(value) == 0:
                errors.append((f"{path}.{field}", f"{field} cannot be zero (Alertmanager refuses it)"))
        if route.receiver not in receivers:
            errors.append((f"{path}.receiver", f"unknown receiver {route.receiver!r}"))
        for field in ("active_time_intervals", "mute_time_intervals"):
            for i, name in enumerate(getattr(route, field)):
                if name not in intervals:
                    errors.append((f"{path}.{field}[{i}]", f"undefined time interval {name!r}"))
    warnings += _shadowed_routes(am.routes, "alertmanager.routes")
    for index, receiver in enumerate(am.receivers):
        # Only the root receiver: a silent receiver a route names on purpose (a null sink) is common.
        if receiver.name == am.receiver and not (
            receiver.slack or receiver.pagerduty or receiver.email or receiver.webhook
        ):
            warnings.append(
                (
                    f"alertmanager.receivers[{index}]",
                    f"{receiver.name!r} has no integration, so alerts reach no one outside Alertmanager's UI; "
                    "give it slack, pagerduty, email or webhook",
                )
            )
    if am.deadmans_switch is None:
        warnings.append(
            (
                "alertmanager.deadmans_switch",
                "not set: the always-firing Watchdog alert goes nowhere, "
                "so nothing outside the stack notices when the alert pipeline itself stops",
            )
        )
    email_receivers = [f"alertmanager.receivers[{i}].email" for i, r in enumerate(am.receivers) if r.email]
    if email_receivers and am.smtp.smarthost is None:
        message = (
            "alertmanager.smtp.smarthost is not set, so that e-mail integration is left out (an unreachable "
            "host would fail every send and fire AlertmanagerNotificationsFailing)"
        )
        if len(email_receivers) > 1:
            message += f"; also {', '.join(email_receivers[1:])}"
        (errors if am.require_secrets else warnings).append((email_receivers[0], message))
    return errors, warnings


def _prometheus(cfg: StackConfig) -> list[Problem]:
    errors: list[Problem] = []
    for index, job in enumerate(cfg.prometheus.scrape_jobs):
        if job.job_name in cfg.enabled():
            errors.append(
                (
                    f"prometheus.scrape_jobs[{index}].job_name",
                    f"{job.job_name!r} is the stack's own job for that service",
                )
            )
    for index, job in enumerate(cfg.prometheus.scrape_jobs):
        interval = job.scrape_interval or cfg.prometheus.scrape_interval
        if job.scrape_timeout and duration_seconds(job.scrape_timeout) > duration_seconds(interval):
            errors.append(
                (
                    f"prometheus.scrape_jobs[{index}].scrape_timeout",
                    f"{job.scrape_timeout} is longer than the job's scrape interval {interval} (Prometheus refuses it)",
                )
            )
    from .render.rules import shipped_rule_files  # the shipped groups count against the others

    # In the order they are rendered: a name is reported where it comes the second time.
    written = {f"prometheus.rule_files.{name}": groups for name, groups in cfg.prometheus.rule_files.items()}
    written["prometheus.rule_groups"] = cfg.prometheus.rule_groups
    shipped = {group["name"] for groups in shipped_rule_files(cfg).values() for group in groups}
    seen: set[str] = set()
    for where, groups in written.items():
        for gi, group in enumerate(groups):
            if group.name in shipped:
                errors.append((f"{where}[{gi}].name", f"rule group {group.name!r} is already shipped"))
            elif group.name in seen:
                errors.append((f"{where}[{gi}].name", f"rule group {group.name!r} is given twice"))
            seen.add(group.name)
            for ri, rule in enumerate(group.rules):
                if (rule.alert is None) == (rule.record is None):
                    errors.append((f"{where}[{gi}].rules[{ri}]", "set exactly one of alert or record"))
                if rule.record is not None and rule.for_ is not None:
                    errors.append((f"{where}[{gi}].rules[{ri}].for", "a recording rule takes no 'for'"))
    return errors


def _slo_shapes(cfg: StackConfig) -> list[Problem]:
    """Each SLI's query parses alone, but must also fit the rules built around it (a gauge query must
    be an instant vector, not a range or a scalar): parse every rule the SLO becomes."""
    from .content.slo_rules import slo_rule_groups_of  # the rules are built from the validated models

    problems: list[Problem] = []
    for index, slo in enumerate(cfg.slos):
        for rule in (rule for group in slo_rule_groups_of(slo) for rule in group["rules"]):
            try:
                promql_parser.parse(rule["expr"])
            except ValueError as error:
                name = rule.get("record") or rule.get("alert")
                problems.append((f"slos[{index}].sli", f"does not fit the SLO's {name} rule: {error}"))
                break  # one message per SLO: the other rules fail for the same reason
    return problems


def _topology(cfg: StackConfig) -> list[Problem]:
    errors: list[Problem] = []
    for name in registry.names():
        service, key = cfg.section(name), registry.section(name)
        if cpu_cores(service.requests.cpu) > cpu_cores(service.limits.cpu):
            errors.append(
                (
                    f"{key}.requests.cpu",
                    f"{service.requests.cpu} is above limits.cpu {service.limits.cpu} "
                    "(Kubernetes refuses a request above its limit)",
                )
            )
        if byte_count(service.requests.memory) > byte_count(service.limits.memory):
            errors.append(
                (
                    f"{key}.requests.memory",
                    f"{service.requests.memory} is above limits.memory "
                    f"{service.limits.memory} (Kubernetes refuses a request above its limit)",
                )
            )
    for name in cfg.enabled():
        if registry.facts(name).single_replica and cfg.section(name).replicas != 1:
            key = registry.section(name)
            errors.append((f"{key}.replicas", f"{name} runs as a single instance here; replicas must be 1"))
    with_ui = [name for name in registry.names() if registry.facts(name).ui]
    for name in cfg.common.kubernetes.ingress.hosts:
        if name not in with_ui:
            listed = ", ".join(with_ui[:-1]) + " and " + with_ui[-1] if len(with_ui) > 1 else "".join(with_ui)
            errors.append((f"common.kubernetes.ingress.hosts.{name}", f"only {listed} have a UI"))
    if "alloy" in cfg.enabled() and cfg.alloy.otlp.enabled:
        for needed in ("jaeger", "prometheus"):
            if needed not in cfg.enabled():
                errors.append(("alloy.otlp.enabled", f"Alloy forwards OTLP to {needed}, which is disabled"))
    for name in cfg.enabled():
        if registry.facts(name).log_collector and "loki" not in cfg.enabled():
            errors.append((f"{registry.section(name)}.enabled", f"{name} ships logs to Loki, which is disabled"))
    errors += _slo_shapes(cfg)
    return errors


def _docker(cfg: StackConfig) -> tuple[list[Problem], list[Problem]]:
    """What only the Docker target refuses: one host, published ports, the provider's CPU form."""
    errors: list[Problem] = []
    for name in ("prometheus", "alertmanager"):
        if getattr(cfg, name).replicas != 1:
            errors.append((f"{name}.replicas", "replicas > 1 need the kubernetes target (one Docker host)"))
    for name in cfg.enabled():
        try:
            docker_cpus(cfg.section(name).limits.cpu)
        except ValueError as error:
            errors.append((f"{registry.section(name)}.limits.cpu", str(error)))
    ports = [(name, cfg.section(name).host_port) for name in cfg.enabled() if cfg.section(name).host_port]
    for port in sorted(duplicates([port for _, port in ports])):
        users = ", ".join(name for name, p in ports if p == port)
        errors.append(("common.docker", f"host port {port} is published by more than one service ({users})"))
    return errors, []


# What anyone who reaches the UI can do, for the services without a login of their own.
_UNAUTHENTICATED = {
    "prometheus": "read every metric and run arbitrarily expensive queries",
    "alertmanager": "create silences that mute any alert, and read every alert's labels",
    "jaeger": "read every trace, with whatever request data its spans carry",
}


def _kubernetes(cfg: StackConfig) -> tuple[list[Problem], list[Problem]]:
    """What only the Kubernetes target has: the ingress, and what it exposes."""
    ingress = cfg.common.kubernetes.ingress
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if not ingress.enabled:
        return errors, warnings
    for name, risk in _UNAUTHENTICATED.items():
        if name not in ingress.hosts:
            continue
        message = f"{name} has no authentication: anyone who reaches {ingress.hosts[name]} can {risk}"
        if name in ingress.allow_unauthenticated:
            warnings.append((f"common.kubernetes.ingress.hosts.{name}", message))
        else:
            errors.append(
                (
                    f"common.kubernetes.ingress.hosts.{name}",
                    f"{message}; put authentication in front of it (for example the ingress controller's "
                    f"auth annotations) and list it in common.kubernetes.ingress.allow_unauthenticated",
                )
            )
    if ingress.hosts and not ingress.tls_secret:
        warnings.append(
            (
                "common.kubernetes.ingress.tls_secret",
                "not set: the UIs are served over plain HTTP, so Grafana's login password and session "
                "cookie cross the network in clear",
            )
        )
    return errors, warnings


# What only one target refuses or warns about, by common.target.
_TARGET_CHECKS = {"docker": _docker, "kubernetes": _kubernetes}


def _grafana(cfg: StackConfig, project_root: str) -> list[Problem]:
    if not cfg.grafana.enabled:
        return []
    from .content.dashboards import load_user_dashboards
    from .render.grafana import folder_dir, shipped_dashboards, user_folders

    problems = value_problems(dict(cfg.grafana.env))
    # uid -> where it is: Grafana loads one dashboard of a uid, whichever folder it finds first.
    seen = {
        d["uid"]: f"the shipped dashboard {name}"
        for folder in shipped_dashboards(cfg).values()
        for name, d in folder.items()
    }
    dirs: dict[str, str] = {}
    for folder, (path, directory) in user_folders(cfg).items():
        if folder_dir(folder) in dirs:
            problems.append(
                (path, f"folder {folder!r} is written to the same directory as {dirs[folder_dir(folder)]!r}")
            )
        dirs[folder_dir(folder)] = folder
        try:
            boards = load_user_dashboards(os.path.join(project_root, directory))
        except ValueError as error:
            problems.append((path, str(error)))
            continue
        for name, d in boards.items():
            if d["uid"] in seen:
                problems.append(
                    (path, f"{name}: uid {d['uid']!r} is the uid of {seen[d['uid']]}; Grafana would load only one")
                )
            seen.setdefault(d["uid"], f"{folder}/{name}")
    return problems


def cross_check(cfg: StackConfig, secrets: set[str], project_root: str = ".") -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of a config whose sections each validated on their own."""
    am_errors, am_warnings = _alertmanager(cfg)
    target_errors, target_warnings = _TARGET_CHECKS[cfg.common.target](cfg)
    errors = am_errors + _prometheus(cfg) + _topology(cfg) + target_errors + _grafana(cfg, project_root)
    if cfg.from_packs is None:
        errors.append(
            (
                "content_packs",
                "packs are applied when the config is validated from its sections (configs.load_sections, "
                "or a mapping passed as StackArgs.config); this StackConfig was built without them",
            )
        )
    secret_errors, secret_warnings = secret_problems(cfg, secrets)
    errors += duplicate_problems(cfg) + secret_errors
    return errors, am_warnings + target_warnings + secret_warnings

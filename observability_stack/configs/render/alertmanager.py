"""alertmanager.yml: every secret is referenced through a *_file field, never written into the text.
Those fields, and whether an integration is rendered at all, come from the secret references the
models declare (configs/secret_walk.py), as does the set of files the container receives."""

from __future__ import annotations

from typing import Any

from ..models.alertmanager import DEADMANS_SWITCH, Receiver, Route, TimeInterval, WebhookConfig
from ..models.stack import StackConfig
from ..registry import renders
from ..secret_walk import SecretFields
from .common import RenderContext, command_line, to_yaml


def _route(route: Route) -> dict:
    data: dict = {"receiver": route.receiver}
    if route.matchers:
        data["matchers"] = list(route.matchers)
    if route.continue_:
        data["continue"] = True
    for field in ("group_by", "group_wait", "group_interval", "repeat_interval"):
        value = getattr(route, field)
        if value is not None:
            data[field] = list(value) if isinstance(value, list) else value
    for field in ("active_time_intervals", "mute_time_intervals"):
        if getattr(route, field):
            data[field] = list(getattr(route, field))
    if route.routes:
        data["routes"] = [_route(child) for child in route.routes]
    return data


def _receiver(receiver: Receiver, secrets: SecretFields, email_on: bool) -> dict:
    """Integrations whose secret (or, for e-mail, smarthost) is unset are left out: the receiver stays
    valid, and silent."""
    data: dict = {"name": receiver.name}
    slack = receiver.slack
    files = secrets.of(slack) if slack else None
    if slack and files is not None:
        entry = {**files, "channel": slack.channel, "send_resolved": slack.send_resolved}
        entry.update({k: getattr(slack, k) for k in ("title", "text", "color") if getattr(slack, k) is not None})
        data["slack_configs"] = [entry]
    pd = receiver.pagerduty
    files = secrets.of(pd) if pd else None
    if pd and files is not None:
        entry = {**files, "severity": pd.severity, "send_resolved": pd.send_resolved}
        if pd.description:
            entry["description"] = pd.description
        if pd.details:
            entry["details"] = dict(pd.details)
        if pd.url:
            entry["url"] = pd.url
        data["pagerduty_configs"] = [entry]
    email = receiver.email
    if email and email_on:
        entry = {"to": email.to, "send_resolved": email.send_resolved}
        if email.subject:
            entry["headers"] = {"Subject": email.subject}
        if email.body:
            entry["text"] = email.body
        data["email_configs"] = [entry]
    if receiver.webhook:
        data["webhook_configs"] = [_webhook(receiver.webhook, secrets)]
    return data


def _webhook(hook: WebhookConfig, secrets: SecretFields) -> dict:
    entry: dict = {"url": hook.url, "send_resolved": hook.send_resolved}
    files = secrets.of(hook)
    if files:  # the token's file, as a bearer token
        entry["http_config"] = {"authorization": {"type": "Bearer", **files}}
    return entry


def _deadmans_switch(cfg: StackConfig, secrets: SecretFields) -> tuple[dict, dict]:
    """The Watchdog route, first in the tree, and its receiver (null without a configured webhook)."""
    route = {
        "receiver": DEADMANS_SWITCH,
        "matchers": ['alertname="Watchdog"'],
        "group_wait": "0s",
        "group_interval": "1m",
        "repeat_interval": "1m",
    }
    receiver: dict = {"name": DEADMANS_SWITCH}
    if cfg.alertmanager.deadmans_switch:
        receiver["webhook_configs"] = [_webhook(cfg.alertmanager.deadmans_switch, secrets)]
    return route, receiver


def _time_interval(interval: TimeInterval) -> dict:
    specs = []
    for spec in interval.time_intervals:
        entry = {key: value for key, value in spec.model_dump(exclude_none=True).items() if value != []}
        specs.append(entry)
    return {"name": interval.name, "time_intervals": specs}


def alertmanager_yml(cfg: StackConfig, secret_names: set[str], secret_dir: str) -> dict:
    """`secret_names`: the secrets that are set; `secret_dir`: where the container finds them."""
    am = cfg.alertmanager
    secrets = SecretFields(cfg, secret_names, secret_dir)
    global_: dict = {"resolve_timeout": am.resolve_timeout}
    if am.sends_email:
        smtp = am.smtp
        global_.update(
            {"smtp_smarthost": smtp.smarthost, "smtp_from": smtp.from_, "smtp_require_tls": smtp.require_tls}
        )
        if smtp.auth_username:
            global_["smtp_auth_username"] = smtp.auth_username
        global_.update(secrets.of(smtp) or {})
    route: dict[str, Any] = {
        "receiver": am.receiver,
        "group_by": list(am.group_by),
        "group_wait": am.group_wait,
        "group_interval": am.group_interval,
        "repeat_interval": am.repeat_interval,
    }
    watchdog_route, watchdog_receiver = _deadmans_switch(cfg, secrets)
    route["routes"] = [watchdog_route] + [_route(child) for child in am.routes]
    config = {
        "global": global_,
        "route": route,
        "receivers": [_receiver(r, secrets, am.sends_email) for r in am.receivers] + [watchdog_receiver],
    }
    if am.time_intervals:
        config["time_intervals"] = [_time_interval(t) for t in am.time_intervals]
    if am.inhibit_rules:
        config["inhibit_rules"] = [rule.model_dump(exclude_defaults=False) for rule in am.inhibit_rules]
    return config


@renders("alertmanager")
def render_alertmanager(ctx: RenderContext) -> dict[str, str]:
    return {"alertmanager.yml": to_yaml(alertmanager_yml(ctx.cfg, ctx.secrets, ctx.secret_dir))}


# Silences and the notification log reach the data directory only as snapshots, written on this
# interval and on a clean shutdown. Upstream's 15m default means a SIGKILL, an OOM kill or a lost node
# forgets up to 15 minutes of silences (the alerts page again) and of sent notifications (they are
# sent again); a mesh gets them back from its peers, a lone instance (every Docker deployment) cannot.
# A snapshot is one small file rewritten whole, so once a minute costs next to nothing.
MAINTENANCE_INTERVAL = "1m"


def alertmanager_args(cfg: StackConfig, config_dir: str, data_dir: str, cluster: list[tuple[str, str]]) -> list[str]:
    flags = [
        ("config.file", f"{config_dir}/alertmanager.yml"),
        ("storage.path", data_dir),
        ("data.retention", cfg.alertmanager.retention),
    ]
    # Left to the user's extra_args when they set it: kingpin refuses a flag given twice.
    if not any(arg.startswith("--data.maintenance-interval") for arg in cfg.alertmanager.extra_args):
        flags.append(("data.maintenance-interval", MAINTENANCE_INTERVAL))
    return command_line(flags + cluster, cfg.alertmanager.extra_args)

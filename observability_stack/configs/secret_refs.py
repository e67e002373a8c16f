"""Secrets the config names, checked against the ones set.

A secret name the stack ships (the seed's receivers, `smtp_password`, `grafana_admin_password`) may
be unset on a dev stack: its integration is left out, or a password generated, with a warning. A
name the config writes itself says that integration is wanted: unset, it is an error with its path,
since leaving the integration out would drop what was asked for without a word at deploy time."""

from __future__ import annotations

from .models.stack import StackConfig

Problem = tuple[str, str]


def _hint(secret: str) -> str:
    return f"pulumi config set --secret --path 'observability:secrets.{secret}' ..."


def _receivers(cfg: StackConfig, secrets: set[str]) -> tuple[list[Problem], list[Problem]]:
    am = cfg.alertmanager
    # Receivers the config lists are its own; otherwise they are the shipped ones.
    explicit = am.require_secrets or "receivers" in am.model_fields_set
    missing: dict[str, list[str]] = {}
    for index, receiver in enumerate(am.receivers):
        for field, secret in receiver.secret_names():
            if secret not in secrets:
                missing.setdefault(secret, []).append(f"alertmanager.receivers[{index}].{field}")
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for secret, places in sorted(missing.items()):
        if explicit:
            errors += [(place, f"secret {secret!r} is not set ({_hint(secret)})") for place in places]
        else:
            message = f"secret {secret!r} is not set, so that integration is left out ({_hint(secret)})"
            if len(places) > 1:
                message += f"; also used by {', '.join(places[1:])}"
            warnings.append((places[0], message))
    return errors, warnings


def _named_elsewhere(cfg: StackConfig, secrets: set[str]) -> tuple[list[Problem], list[Problem]]:
    """The SMTP password, the dead man's switch token and Grafana's admin password."""
    am, grafana = cfg.alertmanager, cfg.grafana
    errors: list[Problem] = []
    warnings: list[Problem] = []
    password = am.smtp.auth_password_secret
    if am.sends_email and password and password not in secrets:
        message = f"secret {password!r} is not set; e-mail is sent without SMTP authentication"
        explicit = am.require_secrets or "auth_password_secret" in am.smtp.model_fields_set
        (errors if explicit else warnings).append(("alertmanager.smtp.auth_password_secret", message))
    token = am.deadmans_switch.bearer_token_secret if am.deadmans_switch else None
    if token and token not in secrets:
        errors.append(
            (
                "alertmanager.deadmans_switch.bearer_token_secret",
                f"secret {token!r} is not set: the heartbeat would be sent without it ({_hint(token)})",
            )
        )
    admin = grafana.admin_password_secret
    if grafana.enabled and admin not in secrets:
        if "admin_password_secret" in grafana.model_fields_set:
            errors.append(
                (
                    "grafana.admin_password_secret",
                    f"secret {admin!r} is not set: a random admin password would be generated instead ({_hint(admin)})",
                )
            )
        else:
            warnings.append(
                (
                    "grafana.admin_password_secret",
                    f"secret {admin!r} is not set: a random admin password is "
                    "generated (`pulumi stack output --show-secrets`, or `make password`)",
                )
            )
    return errors, warnings


def _unreferenced(cfg: StackConfig, secrets: set[str]) -> list[Problem]:
    """A secret nothing refers to is likely a misspelt name (the integration that should use it is
    then silently left out)."""
    am = cfg.alertmanager
    referenced = {name for receiver in am.receivers for _, name in receiver.secret_names()}
    referenced |= {am.smtp.auth_password_secret, cfg.grafana.admin_password_secret}
    if am.deadmans_switch and am.deadmans_switch.bearer_token_secret:
        referenced.add(am.deadmans_switch.bearer_token_secret)
    if cfg.loki.storage.type == "s3":
        referenced |= {cfg.loki.storage.s3.access_key_secret, cfg.loki.storage.s3.secret_key_secret}
    return [
        (f"secrets.{name}", "set, but nothing in the stack refers to it (a misspelt secret name?)")
        for name in sorted(secrets - referenced)
    ]


def secret_problems(cfg: StackConfig, secrets: set[str]) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about the secrets the config names."""
    receiver_errors, receiver_warnings = _receivers(cfg, secrets)
    other_errors, other_warnings = _named_elsewhere(cfg, secrets)
    return receiver_errors + other_errors, receiver_warnings + other_warnings + _unreferenced(cfg, secrets)

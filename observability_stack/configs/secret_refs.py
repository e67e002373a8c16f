"""Secrets the config names, checked against the ones set; the names come from the declarations on
the models (models/secret.py), found by secret_walk.py.

A secret name the stack ships (the seed's receivers, `smtp_password`, `grafana_admin_password`) may
be unset on a dev stack: its integration is left out, or a password generated, with a warning. A
name the config writes itself says that integration is wanted: unset, it is an error with its path,
since leaving the integration out would drop what was asked for without a word at deploy time. So is
a shipped name in a section with `require_secrets`, and one declared `required` (nothing can stand
in for an S3 key)."""

from __future__ import annotations

from .models.stack import StackConfig
from .secret_walk import Reference, references

Problem = tuple[str, str]


def _hint(secret: str) -> str:
    return f"pulumi config set --secret --path 'observability:secrets.{secret}' ..."


def _refused(ref: Reference) -> bool:
    return ref.written or ref.ref.required or bool(getattr(ref.section, "require_secrets", False))


def secret_problems(cfg: StackConfig, secrets: set[str]) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about the secrets the config names."""
    refs = list(references(cfg))
    errors: list[Problem] = []
    # A shipped name used in several places (the seed's Slack webhook) is one warning, at its first.
    warned: dict[str, list[str]] = {}
    for ref in refs:
        if not ref.needed or ref.name in secrets:
            continue
        if _refused(ref):
            errors.append((ref.path, ref.ref.error.format(name=ref.name, hint=_hint(ref.name))))
        else:
            warned.setdefault(ref.ref.warning.format(name=ref.name, hint=_hint(ref.name)), []).append(ref.path)
    warnings: list[Problem] = []
    for message, places in warned.items():
        if len(places) > 1:
            message += f"; also used by {', '.join(places[1:])}"
        warnings.append((places[0], message))
    # A secret nothing refers to is likely a misspelt name (the integration that should use it is
    # then silently left out).
    warnings += [
        (f"secrets.{name}", "set, but nothing in the stack refers to it (a misspelt secret name?)")
        for name in sorted(secrets - {ref.name for ref in refs})
    ]
    return errors, warnings

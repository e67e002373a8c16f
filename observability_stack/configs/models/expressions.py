"""PromQL and Go-template syntax, checked when the config is read, so a typo in a rule fails
`pulumi preview` with its config path instead of a Prometheus that refuses its rule file."""

from __future__ import annotations

from typing import Annotated

import promql_parser
from pydantic import AfterValidator

from .gotemplate import check_template


def _promql(value: str) -> str:
    # promql-parser binds the Rust port of Prometheus' own grammar; tests/test_expressions.py checks
    # that it agrees with the pinned promtool on every shipped expression and on broken ones.
    if not value.strip():
        raise ValueError("an empty expression")
    try:
        promql_parser.parse(value)
    except ValueError as error:
        raise ValueError(f"not valid PromQL: {error}") from None
    return value


# text/template's builtins, then each service's own function map (prometheus template/template.go,
# alertmanager template/template.go at the pinned releases): an unknown function fails the parse.
# (Prometheus' `tmpl` exists only in console templates, not in rules.)
_BUILTINS = {
    "and",
    "call",
    "html",
    "index",
    "slice",
    "js",
    "len",
    "not",
    "or",
    "print",
    "printf",
    "println",
    "urlquery",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "ne",
}
PROMETHEUS_FUNCS = _BUILTINS | {
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "args",
    "reReplaceAll",
    "safeHtml",
    "match",
    "title",
    "toUpper",
    "toLower",
    "graphLink",
    "tableLink",
    "sortByLabel",
    "stripPort",
    "stripDomain",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "toDuration",
    "now",
    "pathPrefix",
    "externalURL",
    "parseDuration",
    "urlQueryEscape",
}
ALERTMANAGER_FUNCS = _BUILTINS | {
    "toUpper",
    "toLower",
    "title",
    "trimSpace",
    "join",
    "match",
    "safeHtml",
    "safeUrl",
    "urlUnescape",
    "reReplaceAll",
    "stringSlice",
    "routeLabels",
    "date",
    "tz",
    "now",
    "since",
    "humanizeDuration",
    "toDate",
    "mustToDate",
    "addDuration",
    "toJson",
    "base64encode",
    "base64decode",
    "list",
    "append",
    "dict",
}
# The variables Prometheus defines for rule templates (rules.expandTemplate's preamble).
RULE_VARIABLES = {"labels", "externalLabels", "externalURL", "value"}


def _label_name(value: str) -> str:
    # Prometheus 3 and Alertmanager 0.28+ accept any UTF-8 label name but the empty one; names
    # starting with "__" are reserved for Prometheus' internal labels.
    if not value:
        raise ValueError("an empty label name")
    if value.startswith("__"):
        raise ValueError(f"{value!r}: label names starting with '__' are reserved for Prometheus")
    return value


PromQL = Annotated[str, AfterValidator(_promql)]


def _rule_template(value: str) -> str:
    return check_template(value, PROMETHEUS_FUNCS, RULE_VARIABLES)


def _notification_template(value: str) -> str:
    # Alertmanager defines no variables: $labels, pasted from a rule, fails every notification.
    return check_template(value, ALERTMANAGER_FUNCS)


RuleTemplate = Annotated[str, AfterValidator(_rule_template)]
NotificationTemplate = Annotated[str, AfterValidator(_notification_template)]
LabelName = Annotated[str, AfterValidator(_label_name)]


def _distinct(values: list[str]) -> list[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"label {repeated[0]!r} is listed more than once (Alertmanager refuses it)")
    return values


def _group_by(values: list[str]) -> list[str]:
    if "..." in values and len(values) > 1:
        raise ValueError("'...' groups by every label: it cannot be listed with other labels (Alertmanager refuses it)")
    return _distinct(values)


LabelNames = Annotated[list[LabelName], AfterValidator(_distinct)]
GroupBy = Annotated[list[LabelName], AfterValidator(_group_by)]

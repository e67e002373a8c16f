"""PromQL and Go-template syntax, checked when the config is read, so a typo in a rule fails
`pulumi preview` with its config path instead of a Prometheus that refuses its rule file."""

from __future__ import annotations

import re
from typing import Annotated

import promql_parser
from pydantic import AfterValidator


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


_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.S)
_OPENERS = ("if", "range", "with", "define", "block")
_KEYWORDS = {
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "block",
    "template",
    "break",
    "continue",
    "nil",
    "true",
    "false",
}
# text/template's builtins, then each service's own function map (prometheus template/template.go,
# alertmanager template/template.go at the pinned releases): an unknown function fails the parse.
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
    "tmpl",
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
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _functions(action: str) -> list[str]:
    """The bare identifiers of an action: text/template calls each one as a function."""
    tokens = re.split(r"[\s(),|]+", action)
    return [t for t in tokens if _IDENTIFIER.fullmatch(t) and t not in _KEYWORDS]


def _go_template(value: str, functions: frozenset[str] | set[str] = PROMETHEUS_FUNCS | ALERTMANAGER_FUNCS) -> str:
    """The template errors that make Prometheus and Alertmanager refuse a file: unbalanced {{ }},
    an empty action, unbalanced parentheses or quotes in an action, if/range/with/define/block
    without their {{ end }} (text/template's parser finds more; these are the common slips)."""
    rest = _ACTION.sub("", value)
    if "{{" in rest:
        raise ValueError(f"template {value!r}: an action opened with '{{{{' is never closed")
    depth = 0
    for action in _ACTION.findall(value):
        if action.startswith("/*"):
            continue
        if not action:
            raise ValueError(f"template {value!r}: an empty action '{{{{}}}}'")
        unquoted = re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`', "", action)
        if '"' in unquoted or "`" in unquoted:
            raise ValueError(f"template {value!r}: an unterminated string in {{{{ {action} }}}}")
        if unquoted.count("(") != unquoted.count(")"):
            raise ValueError(f"template {value!r}: unbalanced parentheses in {{{{ {action} }}}}")
        if "}" in unquoted or "{" in unquoted:
            raise ValueError(f"template {value!r}: unexpected brace in {{{{ {action} }}}}")
        unknown = [name for name in _functions(unquoted) if name not in functions]
        if unknown:
            raise ValueError(f"template {value!r}: function {unknown[0]!r} is not defined")
        keyword = unquoted.split()[0] if unquoted.split() else ""
        if keyword in _OPENERS:
            depth += 1
        elif keyword == "end":
            depth -= 1
            if depth < 0:
                raise ValueError(f"template {value!r}: {{{{ end }}}} without an opening if/range/with")
    if depth:
        raise ValueError(f"template {value!r}: if/range/with without its {{{{ end }}}}")
    return value


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
    return _go_template(value, PROMETHEUS_FUNCS)


def _notification_template(value: str) -> str:
    return _go_template(value, ALERTMANAGER_FUNCS)


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

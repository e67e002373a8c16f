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


def _go_template(value: str) -> str:
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
LabelName = Annotated[str, AfterValidator(_label_name)]
GoTemplate = Annotated[str, AfterValidator(_go_template)]

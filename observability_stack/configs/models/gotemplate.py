"""Go text/template syntax, as far as Prometheus and Alertmanager refuse a template when parsing it:
unclosed actions, misplaced comments, block structure, unbalanced parentheses, undefined functions
and undefined variables. tests/test_expressions.py checks each refusal against the pinned promtool."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

_KEYWORDS = {"if", "else", "end", "range", "with", "define", "block", "template", "break", "continue", "nil",
             "true", "false"}  # fmt: skip
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VARIABLE = re.compile(r"\$(\w*)")
_DECLARED = re.compile(r"\$(\w+)\s*(?:,\s*\$(\w+)\s*)?:?=")
_SPACE = " \t\r\n"


def _literal_end(text: str, start: int) -> int:
    """Index just past the string, raw string or character literal opening at `start`, or -1."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        if quote != "`" and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        if quote != "`" and text[i] == "\n":
            return -1
        i += 1
    return -1


def _actions(value: str) -> list[str]:
    """The text of each {{ action }}, trim markers removed; strings may hold '}}'."""
    found, i = [], 0
    while (start := value.find("{{", i)) >= 0:
        j = start + 2
        if value.startswith("-", j) and j + 1 < len(value) and value[j + 1] in _SPACE:
            j += 2  # the trim marker "- "
        k = j
        while k < len(value):
            if value[k] in "\"`'":
                end = _literal_end(value, k)
                if end < 0:
                    raise ValueError(f"template {value!r}: an unterminated string or character")
                k = end
            elif value.startswith("}}", k):
                break
            else:
                k += 1
        else:
            raise ValueError(f"template {value!r}: an action opened with '{{{{' is never closed")
        body = value[j:k]
        if body.endswith("-") and len(body) > 1 and body[-2] in _SPACE:
            body = body[:-2]  # the trim marker " -"
        found.append(body)
        i = k + 2
    return found


def _unquoted(action: str) -> str:
    """The action with every literal replaced by a placeholder operand."""
    out, i = [], 0
    while i < len(action):
        if action[i] in "\"`'":
            i = _literal_end(action, i)
            out.append(" 0 ")
        else:
            out.append(action[i])
            i += 1
    return "".join(out)


def check_template(value: str, functions: AbstractSet[str], variables: AbstractSet[str] = frozenset()) -> str:
    """Refuse what text/template's parser refuses; `variables` are those the caller defines ($labels)."""
    actions = _actions(value)
    declared = {""} | set(variables)
    for action in actions:
        for first, second in _DECLARED.findall(_unquoted(action)):
            declared |= {first, second} - {""}
    stack: list[list] = []  # [keyword, seen a plain else]
    for action in actions:
        body = action.strip(_SPACE)
        if body.startswith("/*") and action.startswith("/*"):
            if not body.endswith("*/"):
                raise ValueError(f"template {value!r}: an unclosed comment")
            continue
        if "/*" in body:
            raise ValueError(f"template {value!r}: a comment must follow '{{{{' directly: {{{{ {body} }}}}")
        if not body:
            raise ValueError(f"template {value!r}: an empty action '{{{{}}}}'")
        plain = _unquoted(body)
        if plain.count("(") != plain.count(")") or re.search(r"\)\s*\(", plain):
            raise ValueError(f"template {value!r}: unbalanced parentheses in {{{{ {body} }}}}")
        if "{" in plain or "}" in plain:
            raise ValueError(f"template {value!r}: unexpected brace in {{{{ {body} }}}}")
        tokens = [t for t in re.split(r"[\s(),|]+", plain) if t]
        unknown = [t for t in tokens if _IDENTIFIER.fullmatch(t) and t not in _KEYWORDS and t not in functions]
        if unknown:
            raise ValueError(f"template {value!r}: function {unknown[0]!r} is not defined")
        undefined = [f"${name}" for name in _VARIABLE.findall(plain) if name not in declared]
        if undefined:
            raise ValueError(f"template {value!r}: undefined variable {undefined[0]}")
        keyword = tokens[0] if tokens else ""
        if keyword in ("if", "range", "with", "define", "block"):
            if len(tokens) < 2:
                raise ValueError(f"template {value!r}: missing value for {keyword}")
            stack.append([keyword, False])
        elif keyword == "else":
            if not stack or stack[-1][0] not in ("if", "range", "with") or stack[-1][1]:
                raise ValueError(f"template {value!r}: an {{{{ else }}}} with no if/range/with open before it")
            if len(tokens) == 1:
                stack[-1][1] = True
        elif keyword == "end":
            if not stack:
                raise ValueError(f"template {value!r}: {{{{ end }}}} without an opening if/range/with")
            stack.pop()
        elif keyword in ("break", "continue") and not any(entry[0] == "range" for entry in stack):
            raise ValueError(f"template {value!r}: {{{{ {keyword} }}}} outside a range")
    if stack:
        raise ValueError(f"template {value!r}: {stack[-1][0]} without its {{{{ end }}}}")
    return value

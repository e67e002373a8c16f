"""Alloy's configuration syntax, written from data: blocks, attributes and values, never assembled
by hand. `parse` reads the same syntax back (blocks, attributes, literals, lists, objects,
references, calls and `+`), so the tests can hold a rendered file to its grammar."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Expr:
    """An expression written as is: a component export (`discovery.docker.containers.targets`) or a
    call (`sys.env("HOSTNAME")`)."""

    text: str


@dataclass
class Block:
    name: str  # e.g. "discovery.relabel", "rule", "stage.cri"
    label: str | None = None
    body: list[tuple[str, Any] | Block] = field(default_factory=list)


def _value(value: Any, indent: str) -> str:
    if isinstance(value, Expr):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)  # Go's escapes: \" \\ \n \t \uXXXX
    if isinstance(value, list):
        return "[" + ", ".join(_value(item, indent) for item in value) + "]"
    if isinstance(value, dict):
        inner = indent + "  "
        items = [
            f"{inner}{key if _IDENT.fullmatch(key) else json.dumps(key)} = {_value(item, inner)},"
            for key, item in value.items()
        ]
        return "{\n" + "\n".join(items) + f"\n{indent}}}"
    raise TypeError(f"no Alloy form for {value!r}")


def _block(block: Block, indent: str) -> list[str]:
    head = block.name + (f" {json.dumps(block.label)}" if block.label is not None else "")
    lines = [f"{indent}{head} {{"]
    inner = indent + "  "
    for item in block.body:
        if isinstance(item, Block):
            lines += _block(item, inner)
        else:
            key, value = item
            lines.append(f"{inner}{key} = {_value(value, inner)}")
    lines.append(f"{indent}}}")
    return lines


def render(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        out += _block(block, "") + [""]
    return "\n".join(out)


# ---- reading it back -----------------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<comment>//[^\n]*)|(?P<string>"(?:[^"\\\n]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?)'
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|(?P<punct>[{}\[\]()=,+]))"
)


class SyntaxProblem(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SyntaxProblem(f"unexpected input at offset {pos}: {text[pos : pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "comment":
            tokens.append((kind, match.group(kind)))
    return tokens


# What `peek` gives past the last token: no value or name matches it.
END = ("end", "")


class _Parser:
    def __init__(self, text: str):
        self.tokens, self.i = _tokens(text), 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        """The next token, or END past the last one."""
        return self.tokens[self.i + offset] if self.i + offset < len(self.tokens) else END

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        token = self.peek()
        if token == END or (value is not None and token[1] != value) or (kind is not None and token[0] != kind):
            raise SyntaxProblem(f"expected {value or kind}, found {token}")
        self.i += 1
        return token[1]

    def body(self, closing: str | None) -> list[tuple[str, Any] | Block]:
        items: list[tuple[str, Any] | Block] = []
        while (token := self.peek()) != END and token[1] != closing:
            name = self.take(kind="ident")
            if self.peek()[1] == "=":
                if "." in name:
                    raise SyntaxProblem(f"attribute name {name!r} has a dot")
                self.take("=")
                items.append((name, self.expr()))
            else:
                label = json.loads(self.take(kind="string")) if self.peek()[0] == "string" else None
                self.take("{")
                items.append(Block(name, label, self.body("}")))
                self.take("}")
        return items

    def expr(self) -> Any:
        value = self.operand()
        while self.peek()[1] == "+":
            self.take("+")
            value = Expr(f"{_value(value, '')} + {_value(self.operand(), '')}")
        return value

    def operand(self) -> Any:
        kind, text = self.peek()
        if kind == "string":
            self.i += 1
            return json.loads(text)
        if kind == "number":
            self.i += 1
            return json.loads(text)
        if text == "[":
            self.take("[")
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("]")
            return items
        if text == "{":
            self.take("{")
            obj = {}
            while self.peek()[1] != "}":
                key_kind, key = self.peek()
                self.i += 1
                self.take("=")
                obj[json.loads(key) if key_kind == "string" else key] = self.expr()
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("}")
            return obj
        if kind == "ident":
            self.i += 1
            if text in ("true", "false"):
                return text == "true"
            if self.peek()[1] == "(":
                self.take("(")
                args = []
                while self.peek()[1] != ")":
                    args.append(self.expr())
                    if self.peek()[1] == ",":
                        self.take(",")
                self.take(")")
                return Expr(f"{text}({', '.join(_value(a, '') for a in args)})")
            return Expr(text)
        raise SyntaxProblem(f"expected a value, found {self.peek()}")


def parse(text: str) -> list[Block]:
    """The top-level blocks of an Alloy file; raises SyntaxProblem on anything else."""
    parser = _Parser(text)
    items = parser.body(None)
    if parser.peek() != END:
        raise SyntaxProblem(f"trailing input: {parser.peek()}")
    attributes = [item for item in items if not isinstance(item, Block)]
    if attributes:
        raise SyntaxProblem(f"attributes outside a block: {attributes}")
    return [item for item in items if isinstance(item, Block)]

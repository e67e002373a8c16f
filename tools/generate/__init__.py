"""Generators of checked-in files (the API and config references, provider_types.py); tests keep each current."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def write_or_check(out: Path, text: str, module: str, argv: list[str]) -> int:
    """Write `text` to `out`, or with --check exit 1 when `out` differs (how CI finds a stale file)."""
    if "--check" in argv:
        if not out.exists() or out.read_text() != text:
            print(f"{out.relative_to(ROOT)} is stale: run python -m {module}", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return 0

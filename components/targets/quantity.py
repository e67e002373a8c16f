"""Kubernetes quantities converted for Docker's flags."""
from __future__ import annotations

import re

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "": 1}


def memory_mb(quantity: str) -> int:
    number, unit = re.match(r"^(\d+(?:\.\d+)?)(\D*)$", quantity).groups()
    factor = _BINARY.get(unit) or _DECIMAL.get(unit, 1)
    return max(6, int(float(number) * factor / 2**20))  # Docker refuses less than 6 MB


def cpus(quantity: str) -> str:
    if quantity.endswith("m"):
        return f"{int(quantity[:-1]) / 1000:g}"
    return f"{float(quantity):g}"

"""The upstream binaries the checks run: the releases the stack deploys, built by `make engine`.

promtool, prometheus and amtool come from tools/engine/build.py (Prometheus v3.16.0, Alertmanager
v0.35.0 modules), and Jaeger v2.13.0 (its module v1.76.0; the newest that builds from a module). The Alertmanager server alone is Debian's: from v0.32 on its module lacks the UI
assets it embeds, so no newer one builds here. A missing binary fails the test, never skips it."""
from __future__ import annotations

import shutil

import pytest

from tools.engine import build

BUILT = ("promtool", "prometheus", "amtool", "jaeger")


def tool(name: str) -> str:
    if name in BUILT:
        path = build.BIN / name
        if not path.exists():
            pytest.fail(f"{path} is not built: run `make engine` (make test does)")
        return str(path)
    for candidate in (name, "prometheus-alertmanager" if name == "alertmanager" else None):
        if candidate and (found := shutil.which(candidate)):
            return found
    pytest.fail(f"{name} is not installed (CI installs Debian's prometheus-alertmanager)")

"""The upstream binaries the checks run, all built by `make engine` (tools/engine/build.py).

promtool, prometheus and amtool are the releases the stack deploys (Prometheus v3.16.0, Alertmanager
v0.35.0). The Alertmanager server is v0.31.1: from v0.32 on its module lacks the UI assets the server
embeds, so that is the newest that builds from a module. Jaeger is v2.13.0 (its module v1.76.0, the
newest v2 tag that is a valid module version). A missing binary fails the test, never skips it."""

from __future__ import annotations

import pytest

from tools.engine import build

BUILT = ("promtool", "prometheus", "amtool", "alertmanager", "jaeger", "node_exporter")


def tool(name: str) -> str:
    if name not in BUILT:
        raise ValueError(f"{name}: not one of the built upstream tools {BUILT}")
    path = build.BIN / name
    if not path.exists():
        pytest.fail(f"{path} is not built: run `make engine` (make test does)")
    return str(path)

"""The rendered Jaeger v2 config, run by a real Jaeger: a span sent over OTLP/HTTP comes back through
the query API, and the health check answers where the container's health check asks.

The binary is built from the Jaeger module by `make engine` (module v1.76.0 is Jaeger v2.13.0, the
newest v2 release that is a valid module version; the image the stack deploys is newer). Listeners
are moved to free loopback ports; every other line of the rendered file is used as it is."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import yaml
from e2e_helpers import free_port, wait_until
from upstream import tool

from observability_stack.configs.load import load
from observability_stack.configs.render.common import PORTS
from observability_stack.configs.render.jaeger import jaeger_yml

LISTENERS = {  # (path into the config, the port it must not collide on)
    ("extensions", "healthcheckv2", "http"): "health",
    ("extensions", "jaeger_query", "http"): "query",
    ("receivers", "otlp", "protocols", "grpc"): "otlp_grpc",
    ("receivers", "otlp", "protocols", "http"): "otlp_http",
}


@pytest.fixture(params=["memory", "badger"])
def jaeger(request, tmp_path):
    cfg, _, _ = load({"observability:jaeger": {"storage": request.param}})
    config = jaeger_yml(cfg)
    ports = {name: free_port() for name in LISTENERS.values()}
    for path, name in LISTENERS.items():
        node = config
        for key in path:
            node = node[key]
        node["endpoint"] = f"127.0.0.1:{ports[name]}"
    readers = config["service"]["telemetry"]["metrics"]["readers"]
    readers[0]["pull"]["exporter"]["prometheus"].update(host="127.0.0.1", port=free_port())
    if request.param == "badger":
        badger = config["extensions"]["jaeger_storage"]["backends"]["traces"]["badger"]
        assert badger["directories"]["keys"].startswith("/badger")  # the container's volume
        badger["directories"] = {"keys": str(tmp_path / "keys"), "values": str(tmp_path / "values")}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    log = open(tmp_path / "jaeger.log", "wb")
    process = subprocess.Popen(
        [tool("jaeger"), "--config", f"file:{path}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    try:
        yield ports, lambda: (tmp_path / "jaeger.log").read_text(errors="replace")[-4000:]
    finally:
        process.terminate()
        process.wait(timeout=30)


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return None, b""


def test_a_span_goes_in_over_otlp_and_comes_back_through_the_query_api(jaeger):
    ports, log = jaeger
    # The container health check: GET /status on the health port (observability_stack/components/jaeger.py).
    assert PORTS["jaeger_health"] == 13133
    wait_until(lambda: _get(f"http://127.0.0.1:{ports['health']}/status")[0] == 200, 60, "Jaeger's health check", log)
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    now = time.time_ns()
    payload = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "roundtrip-test"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "name": "checkout",
                                "kind": 2,
                                "startTimeUnixNano": str(now - 5_000_000),
                                "endTimeUnixNano": str(now),
                            }
                        ]
                    }
                ],
            }
        ]
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{ports['otlp_http']}/v1/traces",
        method="POST",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200

    def found():
        status, body = _get(f"http://127.0.0.1:{ports['query']}/api/traces/{trace_id}")
        return json.loads(body) if status == 200 else None

    # The batch processor flushes within its default timeout (200 ms).
    trace = wait_until(found, 30, "the span in the query API", log)
    (data,) = trace["data"]
    (span,) = data["spans"]
    assert data["traceID"] == trace_id and span["spanID"] == span_id and span["operationName"] == "checkout"
    assert data["processes"][span["processID"]]["serviceName"] == "roundtrip-test"
    status, body = _get(f"http://127.0.0.1:{ports['query']}/api/services")
    assert status == 200 and "roundtrip-test" in json.loads(body)["data"]

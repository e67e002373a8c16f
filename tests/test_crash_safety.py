"""Crash safety with real processes (issue 22, item 3): SIGKILL, then a restart on the same data
directory, with the rendered files and the arguments the Docker target passes (a lone instance each).

- Prometheus: the WAL gets every committed scrape to the OS before the next one (tsdb/wlog flushes the
  page at the end of each commit, no fsync), so a killed process loses nothing the kernel has.
- Alertmanager: silences and the notification log reach disk only as snapshots, on
  --data.maintenance-interval and at a clean shutdown. Upstream's 15m default loses both to a SIGKILL
  (shown here); the stack passes 1m (configs/render/alertmanager.py), set to 1s here through
  `alertmanager.extra_args`, the override users have, to see a snapshot taken within the test.
- Jaeger with badger storage (the stack's `jaeger.storage: badger`; memory keeps nothing by design).
Speed: scrape interval 1s, the test route's group_wait 1s. Listeners on loopback ports.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import yaml
from e2e_helpers import HttpReceiver, MetricsEndpoint, binary, free_port, wait_until
from ha_helpers import WAIT, Replica, active_silences, answers, loopback_args, loopback_prometheus_yml, post, silence

from observability_stack.configs.load import load
from observability_stack.configs.render.alertmanager import MAINTENANCE_INTERVAL, alertmanager_args
from observability_stack.configs.render.common import CONFIG_DIRS, DATA_DIRS
from observability_stack.configs.render.files import service_files
from observability_stack.configs.render.jaeger import jaeger_args, jaeger_yml
from observability_stack.configs.render.prometheus import prometheus_args

pytestmark = pytest.mark.e2e

OFF = ("alertmanager", "grafana", "loki", "promtail", "jaeger", "node_exporter", "cadvisor")
GRACE = 2.0  # > the test route's group_wait + group_interval: a second notification is in by then


def _only(*services: str, **sections) -> dict:
    config = {f"observability:{s}": {"enabled": False} for s in OFF if s not in services}
    return config | {f"observability:{name}": value for name, value in sections.items()}


def _write(files: dict[str, str], directory) -> None:
    for relative, content in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(content)


def _samples(url: str, metric: str, at: float) -> list[tuple[float, int]]:
    """Every raw sample of `metric` in the 10 minutes before `at` (a range selector: no resampling)."""
    (series,) = answers(f"{url}/api/v1/query?query={quote(metric + '[10m]')}&time={at}")["data"]["result"]
    return [(float(t), int(v)) for t, v in series["values"]]


def test_prometheus_keeps_every_committed_scrape_across_a_sigkill(tmp_path):
    served: list[float] = []  # wall time of each scrape answered; the counter's value is its number

    def render(scrape: int) -> str:
        served.append(time.time())
        return f"crash_ingest_total {scrape}\n"

    endpoint = MetricsEndpoint(render)
    job = {"job_name": "ingest", "targets": [f"127.0.0.1:{endpoint.port}"]}
    cfg, secrets, _ = load(_only(prometheus={"scrape_interval": "1s", "scrape_jobs": [job]}))
    port = free_port()
    files = service_files(cfg, "prometheus", secrets.names())
    files["prometheus.yml"] = loopback_prometheus_yml(files["prometheus.yml"], {"prometheus:9090": f"127.0.0.1:{port}"})
    _write(files, tmp_path / "config")
    url = f"http://127.0.0.1:{port}"
    args = [*prometheus_args(cfg, str(tmp_path / "config"), str(tmp_path / "data")), f"--web.listen-address={url[7:]}"]
    prom = Replica("prometheus", [binary("prometheus"), *args], tmp_path)
    try:
        prom.wait_ready(f"{url}/-/ready", WAIT)

        def committed():  # the newest scrape is in the head, so its WAL record has been written
            result = answers(f"{url}/api/v1/query?query=crash_ingest_total")
            value = result and result["data"]["result"] and int(result["data"]["result"][0]["value"][1])
            return value if value and value >= 8 and value == len(served) else None

        confirmed = wait_until(committed, WAIT, "8 scrapes ingested", prom.tail)
        prom.kill()
        killed_at, served_before_kill = time.time(), len(served)
        prom.start()
        prom.wait_ready(f"{url}/-/ready", WAIT)  # ready once the WAL is replayed
        kept = _samples(url, "crash_ingest_total", killed_at)
    finally:
        prom.stop()
        endpoint.stop()
    values = [v for _, v in kept]
    # Every scrape up to the last one confirmed, in order, none twice; one answered in the instant
    # of the kill may or may not have been committed.
    assert values == list(range(1, len(values) + 1)), values
    assert confirmed <= len(values) <= served_before_kill, (confirmed, len(values), served_before_kill)
    for (stamp, value), answered in zip(kept, served, strict=False):
        assert abs(stamp - answered) < 1.0, (value, stamp, answered)  # the scrape's own timestamp
    print(f"prometheus: {len(values)} of {served_before_kill} scrapes kept ({confirmed} confirmed before SIGKILL)")


def _alertmanager(tmp_path, name: str, http: HttpReceiver, extra_args: list[str], drop: str = "") -> Replica:
    """A lone Alertmanager on the rendered files and the Docker target's arguments, less `drop`."""
    route = {"receiver": name, "matchers": ['alertname="CrashDrill"'], "group_wait": "1s", "repeat_interval": "1h"}
    receivers = [{"name": "default"}, {"name": name, "webhook": {"url": f"{http.url}/{name}", "send_resolved": False}}]
    am = {"receivers": receivers, "routes": [route], "extra_args": extra_args}
    cfg, secrets, _ = load(_only("alertmanager", alertmanager=am))
    config, data = tmp_path / f"{name}-config", tmp_path / f"{name}-data"
    _write(service_files(cfg, "alertmanager", secrets.names()), config)
    args = alertmanager_args(cfg, str(config), str(data), [("cluster.listen-address", "")])  # as the Docker target
    args = [a for a in args if a != drop]
    port = free_port()
    replica = Replica(name, [binary("alertmanager"), *args, f"--web.listen-address=127.0.0.1:{port}"], tmp_path)
    replica.url, replica.data = f"http://127.0.0.1:{port}", data
    return replica


def _push(url: str) -> None:
    """The alert as Prometheus sends (and, while it fires, resends) it."""
    now = datetime.now(UTC)
    alert = {"labels": {"alertname": "CrashDrill"}, "startsAt": now.isoformat()}
    alert["endsAt"] = (now + timedelta(hours=1)).isoformat()
    request = urllib.request.Request(
        f"{url}/api/v2/alerts", json.dumps([alert]).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(request, timeout=5).close()


def _snapshot_holds(data, silence_id: str) -> bool:
    files = {name: data / name for name in ("silences", "nflog")}
    if not all(f.exists() for f in files.values()):
        return False
    return silence_id.encode() in files["silences"].read_bytes() and b"CrashDrill" in files["nflog"].read_bytes()


def test_the_stack_sets_the_maintenance_interval_unless_the_user_does():
    def flags(extra_args: list[str]) -> list[str]:
        cfg, _, _ = load({"observability:alertmanager": {"extra_args": extra_args}})
        return [a for a in alertmanager_args(cfg, "/c", "/d", []) if a.startswith("--data.maintenance-interval")]

    assert flags([]) == [f"--data.maintenance-interval={MAINTENANCE_INTERVAL}"] == ["--data.maintenance-interval=1m"]
    assert flags(["--data.maintenance-interval=5m"]) == ["--data.maintenance-interval=5m"]


def test_alertmanager_state_survives_a_sigkill_once_snapshotted(tmp_path):
    http = HttpReceiver()
    # `upstream`: the stack's arguments without its maintenance flag (upstream's 15m default);
    # `stack`: the user's extra_args setting it to 1s, in place of the stack's 1m.
    ams = {
        "upstream": _alertmanager(
            tmp_path, "upstream", http, [], drop=f"--data.maintenance-interval={MAINTENANCE_INTERVAL}"
        ),
        "stack": _alertmanager(tmp_path, "stack", http, ["--data.maintenance-interval=1s"]),
    }

    def sent(name: str) -> list[dict]:
        return [body for path, body in list(http.requests) if path == f"/{name}"]

    try:
        silences = {}
        for name, am in ams.items():
            am.wait_ready(f"{am.url}/-/ready", WAIT)
            _push(am.url)
            wait_until(lambda am=am: sent(am.name), WAIT, f"the {name} Alertmanager's notification")
            silences[name] = silence(am.url, {"alertname": "Silenced"})
        stack = ams["stack"]
        wait_until(lambda: _snapshot_holds(stack.data, silences["stack"]), WAIT, "a snapshot of both", stack.tail)
        for am in ams.values():
            am.kill()
            am.start()
            am.wait_ready(f"{am.url}/-/ready", WAIT)
            _push(am.url)
        flushed = time.monotonic() + 1  # the route's group_wait: the stack's group has been decided
        # The group is new to a process that lost its log: the upstream default notifies again.
        wait_until(lambda: len(sent("upstream")) == 2, WAIT, "upstream's second notification", http.describe)
        wait_until(lambda: time.monotonic() > max(http.last, flushed) + GRACE, WAIT, "a quiet webhook")
        assert len(sent("stack")) == 1, http.describe()
        assert silences["stack"] in active_silences(stack.url)
        upstream = ams["upstream"]
        assert silences["upstream"] not in active_silences(upstream.url) and not (upstream.data / "silences").exists()
    finally:
        for am in ams.values():
            am.stop()
        http.stop()


LISTENERS = {  # where each listener is in the rendered config
    "health": ("extensions", "healthcheckv2", "http"),
    "query": ("extensions", "jaeger_query", "http"),
    "otlp_grpc": ("receivers", "otlp", "protocols", "grpc"),
    "otlp_http": ("receivers", "otlp", "protocols", "http"),
}


def _span(trace_id: str) -> dict:
    now = time.time_ns()
    span = {"traceId": trace_id, "spanId": secrets.token_hex(8), "name": "checkout", "kind": 2}
    span |= {"startTimeUnixNano": str(now - 5_000_000), "endTimeUnixNano": str(now)}
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "crash-test"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}


def test_jaeger_badger_keeps_a_stored_span_across_a_sigkill(tmp_path):
    cfg, _, _ = load({"observability:jaeger": {"storage": "badger"}})
    config = jaeger_yml(cfg)
    ports = {name: free_port() for name in LISTENERS}
    for name, path in LISTENERS.items():
        node = config
        for key in path:
            node = node[key]
        node["endpoint"] = f"127.0.0.1:{ports[name]}"
    config["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"].update(
        host="127.0.0.1", port=free_port()
    )
    badger = config["extensions"]["jaeger_storage"]["backends"]["traces"]["badger"]
    data = DATA_DIRS["jaeger"]
    badger["directories"] = {k: v.replace(data, str(tmp_path / "badger"), 1) for k, v in badger["directories"].items()}
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    args = loopback_args(
        jaeger_args(cfg, CONFIG_DIRS["jaeger"]), {}, {}, {CONFIG_DIRS["jaeger"]: str(tmp_path / "config")}
    )
    jaeger = Replica("jaeger", [binary("jaeger"), *args], tmp_path, {"HOME": str(tmp_path)})
    health, query = f"http://127.0.0.1:{ports['health']}/status", f"http://127.0.0.1:{ports['query']}"
    trace_id = secrets.token_hex(16)

    def stored():
        found = answers(f"{query}/api/traces/{trace_id}")
        return found and found["data"]

    try:
        jaeger.wait_ready(health, 60)
        post(f"http://127.0.0.1:{ports['otlp_http']}/v1/traces", _span(trace_id))
        wait_until(stored, WAIT, "the span in badger", jaeger.tail)  # past the batch processor
        jaeger.kill()
        jaeger.start()
        jaeger.wait_ready(health, 60)
        (trace,) = wait_until(stored, WAIT, "the span after the restart", jaeger.tail)
    finally:
        jaeger.stop()
    assert trace["traceID"] == trace_id and len(trace["spans"]) == 1

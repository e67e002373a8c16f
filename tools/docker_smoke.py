"""Replays the Docker target's recorded containers against a real Docker Engine, through the Engine
API calls pulumi-docker makes (create, upload the files as one tar archive with owner and mode,
start, wait for the health check), then checks what a user relies on.

Images: by default the local images of tools/images.py, built from the engine's pinned binaries;
`--image service=ref` runs another (e.g. an upstream image the engine has).

    python -m tools.images && python -m tools.docker_smoke prometheus alertmanager jaeger

Checks, for the services given: every container healthy within the provider's wait timeout; every
Prometheus rule group evaluated without error; Prometheus sees the Alertmanager; Alertmanager loaded
its config with the business-hours time interval; the always-firing Watchdog reaches a webhook sink
on the host through Prometheus and Alertmanager; secret files have the recorded mode and owner as
seen from inside the container; Prometheus' data survives the replacement of its container.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from observability_stack.configs.docker_forms import cpus_read_back, duration_ns, go_duration
from observability_stack.configs.load import from_stack_file
from tools.docker_api import Engine, EngineError
from tools.images import local_images
from tools.mockrun import ROOT, run_program

PREFIX = "obs-smoke"
SECRETS = {
    "slack_webhook_url": "http://127.0.0.1:9/slack",
    "security_slack_webhook": "http://127.0.0.1:9/sec",
    "pagerduty_routing_key": "smoke-key",
    "smtp_password": "smoke-password",
}


def archive(uploads: list[dict]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for upload in uploads:
            data = (
                base64.b64decode(upload["contentBase64"]) if "contentBase64" in upload else upload["content"].encode()
            )
            info = tarfile.TarInfo(upload["file"].lstrip("/"))
            info.size, info.mode = len(data), int(upload.get("permissions", "0644"), 8)
            info.uid, info.gid = int(upload.get("owner", 0)), int(upload.get("group", 0))
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create_body(inputs: dict, image: str) -> dict:
    """The Engine API's create request for the recorded container inputs, as the provider builds it."""
    health = inputs["healthcheck"]
    binds = [
        f"{v.get('volumeName') or v['hostPath']}:{v['containerPath']}{':ro' if v.get('readOnly') else ''}"
        for v in inputs.get("volumes", [])
    ]
    ports = inputs.get("ports", [])
    host = {
        "Binds": binds,
        "Memory": inputs["memory"] * 2**20,
        "MemorySwap": inputs.get("memorySwap", 0) * 2**20,
        "MemoryReservation": inputs.get("memoryReservation", 0) * 2**20,
        "NanoCpus": round(float(inputs["cpus"]) * 1e9),
        "CapDrop": inputs.get("capabilities", {}).get("drops", []),
        "CapAdd": inputs.get("capabilities", {}).get("adds", []),
        "SecurityOpt": inputs.get("securityOpts", []),
        "LogConfig": {"Type": inputs.get("logDriver", "json-file"), "Config": inputs.get("logOpts", {})},
        "RestartPolicy": {"Name": inputs["restart"]},
        "ReadonlyRootfs": bool(inputs.get("readOnly")),
        "Tmpfs": inputs.get("tmpfs") or {},
        "PortBindings": {
            f"{p['internal']}/{p['protocol']}": [{"HostIp": p["ip"], "HostPort": str(p["external"])}] for p in ports
        },
        # The provider creates on the default bridge (network_mode's default), then disconnects it
        # and connects each networks_advanced entry with its aliases.
        "NetworkMode": inputs.get("networkMode", "bridge"),
        "PidMode": inputs.get("pidMode", ""),
    }
    return {
        "Image": image,
        "Cmd": inputs.get("command") or None,
        "Entrypoint": inputs.get("entrypoints") or None,
        "User": inputs["user"],
        "Env": inputs.get("envs", []),
        "Labels": {label["label"]: label["value"] for label in inputs.get("labels", [])},
        "ExposedPorts": {f"{p['internal']}/{p['protocol']}": {} for p in ports},
        "Healthcheck": {
            "Test": health["tests"],
            "Interval": duration_ns(health["interval"]),
            "Timeout": duration_ns(health["timeout"]),
            "StartPeriod": duration_ns(health["startPeriod"]),
            "Retries": health["retries"],
        },
        "HostConfig": host,
    }


class Sink:
    """A webhook receiver on every host address, reachable from the containers through their gateway."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                bodies.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@dataclass
class Smoke:
    engine: Engine
    network: str
    containers: dict[str, dict]  # service -> recorded inputs
    images: dict[str, str]
    sink: Sink
    started: list[str] = field(default_factory=list)

    def run(self, service: str) -> None:
        inputs = self.containers[service]
        name = inputs["name"]
        self.engine.remove(name)
        container = self.engine.create(name, create_body(inputs, self.images[service]))
        self.engine.call("POST", "/networks/bridge/disconnect", {"Container": container, "Force": False})
        for network in inputs["networksAdvanced"]:
            assert network["name"] == self.network, network
            self.engine.call(
                "POST",
                f"/networks/{self.network}/connect",
                {"Container": container, "EndpointConfig": {"Aliases": network.get("aliases", [])}},
            )
        self.engine.upload(container, archive(inputs["uploads"]))
        self.engine.start(container)
        if name not in self.started:
            self.started.append(name)

    def wait_healthy(self, service: str) -> None:
        inputs = self.containers[service]
        deadline = time.time() + inputs["waitTimeout"]
        status = ""
        while time.time() < deadline:
            state = self.engine.inspect(inputs["name"])["State"]
            status = state.get("Health", {}).get("Status", "")
            if status == "healthy":
                return
            if status == "unhealthy" or state["Status"] == "exited":
                break
            time.sleep(1)
        raise AssertionError(f"{inputs['name']}: {status or 'no health status'}\n{self.engine.logs(inputs['name'])}")

    def url(self, service: str, port: int) -> str:
        networks = self.engine.inspect(self.containers[service]["name"])["NetworkSettings"]["Networks"]
        return f"http://{networks[self.network]['IPAddress']}:{port}"

    def get(self, service: str, port: int, path: str):
        with urllib.request.urlopen(self.url(service, port) + path, timeout=10) as response:
            return json.load(response)


def _until(check: Callable[[], object], timeout: float, what: str):
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError, KeyError) as error:
            last = error
        time.sleep(1)
    raise AssertionError(
        f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last})" if last else "")
    )


# ---- what a user relies on ------------------------------------------------------------------


def check_rules_evaluate(smoke: Smoke) -> str:
    def evaluated():
        groups = smoke.get("prometheus", 9090, "/api/v1/rules")["data"]["groups"]
        return groups if all(not g["lastEvaluation"].startswith("0001") for g in groups) else None

    groups = _until(evaluated, 150, "every rule group to be evaluated")
    broken = [(r["name"], r["lastError"]) for g in groups for r in g["rules"] if r["health"] == "err"]
    assert not broken, broken
    return f"{len(groups)} rule groups evaluated, none in error"


def check_prometheus_sees_alertmanager(smoke: Smoke) -> str:
    active = _until(
        lambda: smoke.get("prometheus", 9090, "/api/v1/alertmanagers")["data"]["activeAlertmanagers"],
        60,
        "an active Alertmanager",
    )
    urls = [a["url"] for a in active]
    assert any("alertmanager:9093" in url for url in urls), urls
    return f"active: {', '.join(urls)}"


def check_alertmanager_config(smoke: Smoke) -> str:
    status = smoke.get("alertmanager", 9093, "/api/v2/status")
    original = status["config"]["original"]
    assert "business_hours" in original and "America/New_York" in original, original[:400]
    return f"config loaded (version {status['versionInfo']['version']}), business_hours interval in it"


def check_watchdog_reaches_sink(smoke: Smoke) -> str:
    arrived = _until(
        lambda: [
            body
            for path, body in smoke.sink.bodies
            if path == "/deadmans" and any(a["labels"].get("alertname") == "Watchdog" for a in body.get("alerts", []))
        ],
        150,
        "the Watchdog at the webhook sink",
    )
    return f"Watchdog delivered {len(arrived)} time(s) to the dead man's switch webhook"


def check_secret_files(smoke: Smoke) -> str:
    seen = []
    for service, inputs in smoke.containers.items():
        if inputs["name"] not in smoke.started:
            continue
        for upload in inputs["uploads"]:
            if not upload["file"].startswith("/run/secrets/"):
                continue
            code, out = smoke.engine.exec(inputs["name"], ["stat", "-c", "%a %u %g", upload["file"]])
            expected = f"{int(upload['permissions'], 8):o} {upload.get('owner', '0')} {upload.get('group', '0')}"
            assert code == 0 and out.strip() == expected, (upload["file"], out, expected)
            code, _ = smoke.engine.exec(inputs["name"], ["cat", upload["file"]])
            assert code == 0, f"{service} cannot read {upload['file']} as {inputs['user']}"
            seen.append(upload["file"])
    if not seen:
        return "no secret files in the services run"
    return f"{len(seen)} secret files: recorded mode and owner, readable by the service's user"


def check_prometheus_data_survives_replacement(smoke: Smoke) -> str:
    def scraped():
        data = smoke.get("prometheus", 9090, "/api/v1/query?query=up")["data"]["result"]
        return data[0]["value"][0] if data else None

    at = _until(scraped, 60, "a first scrape")
    smoke.run("prometheus")  # as a replace does: the container goes, the named volume stays
    smoke.wait_healthy("prometheus")
    result = _until(
        lambda: smoke.get("prometheus", 9090, f"/api/v1/query?query=up&time={at}")["data"]["result"],
        60,
        "the samples scraped before the replacement",
    )
    return f"{len(result)} `up` samples from before the replacement are still there"


def read_back(container: dict) -> dict:
    """What the provider's Read stores from the engine's view of a container, for the fields it
    compares with the program's inputs (resource_docker_container_funcs.go, resourceDockerContainerRead)."""
    host, config = container["HostConfig"], container["Config"]
    health = config["Healthcheck"]
    return {
        "cpus": cpus_read_back(host["NanoCpus"]),
        "memory": host["Memory"] // 2**20,
        "memoryReservation": host["MemoryReservation"] // 2**20,
        "memorySwap": host["MemorySwap"] // 2**20 if host["MemorySwap"] > 0 else host["MemorySwap"],
        "healthcheck": {
            "tests": health["Test"],
            "interval": go_duration(f"{health['Interval']}ns"),
            "timeout": go_duration(f"{health['Timeout']}ns"),
            "startPeriod": go_duration(f"{health['StartPeriod']}ns"),
            "retries": health["Retries"],
        },
        "capabilities": {"drops": host["CapDrop"] or []} | ({"adds": host["CapAdd"]} if host["CapAdd"] else {}),
        "securityOpts": host["SecurityOpt"] or [],
        "logOpts": host["LogConfig"]["Config"],
        "user": config["User"],
        "restart": host["RestartPolicy"]["Name"],
        "command": config["Cmd"],
        "networkMode": host["NetworkMode"],
        "pidMode": host["PidMode"],
    }


def check_provider_reads_back_the_inputs(smoke: Smoke) -> str:
    """No diff after a refresh: every compared field reads back exactly as the program sends it."""
    compared = 0
    for service, inputs in smoke.containers.items():
        stored = read_back(smoke.engine.inspect(inputs["name"]))
        sent = {key: inputs.get(key) for key in stored}
        sent["networkMode"] = inputs.get("networkMode", "bridge")  # the schema's default
        sent["pidMode"] = inputs.get("pidMode", "")
        sent["memoryReservation"] = inputs.get("memoryReservation", 0)
        sent["memorySwap"] = inputs.get("memorySwap")  # unset: the engine's 2 x memory comes back as a diff
        sent["healthcheck"] = {k: v for k, v in inputs["healthcheck"].items() if k in stored["healthcheck"]}
        differ = {key: (sent[key], stored[key]) for key in stored if sent[key] != stored[key]}
        assert not differ, f"{service}: input != read back: {differ}"
        compared += len(stored)
    return f"{compared} fields across {len(smoke.containers)} containers read back as sent"


def check_prometheus_scrapes_the_host(smoke: Smoke) -> str:
    """node-exporter in its container, through its read-only mounts of the host's /proc, /sys and root,
    gives the host's series: the root filesystem the disk alerts read, memory, load."""

    def query(expr: str):
        return smoke.get("prometheus", 9090, f"/api/v1/query?query={urllib.parse.quote(expr)}")["data"]["result"]

    _until(lambda: query('up{job="node-exporter"} == 1'), 90, "node-exporter to be scraped")
    root = _until(lambda: query('node_filesystem_size_bytes{mountpoint="/"}'), 30, "the root filesystem")
    memory = _until(lambda: query("node_memory_MemTotal_bytes"), 30, "the host's memory")
    return (
        f"node-exporter scraped: root filesystem {float(root[0]['value'][1]) / 2**30:.0f} GiB, "
        f"memory {float(memory[0]['value'][1]) / 2**30:.0f} GiB"
    )


CHECKS = (  # (services it needs, check)
    ((), check_provider_reads_back_the_inputs),
    (("prometheus",), check_rules_evaluate),
    (("prometheus", "alertmanager"), check_prometheus_sees_alertmanager),
    (("alertmanager",), check_alertmanager_config),
    (("prometheus", "alertmanager"), check_watchdog_reaches_sink),
    ((), check_secret_files),
    (("prometheus",), check_prometheus_data_survives_replacement),
    (("prometheus", "node-exporter"), check_prometheus_scrapes_the_host),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("services", nargs="+")
    parser.add_argument("--image", action="append", default=[], help="service=image, to run another image")
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args(argv)
    engine = Engine()
    if not engine.ping():
        print("docker_smoke: no Docker Engine answers on /var/run/docker.sock (start dockerd as root)", file=sys.stderr)
        return 1
    network = f"{PREFIX}-observability"
    for service in args.services:
        engine.remove(f"{PREFIX}-{service}")
    try:
        engine.call("DELETE", f"/networks/{network}")
    except EngineError:
        pass
    created = engine.call("POST", "/networks/create", {"Name": network, "Driver": "bridge"})
    gateway = engine.call("GET", f"/networks/{created['Id']}")["IPAM"]["Config"][0]["Gateway"]
    sink = Sink()
    config = from_stack_file(ROOT / "Pulumi.dev.yaml")
    config["observability:common"] = {**config.get("observability:common", {}), "name_prefix": PREFIX}
    config["observability:secrets"] = SECRETS
    config["observability:alertmanager"] = {
        **config.get("observability:alertmanager", {}),
        "deadmans_switch": {"url": f"http://{gateway}:{sink.port}/deadmans"},
    }
    run = run_program(config, reveal_secrets=True)
    containers = {r.name: r.inputs for r in run.of_type("docker:index/container:Container") if r.name in args.services}
    images = {
        r.name.removesuffix("-image"): r.inputs["name"] for r in run.of_type("docker:index/remoteImage:RemoteImage")
    }
    images.update(local_images())
    images.update(dict(item.split("=", 1) for item in args.image))
    smoke = Smoke(engine, network, containers, images, sink)
    failed = 0
    try:
        for service in args.services:
            smoke.run(service)
        for service in args.services:
            try:
                smoke.wait_healthy(service)
                print(f"ok   {containers[service]['name']}: healthy")
            except AssertionError as error:
                failed += 1
                print(f"FAIL {error}")
        if not failed:
            for needs, check in CHECKS:
                if not set(needs) <= set(args.services):
                    continue
                try:
                    print(f"ok   {check.__name__}: {check(smoke)}")
                except AssertionError as error:
                    failed += 1
                    print(f"FAIL {check.__name__}: {error}")
    finally:
        sink.close()
        if not args.keep:
            for name in smoke.started:
                engine.remove(name)
            engine.call("DELETE", f"/networks/{network}")
            for inputs in containers.values():
                for volume in inputs.get("volumes", []):
                    if volume.get("volumeName"):
                        try:
                            engine.call("DELETE", f"/volumes/{volume['volumeName']}")
                        except EngineError:
                            pass
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

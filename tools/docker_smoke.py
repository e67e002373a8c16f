"""Replays the Docker target's recorded resources against a real Docker Engine, for the services
whose images the engine has (by default the local images of tools/images.py, built from the engine's
pinned binaries; `--image service=ref` runs another), and waits
for each container's own health check. It uses the same inputs pulumi-docker would receive:
command, user, env, limits, health check, network alias, volumes, and uploads as a tar archive
carrying each file's owner and mode (the provider also uploads through the archive API).

    python -m tools.images && python -m tools.docker_smoke prometheus alertmanager jaeger
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import shlex
import subprocess
import sys
import tarfile
import time

from configs.load import from_stack_file
from tools.images import local_images
from tools.mockrun import ROOT, run_program

PREFIX = "obs-smoke"
SECRETS = {"slack_webhook_url": "http://127.0.0.1:9/slack", "security_slack_webhook": "http://127.0.0.1:9/sec",
           "pagerduty_routing_key": "smoke-key", "smtp_password": "smoke-password"}


def docker(*args: str, check: bool = True, stdin: bytes | None = None) -> str:
    result = subprocess.run(["docker", *args], input=stdin, capture_output=True, timeout=120)
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {result.stderr.decode().strip()}")
    return result.stdout.decode().strip()


def archive(uploads: list[dict]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for upload in uploads:
            data = base64.b64decode(upload["contentBase64"]) if "contentBase64" in upload else upload["content"].encode()
            info = tarfile.TarInfo(upload["file"].lstrip("/"))
            info.size, info.mode = len(data), int(upload.get("permissions", "0644"), 8)
            info.uid, info.gid = int(upload.get("owner", 0)), int(upload.get("group", 0))
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create(inputs: dict, network: str, image: str) -> str:
    name = inputs["name"]
    args = ["create", "--name", name, "--network", network, "--network-alias", inputs["networksAdvanced"][0]["aliases"][0],
            "--user", inputs["user"], "--memory", f"{inputs['memory']}m", "--cpus", inputs["cpus"],
            "--restart", inputs["restart"]]
    health = inputs["healthcheck"]
    # The CLI takes the test as a shell string; the stand-ins have busybox sh.
    args += ["--health-cmd", shlex.join(health["tests"][1:]), "--health-interval", "2s",
             "--health-retries", str(health["retries"]), "--health-timeout", health["timeout"]]
    for env in inputs.get("envs", []):
        args += ["--env", env]
    for volume in inputs.get("volumes", []):
        source = volume.get("volumeName") or volume.get("hostPath")
        args += ["--volume", f"{source}:{volume['containerPath']}{':ro' if volume.get('readOnly') else ''}"]
    for port in inputs.get("ports", []):
        args += ["--publish", f"{port['ip']}:{port['external']}:{port['internal']}"]
    # `image` is the pinned reference: under the mocks the container's own input is a placeholder id.
    docker(*args, image, *inputs["command"])
    docker("cp", "-", f"{name}:/", stdin=archive(inputs["uploads"]))
    return name


def wait_healthy(name: str, deadline: float) -> str:
    status = ""
    while time.time() < deadline:
        status = docker("inspect", "-f", "{{.State.Health.Status}}", name)
        if status in ("healthy", "unhealthy") or docker("inspect", "-f", "{{.State.Status}}", name) == "exited":
            break
        time.sleep(1)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("services", nargs="+")
    parser.add_argument("--image", action="append", default=[], help="service=image, to run another image")
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args(argv)
    overrides = {**local_images(), **dict(item.split("=", 1) for item in args.image)}
    config = from_stack_file(ROOT / "Pulumi.dev.yaml")
    config["observability:common"] = {**config.get("observability:common", {}), "name_prefix": PREFIX}
    config["observability:secrets"] = SECRETS
    run = run_program(config, reveal_secrets=True)
    containers = {r.name: r.inputs for r in run.of_type("docker:index/container:Container")}
    images = {r.name.removesuffix("-image"): r.inputs["name"] for r in run.of_type("docker:index/remoteImage:RemoteImage")}
    network = f"{PREFIX}-observability"
    docker("network", "create", network, check=False)
    names, failed = [], 0
    try:
        for service in args.services:
            inputs = containers[service]
            names.append(create(inputs, network, overrides.get(service, images[service])))
            docker("start", inputs["name"])
        deadline = time.time() + 90
        for name in names:
            status = wait_healthy(name, deadline)
            print(f"{name}: {status or 'no health status'}")
            if status != "healthy":
                failed += 1
                print(docker("logs", "--tail", "20", name, check=False), file=sys.stderr)
    finally:
        if not args.keep:
            for name in names:
                docker("rm", "-f", name, check=False)
            docker("network", "rm", network, check=False)
            for service in args.services:
                docker("volume", "rm", f"{PREFIX}-{service}-data", check=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

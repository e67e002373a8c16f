"""The Docker target's containers on a real Docker Engine, from local images of the pinned binaries
(tools/images.py), created through the Engine API calls the Docker provider makes with exactly the
inputs it would receive (tools/docker_smoke.py)."""

from __future__ import annotations

import pytest

from tools import docker_smoke, images
from tools.docker_api import Engine, EngineError

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def engine():
    engine = Engine()
    if not engine.ping():
        pytest.fail("no Docker Engine answers on /var/run/docker.sock: start dockerd (as root), as .ci/run does")
    return engine


@pytest.fixture(scope="module")
def local_images(engine):
    return images.build_images()


def test_services_come_up_healthy_and_do_what_users_rely_on(local_images, capsys):
    """Healthy within the wait timeout; rules evaluate; Prometheus finds Alertmanager; Alertmanager
    loads its time intervals; the Watchdog reaches a webhook on the host; secret files keep their
    mode and owner; Prometheus' data survives a replacement of its container; Prometheus scrapes the
    host through node-exporter's mounts."""
    assert set(local_images) == {"prometheus", "alertmanager", "jaeger", "node-exporter"}
    code = docker_smoke.main(list(local_images))
    out = capsys.readouterr().out
    assert code == 0, out
    assert sum(line.startswith("ok   check_") for line in out.splitlines()) == len(docker_smoke.CHECKS), out


def test_a_read_only_root_refuses_the_providers_uploads(engine, local_images):
    """Why the Docker target keeps a writable root filesystem: the provider uploads config and secret
    files into the created container, and the engine refuses that on a read-only root."""
    name = "obs-smoke-read-only-root"
    engine.remove(name)
    container = engine.create(
        name, {"Image": local_images["prometheus"], "HostConfig": {"ReadonlyRootfs": True, "Tmpfs": {"/tmp": ""}}}
    )
    try:
        upload = docker_smoke.archive(
            [{"file": "/etc/prometheus/prometheus.yml", "content": "global: {}\n", "permissions": "0444"}]
        )
        with pytest.raises(EngineError, match="read-only") as refused:
            engine.upload(container, upload)
        assert refused.value.status in (403, 500)
        writable = engine.create(name + "-rw", {"Image": local_images["prometheus"]})
        try:
            engine.upload(writable, upload)  # the same upload into a writable root is accepted
        finally:
            engine.remove(name + "-rw")
    finally:
        engine.remove(name)

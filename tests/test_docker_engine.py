"""What the Docker Engine itself does, which the real-provider tests (test_engine_docker.py) cannot
show because the stack never asks for it: why the Docker target keeps a writable root filesystem."""

from __future__ import annotations

import io
import tarfile

import pytest

from tools.commands import images
from tools.commands.docker_api import Engine, EngineError

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def engine():
    engine = Engine()
    if not engine.ping():
        pytest.fail("no Docker Engine answers on /var/run/docker.sock: start dockerd (as root), as .ci/run does")
    return engine


def archive(path: str, content: bytes, mode: int = 0o444) -> bytes:
    """One file as the provider uploads it: a tar entry with the file's path and mode, owned by root."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(path.lstrip("/"))
        info.size, info.mode = len(content), mode
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_a_read_only_root_refuses_the_providers_uploads(engine):
    """The provider uploads config and secret files into the created container (PUT .../archive,
    before start); the engine refuses that on a read-only root, so `read_only` would fail every
    container that has a file."""
    image = images.build_images([i for i in images.IMAGES if i.service == "prometheus"])["prometheus"]
    name = "obs-read-only-root"
    engine.remove(name)
    container = engine.create(name, {"Image": image, "HostConfig": {"ReadonlyRootfs": True, "Tmpfs": {"/tmp": ""}}})
    upload = archive("/etc/prometheus/prometheus.yml", b"global: {}\n")
    try:
        with pytest.raises(EngineError, match="read-only") as refused:
            engine.upload(container, upload)
        assert refused.value.status in (403, 500)
        writable = engine.create(name + "-rw", {"Image": image})
        try:
            engine.upload(writable, upload)  # the same upload into a writable root is accepted
        finally:
            engine.remove(name + "-rw")
    finally:
        engine.remove(name)

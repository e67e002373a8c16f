"""The Docker target's containers on a real Docker Engine, from local images of the pinned binaries
(tools/images.py): each comes up healthy with exactly the inputs the Docker provider would receive."""
from __future__ import annotations

import subprocess

import pytest

from tools import docker_smoke, images

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def local_images():
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.fail("no Docker Engine answers: start dockerd (as root), as .ci/run does")
    return images.build_images()


def test_services_with_local_images_come_up_healthy(local_images):
    assert set(local_images) == {"prometheus", "alertmanager", "jaeger"}
    assert docker_smoke.main(list(local_images)) == 0

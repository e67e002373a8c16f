"""Build local Docker images from the binaries `make engine` builds, for a Docker Engine with no registry.

    python -m tools.commands.images            # build them all; prints service=image
    python -m tools.commands.images --list     # print service=image without building

Each image is laid out as its upstream image is (binary path, user, data directory, working
directory, a busybox `wget` for the health check), so the Docker target's recorded container
inputs run unchanged. The images are tagged `observability-local/<service>:<binary's version>`,
never with an upstream name: the Alertmanager server here is v0.31.1 (the newest whose module
builds) and Jaeger is v2.13.0, older than the releases the stack deploys, and a tag must not say
otherwise. node-exporter is the release the stack deploys. Grafana, Loki and promtail are
AGPL-licensed modules and are not built here; cAdvisor and kube-state-metrics have no local image.

Needs Debian's busybox-static (a static `sh` and `wget`) and ca-certificates.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tools.engine import build

REPOSITORY = "observability-local"
BUSYBOX = Path("/bin/busybox")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
NOBODY = "65534"


@dataclass(frozen=True)
class LocalImage:
    service: str
    version: str  # the binary's release, which the tag carries
    source: str  # the module and version the binary is built from
    binaries: dict[str, str]  # name in the engine's bin/ -> path in the image
    user: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...] = ()
    data_dirs: tuple[str, ...] = ()  # created empty, owned by `user`, as the upstream image has them
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{REPOSITORY}/{self.service}:{self.version}"


# Upstream layouts: prom/prometheus and prom/alertmanager (busybox base, nobody, /bin/<binary>),
# jaegertracing/jaeger (alpine base, uid 10001, /cmd/jaeger/jaeger-linux; cmd/jaeger/Dockerfile).
IMAGES = (
    LocalImage(
        "prometheus",
        build.prometheus_release(),
        f"github.com/prometheus/prometheus {build.PROMETHEUS}",
        {"prometheus": "/bin/prometheus", "promtool": "/bin/promtool"},
        NOBODY,
        ("/bin/prometheus",),
        ("--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"),
        data_dirs=("/prometheus", "/etc/prometheus"),
        workdir="/prometheus",
    ),
    LocalImage(
        "alertmanager",
        build.ALERTMANAGER_SERVER,
        f"github.com/prometheus/alertmanager {build.ALERTMANAGER_SERVER} (server), {build.ALERTMANAGER} (amtool)",
        {"alertmanager": "/bin/alertmanager", "amtool": "/bin/amtool"},
        NOBODY,
        ("/bin/alertmanager",),
        ("--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"),
        data_dirs=("/alertmanager", "/etc/alertmanager"),
        workdir="/alertmanager",
    ),
    LocalImage(
        "jaeger",
        "2.13.0",
        f"github.com/jaegertracing/jaeger {build.JAEGER}",
        {"jaeger": "/cmd/jaeger/jaeger-linux"},
        "10001",
        ("/cmd/jaeger/jaeger-linux",),
        env={"JAEGER_LISTEN_HOST": "0.0.0.0"},
    ),
    # prom/node-exporter: busybox base, nobody, /bin/node_exporter.
    LocalImage(
        "node-exporter",
        build.NODE_EXPORTER,
        f"github.com/prometheus/node_exporter {build.NODE_EXPORTER}",
        {"node_exporter": "/bin/node_exporter"},
        NOBODY,
        ("/bin/node_exporter",),
    ),
)


def local_images() -> dict[str, str]:
    return {image.service: image.ref for image in IMAGES}


def _context(image: LocalImage, directory: Path) -> None:
    root = directory / "root"
    for name, target in image.binaries.items():
        source = build.BIN / name
        if not source.exists():
            raise SystemExit(f"images: {source} is not built: run `make engine`")
        (root / target.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source.resolve(), root / target.lstrip("/"))
    (root / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    for applet in ("sh", "wget", "cat", "ls", "id", "stat"):
        (root / "bin" / applet).symlink_to("busybox")
    (root / "etc" / "ssl" / "certs").mkdir(parents=True)
    shutil.copy(CA_BUNDLE, root / "etc" / "ssl" / "certs" / "ca-certificates.crt")
    (root / "etc" / "passwd").write_text(
        f"root:x:0:0::/root:/bin/sh\nnobody:x:{NOBODY}:{NOBODY}::/nonexistent:/bin/false\n"
        + ("" if image.user == NOBODY else f"{image.service}:x:{image.user}:{image.user}::/nonexistent:/bin/false\n")
    )
    (root / "etc" / "group").write_text(f"root:x:0:\nnogroup:x:{NOBODY}:\n")
    (root / "tmp").mkdir()
    (directory / "empty").mkdir()
    labels = {"org.opencontainers.image.version": image.version, "org.opencontainers.image.source": image.source}
    lines = ["FROM scratch", "COPY root/ /", 'RUN ["/bin/busybox", "chmod", "1777", "/tmp"]']
    lines += [f"COPY --chown={image.user}:{image.user} empty/ {path}/" for path in image.data_dirs]
    lines += [f"LABEL {key}={json.dumps(value)}" for key, value in labels.items()]
    lines += [f"ENV {key}={json.dumps(value)}" for key, value in image.env.items()]
    lines += [
        f"USER {image.user}",
        f"WORKDIR {image.workdir}",
        f"ENTRYPOINT {json.dumps(list(image.entrypoint))}",
        f"CMD {json.dumps(list(image.cmd))}",
    ]
    (directory / "Dockerfile").write_text("\n".join(lines) + "\n")


def build_images(images=IMAGES) -> dict[str, str]:
    missing = [str(path) for path in (BUSYBOX, CA_BUNDLE) if not path.exists()]
    if missing:
        raise SystemExit(f"images: missing {', '.join(missing)} (apt-get install busybox-static ca-certificates)")
    for image in images:
        with tempfile.TemporaryDirectory(prefix=f"image-{image.service}-") as tmp:
            _context(image, Path(tmp))
            result = subprocess.run(["docker", "build", "-q", "-t", image.ref, tmp], capture_output=True, text=True)
            if result.returncode != 0:
                raise SystemExit(f"images: docker build {image.ref}: {result.stderr.strip()}")
    return {image.service: image.ref for image in images}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="print service=image without building")
    args = parser.parse_args(argv)
    refs = local_images() if args.list else build_images()
    for service, ref in refs.items():
        print(f"{service}={ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make up`'s first step on the Docker target: every pinned image is on the Docker Engine, or can be
pulled, before any resource is created.

    python -m tools.commands.image_preflight --stack dev

The images are the ones the stack's components name (the stack file's config, `image_ref` with
`common.image_registry`). An image the engine lacks is pulled, as the provider would pull it; one
that cannot be had is reported with the engine's reason and the ways to provide it, and the exit
code is 1, so `make up` stops with nothing created rather than fail halfway with a network and
volumes in place. A remote engine (`common.docker.host` over ssh or tcp) is left to the provider.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote

from observability_stack.components.service import image_ref
from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import from_stack_file, load
from observability_stack.configs.registry import section as config_section
from tools.commands.docker_api import SOCKET, Engine, EngineError
from tools.commands.images import IMAGES

ROOT = Path(__file__).resolve().parents[2]


def stack_images(config: dict) -> dict[str, str]:
    """service -> image reference, for the services that run. Raises ConfigError."""
    cfg, _, _ = load(config, str(ROOT))
    return {
        service: image_ref(cfg.section(service).image, cfg.common.image_registry)
        for service in cfg.enabled()
        if cfg.common.target == "docker"
    }


def split_ref(ref: str) -> tuple[str, str]:
    repository, _, tag = ref.rpartition(":")
    return repository, tag


def missing_images(engine: Engine, images: dict[str, str]) -> dict[str, str]:
    """service -> why its image cannot be had; pulls what is absent and pullable."""
    missing = {}
    for service, ref in images.items():
        try:
            engine.call("GET", f"/images/{quote(ref, safe='')}/json")
            continue
        except EngineError as error:
            if error.status != 404:
                missing[service] = str(error)
                continue
        repository, tag = split_ref(ref)
        try:
            # The engine streams the pull's progress; a failure comes as an error status or an
            # `error` line in that stream, and the image is then still absent.
            engine.call("POST", "/images/create", query={"fromImage": repository, "tag": tag})
            engine.call("GET", f"/images/{quote(ref, safe='')}/json")
        except EngineError as error:
            missing[service] = str(error).split(": ", 1)[-1]
    return missing


def advice(stack: str, images: dict[str, str], missing: dict[str, str]) -> str:
    width = max(len(s) for s in missing)
    lines = [
        f"make up: {len(missing)} of the {len(images)} images of stack {stack!r} are not on this Docker Engine "
        "and could not be pulled; nothing was created:",
    ]
    lines += [f"  {s:<{width}}  {images[s]}  ({reason})" for s, reason in missing.items()]
    first = next(iter(missing))
    section = config_section(first)
    set_cmd = "pulumi config set --path"
    local = sorted({i.service for i in IMAGES} & set(missing))
    lines += [
        "Provide them, then run `make up` again, by any of:",
        "  - load them into this engine: `docker load -i <archive>` of a `docker save` from a machine that "
        "reaches the registry, or `docker pull` once it is reachable;",
        f"  - a mirror that has them: {set_cmd} observability:common.image_registry registry.local:5000 "
        f"--stack {stack}",
        f"  - another image: {set_cmd} observability:{section}.image.repository <repository> --stack {stack} "
        f"(and .image.tag: an exact version);",
        f"  - leave a service out: {set_cmd} observability:{section}.enabled false --stack {stack}",
    ]
    if local:
        lines.append(
            f"  - for {', '.join(local)}: `make engine && .venv/bin/python -m tools.commands.images` builds local "
            "images from the upstream modules under their true versions; set each service's image to the printed one."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args(argv)
    try:
        config = from_stack_file(ROOT / f"Pulumi.{args.stack}.yaml")
        images = stack_images(config)
        host = config.get("observability:common", {}).get("docker", {}).get("host")
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    if not images:
        return 0
    if host and not host.startswith("unix://"):
        print(f"image preflight: images are pulled on {host} by the provider; not checked here", file=sys.stderr)
        return 0
    engine = Engine(host.removeprefix("unix://") if host else SOCKET)
    if not engine.ping():
        print("make up: no Docker Engine answers: start dockerd (systemctl start docker)", file=sys.stderr)
        return 1
    missing = missing_images(engine, images)
    if missing:
        print(advice(args.stack, images, missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

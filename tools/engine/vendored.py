"""Builds from the upstream source archives in ../shared/vendor/, which the Go module proxy does not serve.

The archives are unchanged `git archive` exports (their refs and licences are in the vendor
directory's README.md). They are unpacked into a temporary directory at build time and never copied
into this repository; the build's cache key includes each archive's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = Path(os.environ.get("OBS_VENDOR_DIR", ROOT.parent / "shared" / "vendor"))

DOCKER_PROVIDER = "v5.1.0"
DOCKER_UPSTREAM = "v4.5.0"  # terraform-provider-docker: pulumi-docker v5.1.0's `upstream` submodule
LANGUAGE_HOSTS = "v3.259.0"

DOCKER_ARCHIVE = f"pulumi-docker-{DOCKER_PROVIDER}.tar.gz"
UPSTREAM_ARCHIVE = f"terraform-provider-docker-{DOCKER_UPSTREAM}.tar.gz"
HOSTS_ARCHIVE = f"pulumi-language-hosts-{LANGUAGE_HOSTS}.tar.gz"


class MissingArchive(RuntimeError):
    pass


def archive_path(name: str) -> Path:
    path = VENDOR / name
    if not path.is_file():
        raise MissingArchive(
            f"{path}: missing. The upstream sources the Go module proxy does not serve are read from "
            "../shared/vendor/ next to the project (or OBS_VENDOR_DIR)."
        )
    return path


def digest(name: str) -> str:
    """The archive's SHA-256, checked against the vendor directory's SHA256SUMS when it lists it."""
    path = archive_path(name)
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    sums = VENDOR / "SHA256SUMS"
    if sums.is_file():
        for line in sums.read_text().splitlines():
            expected, _, listed = line.partition("  ")
            if listed.strip() == name and expected != actual:
                raise MissingArchive(f"{path}: SHA-256 {actual} is not the {expected} that SHA256SUMS lists")
    return actual


def unpack(name: str, into: Path) -> Path:
    """Unpack an archive into `into`; returns its single top-level directory."""
    with tarfile.open(archive_path(name)) as archive:
        archive.extractall(into, filter="data")
    (top,) = [p for p in into.iterdir() if p.is_dir()]
    return top


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def prepare_docker_provider(workdir: Path, env: dict[str, str]) -> Path:
    """pulumi-docker's layout: `upstream/` (the Terraform provider, patched) beside `provider/`.

    pulumi-docker's go.mod replaces the Terraform provider's module with `../upstream`; its Makefile
    applies `patches/` inside the submodule and generates the schema the provider's main embeds.
    """
    repo = unpack(DOCKER_ARCHIVE, workdir / "pulumi-docker")
    upstream = unpack(UPSTREAM_ARCHIVE, workdir / "terraform-provider-docker")
    upstream = upstream.rename(repo / "upstream")
    for patch in sorted((repo / "patches").glob("*.patch")):
        _run(["git", "apply", "--whitespace=nowarn", str(patch)], upstream, env)
    cmd = repo / "provider" / "cmd" / "pulumi-resource-docker"
    schema = json.loads((cmd / "schema.json").read_text())
    schema["version"] = DOCKER_PROVIDER.lstrip("v")
    (cmd / "schema-embed.json").write_text(json.dumps(schema, separators=(",", ":")))
    return repo / "provider"


def prepare_language_host(module: str, sdk_version: str, workdir: Path, env: dict[str, str]) -> Path:
    """A language host's module, built against a released pkg/sdk (the CLI's where it compiles).

    In the Pulumi repository the hosts replace pkg/v3 and sdk/v3 with the checkout's directories,
    which the archive leaves out; a host built for the CLI links that CLI's release.
    """
    top = unpack(HOSTS_ARCHIVE, workdir / "pulumi")
    moddir = top / module
    edits = []
    for path in ("github.com/pulumi/pulumi/pkg/v3", "github.com/pulumi/pulumi/sdk/v3"):
        edits += [f"-dropreplace={path}", f"-require={path}@{sdk_version}"]
    _run(["go", "mod", "edit", *edits], moddir, env)
    _run(["go", "mod", "tidy"], moddir, env)
    return moddir


def copy_executable(source: Path, dest: Path) -> None:
    shutil.copy(source, dest)
    dest.chmod(0o755)

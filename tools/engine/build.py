"""Build the real engine and cluster binaries from Go modules into a cache outside the repository.

    python3 tools/engine/build.py            # build what is missing, then link it into bin/
    python3 tools/engine/build.py --path     # print the directory holding every binary

Each binary is built once per pinned version and wrapper-module content, into
``$OBS_ENGINE_CACHE/builds/<name>-<version>-<digest>/`` (default cache ``~/.cache/observability-engine``),
then linked into ``$OBS_ENGINE_CACHE/bin``: a second run with the same pins does nothing. Standard
library only, so it runs before the project's virtualenv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

try:
    from tools.engine import vendored
except ImportError:  # run as a script, before the project is importable
    import vendored  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("OBS_ENGINE_CACHE", Path.home() / ".cache" / "observability-engine"))
BIN = CACHE / "bin"

PULUMI = "v3.274.1"
# Pulumi YAML's language host: runs the YAML example program that uses the component provider.
PULUMI_YAML = "v1.25.0"
KUBERNETES_PROVIDER = "v4.25.0"  # module pseudo-version v4.0.0-20260115033456-f47bc2d6f199
KUBERNETES = "v1.37.2"
ETCD = "v3.6.16"
KWOK = "v0.8.0"
# The upstream tools at the releases the stack deploys (observability_stack/configs/models: Prometheus v3.16.0 is module
# v0.316.0). The Alertmanager server embeds UI assets its module lacks from v0.32 on, so the server
# is the newest release that builds, for the end-to-end tests and the local image.
PROMETHEUS = "v0.316.0"
ALERTMANAGER = "v0.35.0"
ALERTMANAGER_SERVER = "v0.31.1"
# The collectors that build from their modules (kube-state-metrics' module is not on the proxy).
NODE_EXPORTER = "v1.12.1"
# Jaeger v2 from its module: v1.76.0 is Jaeger v2.13.0, the newest v2 tag that is a valid module version.
JAEGER = "v1.76.0"

_K8S_MINOR = KUBERNETES.lstrip("v").split(".")[1]
_K8S_LDFLAGS = " ".join(
    f"-X k8s.io/component-base/version.{key}={value}"
    for key, value in (
        ("gitVersion", KUBERNETES),
        ("gitMajor", "1"),
        ("gitMinor", _K8S_MINOR),
        ("gitTreeState", "clean"),
        ("buildDate", "1970-01-01T00:00:00Z"),
    )
)


def prometheus_release() -> str:
    """The Prometheus release of the pinned module: module v0.3MM.P is Prometheus v3.MM.P."""
    _, minor, patch = PROMETHEUS.split(".")
    return f"v3.{int(minor) - 300}.{patch}"


def _prometheus_version(version: str, module_version: str) -> str:
    """What `--version` prints, set as the Prometheus projects' release builds (promu) set it."""
    return " ".join(
        f"-X github.com/prometheus/common/version.{key}={value}"
        for key, value in (("Version", version), ("Revision", "module-" + module_version), ("Branch", "module"))
    )


@dataclass(frozen=True)
class Build:
    name: str  # wrapper module directory under tools/engine/
    version: str
    binaries: dict[str, str]  # output name -> Go package
    ldflags: str = ""
    tags: str = ""
    # Writes generated files the wrapper's main embeds (workdir, build), before `go build`.
    generate: Callable[[Path, Build], None] | None = None
    # Data files the binary needs at run time: (module, output file, paths in the module), concatenated
    # as YAML documents next to the binary and linked into BIN.
    assets: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # Source archives from ../shared/vendor/ (keyed by their SHA-256) that `prepare` unpacks into the
    # work directory instead of a wrapper module; it returns the directory to build in.
    archives: tuple[str, ...] = ()
    prepare: Callable[[Path, dict[str, str]], Path] | None = None
    # `mod` for the archive builds: their go.sum is upstream's, completed at build time.
    mod: str = "readonly"
    # Files beside the build directory's packages that the binary needs next to it (path, output name).
    files: tuple[tuple[str, str], ...] = ()


BUILDS = (
    Build(
        "pulumi",
        PULUMI,
        {"pulumi": "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"},
        ldflags=f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={PULUMI}",
        tags="osusergo,grpcnotrace",
    ),
    Build(
        "pulumi-yaml",
        PULUMI_YAML,
        {"pulumi-language-yaml": "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"},
        ldflags=f"-X github.com/pulumi/pulumi-yaml/pkg/version.Version={PULUMI_YAML}",
    ),
    Build(
        "kubernetes-provider",
        KUBERNETES_PROVIDER,
        {"pulumi-resource-kubernetes": "."},
        ldflags="-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version="
        + KUBERNETES_PROVIDER.lstrip("v"),
        # (A lambda: the function is defined below this table.)
        generate=lambda workdir, build: _write_provider_embeds(workdir, build),
    ),
    Build("etcd", ETCD, {"etcd": "go.etcd.io/etcd/server/v3"}),
    Build(
        "kubernetes",
        KUBERNETES,
        {
            "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
            "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
            "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
        },
        ldflags=_K8S_LDFLAGS,
    ),
    Build(
        "prometheus",
        PROMETHEUS,
        {
            "promtool": "github.com/prometheus/prometheus/cmd/promtool",
            "prometheus": "github.com/prometheus/prometheus/cmd/prometheus",
        },
        # Module v0.3MM.P is Prometheus v3.MM.P.
        ldflags=_prometheus_version(prometheus_release().lstrip("v"), PROMETHEUS),
    ),
    Build(
        "alertmanager",
        ALERTMANAGER,
        {"amtool": "github.com/prometheus/alertmanager/cmd/amtool"},
        ldflags=_prometheus_version(ALERTMANAGER.lstrip("v"), ALERTMANAGER),
    ),
    Build(
        "alertmanager-server",
        ALERTMANAGER_SERVER,
        {"alertmanager": "github.com/prometheus/alertmanager/cmd/alertmanager"},
        ldflags=_prometheus_version(ALERTMANAGER_SERVER.lstrip("v"), ALERTMANAGER_SERVER),
    ),
    Build(
        "jaeger",
        JAEGER,
        {"jaeger": "github.com/jaegertracing/jaeger/cmd/jaeger"},
        ldflags="-X github.com/jaegertracing/jaeger/internal/version.latestVersion=v2.13.0"
        f" -X github.com/jaegertracing/jaeger/internal/version.commitSHA=module-{JAEGER}",
    ),
    Build(
        "node-exporter",
        NODE_EXPORTER,
        {"node_exporter": "github.com/prometheus/node_exporter"},
        ldflags=_prometheus_version(NODE_EXPORTER.lstrip("v"), NODE_EXPORTER),
    ),
    # The Docker provider of the pulumi-docker Python SDK pin, from pulumi-docker and its patched upstream.
    Build(
        "docker-provider",
        vendored.DOCKER_PROVIDER,
        {"pulumi-resource-docker": "./cmd/pulumi-resource-docker"},
        ldflags="-X github.com/pulumi/pulumi-docker/provider/v5/pkg/version.Version="
        + vendored.DOCKER_PROVIDER.lstrip("v"),
        archives=(vendored.DOCKER_ARCHIVE, vendored.UPSTREAM_ARCHIVE),
        prepare=vendored.prepare_docker_provider,
        mod="mod",
    ),
    # Pulumi's language hosts: `pulumi up` runs __main__.py through the Python one.
    *(
        Build(
            f"pulumi-language-{language}",
            vendored.LANGUAGE_HOSTS,
            {f"pulumi-language-{language}": "."},
            ldflags=f"-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version={vendored.LANGUAGE_HOSTS}",
            tags="osusergo,grpcnotrace",
            archives=(vendored.HOSTS_ARCHIVE,),
            prepare=lambda workdir, env, module=module, sdk=sdk: vendored.prepare_language_host(
                module, sdk, workdir, env
            ),
            mod="mod",
            files=files,
        )
        for language, module, sdk, files in (
            (
                "python",
                "sdk/python/cmd/pulumi-language-python",
                PULUMI,
                # The host starts the program through this script, looked up next to its binary.
                (("../pulumi-language-python-exec", "pulumi-language-python-exec"),),
            ),
            # Its resource monitor proxy implements the gRPC service of its own release: against the
            # CLI's newer pkg/sdk it lacks methods added since (ExistsResource). It talks to the CLI
            # over gRPC, where the older service is a subset of the newer.
            ("nodejs", "sdk/nodejs/cmd/pulumi-language-nodejs", vendored.LANGUAGE_HOSTS, ()),
            ("go", "sdk/go/pulumi-language-go", PULUMI, ()),
        )
    ),
    Build(
        "kwok",
        KWOK,
        {"kwok": "sigs.k8s.io/kwok/cmd/kwok"},
        assets=(
            # kwok's "fast" stages (kustomize/stage/fast): nodes ready with leases, pods ready at once.
            (
                "sigs.k8s.io/kwok",
                "kwok-stages.yaml",
                (
                    "kustomize/stage/node/fast/node-initialize.yaml",
                    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
                    "kustomize/stage/pod/fast/pod-ready.yaml",
                    "kustomize/stage/pod/fast/pod-complete.yaml",
                    "kustomize/stage/pod/fast/pod-delete.yaml",
                ),
            ),
        ),
    ),
)


def _go_env(mod: str = "readonly") -> dict[str, str]:
    env = dict(os.environ)
    # A dependency that wants a newer Go fails fast instead of fetching a toolchain.
    env.setdefault("GOTOOLCHAIN", "local")
    env["GOFLAGS"] = f"-mod={mod} -trimpath"
    env.setdefault("CGO_ENABLED", "0")
    return env


def _wrapper_files(build: Build) -> list[Path]:
    if build.archives:
        return []
    return sorted(p for p in (HERE / build.name).iterdir() if p.suffix in (".mod", ".sum", ".go"))


def _dest(build: Build) -> Path:
    """The build's cache directory, keyed by its pins and its wrapper module's content."""
    h = hashlib.sha256(json.dumps([build.version, build.binaries, build.ldflags, build.tags, build.assets]).encode())
    for path in _wrapper_files(build):
        h.update(path.name.encode() + path.read_bytes())
    if build.archives:
        h.update(json.dumps([build.mod, build.files, *map(vendored.digest, build.archives)]).encode())
    return CACHE / "builds" / f"{build.name}-{build.version}-{h.hexdigest()[:12]}"


def _module_dir(workdir: Path, module: str) -> Path:
    """Where the wrapper's version of `module` is unpacked (`go list -m` alone does not download it)."""
    out = subprocess.run(
        ["go", "mod", "download", "-json", module],
        cwd=workdir,
        env=_go_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    directory = json.loads(out.stdout).get("Dir")
    if not directory:
        raise RuntimeError(f"{module}: no module directory in `go mod download` output: {out.stdout}")
    return Path(directory)


def _write_provider_embeds(workdir: Path, build: Build) -> None:
    """What the provider's `go generate` step does: the tracked schema, with its version set."""
    src = _module_dir(workdir, "github.com/pulumi/pulumi-kubernetes/provider/v4") / "cmd" / "pulumi-resource-kubernetes"
    schema = json.loads((src / "schema.json").read_text())
    schema["version"] = build.version.lstrip("v")
    (workdir / "schema-embed.json").write_text(json.dumps(schema))
    mapping = json.loads((src / "terraform-mapping.json").read_text())
    (workdir / "terraform-mapping-embed.json").write_text(json.dumps(mapping))


def _build(build: Build, dest: Path) -> None:
    with tempfile.TemporaryDirectory(prefix=f"engine-{build.name}-") as tmp:
        workdir = Path(tmp)
        for path in _wrapper_files(build):
            shutil.copy(path, workdir / path.name)
        if build.generate:
            build.generate(workdir, build)
        env = _go_env(build.mod)
        if build.prepare:
            workdir = build.prepare(workdir, env)
        staging = dest.with_name(dest.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for binary, package in build.binaries.items():
            started = time.monotonic()
            cmd = ["go", "build", "-o", str(staging / binary), "-ldflags", f"-s -w {build.ldflags}".strip()]
            if build.tags:
                cmd += ["-tags", build.tags]
            print(f"engine: building {binary} {build.version} ...", file=sys.stderr, flush=True)
            subprocess.run(cmd + [package], cwd=workdir, env=env, check=True)
            print(f"engine: built {binary} in {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
        for module, output, paths in build.assets:
            source = _module_dir(workdir, module)
            documents = [(source / path).read_text().strip() for path in paths]
            (staging / output).write_text("\n---\n".join(documents) + "\n")
        for path, output in build.files:
            vendored.copy_executable(workdir / path, staging / output)
        staging.rename(dest)


def ensure(builds=BUILDS) -> Path:
    """Build what is missing and link every binary into BIN; returns BIN."""
    BIN.mkdir(parents=True, exist_ok=True)
    for build in builds:
        dest = _dest(build)
        if not dest.is_dir():
            _build(build, dest)
        for binary in [*build.binaries, *(output for _, output, _ in build.assets), *(o for _, o in build.files)]:
            link = BIN / binary
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(dest / binary)
    return BIN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", action="store_true", help="print the binaries' directory and exit")
    parser.add_argument("only", nargs="*", help="build only these wrapper modules")
    args = parser.parse_args(argv)
    if args.path:
        print(BIN)
        return 0
    builds = [b for b in BUILDS if not args.only or b.name in args.only]
    missing = [b for b in builds if not _dest(b).is_dir()]
    if missing and shutil.which("go") is None:
        print(
            "engine: Go 1.26 is needed to build "
            + ", ".join(b.name for b in missing)
            + " (https://go.dev/doc/install; Debian 12's golang package is too old)",
            file=sys.stderr,
        )
        return 1
    try:
        ensure(builds)
    except subprocess.CalledProcessError as error:
        print(f"engine: build failed: {' '.join(map(str, error.cmd))}", file=sys.stderr)
        return 1
    except vendored.MissingArchive as error:
        print(f"engine: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

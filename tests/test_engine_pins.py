"""The checkers `make engine` builds are the releases the stack deploys, and the Kubernetes provider
plugin is the release of the SDK the program imports (the engine does not check an ambient plugin's
version, so a mismatch would silently test other code)."""

from importlib import metadata

from observability_stack.configs.models.stack import StackConfig
from tools.engine import build


def test_prometheus_and_alertmanager_builds_match_the_image_pins():
    defaults = StackConfig()
    major, minor, patch = defaults.prometheus.image.tag.lstrip("v").split(".")
    # Prometheus' Go module numbers v3.MM.P as v0.3MM.P.
    assert build.PROMETHEUS == f"v0.{major}{int(minor):02d}.{patch}"
    assert build.ALERTMANAGER == defaults.alertmanager.image.tag


def test_kubernetes_provider_build_matches_the_sdk_pin():
    assert build.KUBERNETES_PROVIDER == "v" + metadata.version("pulumi-kubernetes")
    go_mod = (build.HERE / "kubernetes-provider" / "go.mod").read_text()
    assert f"github.com/pulumi/pulumi-kubernetes/sdk/v4 {build.KUBERNETES_PROVIDER}" in go_mod


def test_the_cli_is_not_older_than_the_sdk():
    cli = tuple(int(x) for x in build.PULUMI.lstrip("v").split("."))
    sdk = tuple(int(x) for x in metadata.version("pulumi").split("."))
    assert cli >= sdk


def test_docker_provider_build_matches_the_sdk_pin():
    """The provider built from ../shared/vendor/ is the release the pulumi-docker SDK asks for."""
    from tools.engine import vendored

    assert vendored.DOCKER_PROVIDER == "v" + metadata.version("pulumi-docker")
    docker = next(b for b in build.BUILDS if b.name == "docker-provider")
    assert docker.version == vendored.DOCKER_PROVIDER
    assert f"version.Version={vendored.DOCKER_PROVIDER.lstrip('v')}" in docker.ldflags
    assert vendored.DOCKER_ARCHIVE.endswith(f"{vendored.DOCKER_PROVIDER}.tar.gz")


def test_language_hosts_link_the_clis_own_release():
    hosts = [b for b in build.BUILDS if b.name.startswith("pulumi-language-") and b.archives]
    assert {b.name for b in hosts} == {"pulumi-language-python", "pulumi-language-nodejs", "pulumi-language-go"}
    python = next(b for b in hosts if b.name == "pulumi-language-python")
    assert [output for _, output in python.files] == ["pulumi-language-python-exec"]

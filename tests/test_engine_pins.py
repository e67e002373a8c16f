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

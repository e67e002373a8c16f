"""The component provider: `ObservabilityStack` for TypeScript, Go, C#, Java and YAML programs.

Pulumi runs it as the plugin `observability` (PulumiPlugin.yaml in provider/, or the
`pulumi-resource-observability` command this package installs), and `pulumi package add` generates
a typed SDK from the schema the SDK's analyzer infers from the annotations below. They are evaluated
at run time by that analyzer, so this module does not use `from __future__ import annotations`.
"""

from typing import Any, TypedDict

import pulumi
from pulumi.provider.experimental import component_provider_host

from observability_stack import __version__
from observability_stack.components.stack import TYPE, StackArgs, compose


class ObservabilityStackArgs(TypedDict, total=False):
    config: pulumi.Input[dict[str, Any]]
    """The stack configuration: the sections under `observability:` in a stack file (`common`,
    `prometheus`, `alertmanager`, `grafana`, `loki`, `promtail`, `jaeger`, `slos`), each optional; see
    docs/config-reference.md. Validated as a whole: a bad value fails with its path. Plain values only:
    secrets go under `secrets`."""
    secrets: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Secret values by name (`grafana_admin_password`, and the names receivers' `*_secret` fields
    use). Each stays a Pulumi secret and reaches its service only as a file."""
    project_root: pulumi.Input[str]
    """Where relative paths in the config (`grafana.dashboards_dir`) are resolved; default: the
    provider's working directory."""


class ObservabilityStack(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana, Loki, promtail and Jaeger, as enabled by the config, on Docker
    or Kubernetes (`config.common.target`)."""

    urls: pulumi.Output[dict[str, Any]]
    """Per enabled service: `{internal, external}` URLs (`external` is null without a published UI)."""
    grafana_admin_password: pulumi.Output[str | None]
    """Grafana's admin password (secret); null when Grafana is disabled."""

    def __init__(self, name: str, args: ObservabilityStackArgs, opts: pulumi.ResourceOptions | None = None):
        config = args.get("config") or {}
        if isinstance(config, pulumi.Output) or not isinstance(config, dict):
            # The files are rendered while the program runs: an unknown or secret value cannot be.
            raise ValueError("config must be a map of plain values, known at preview; secrets go under `secrets`")
        secrets = args.get("secrets") or {}
        if isinstance(secrets, pulumi.Output):
            raise ValueError("secrets must be a map whose names are known at preview (values may be secret outputs)")
        stack_args = StackArgs(config=config, secrets=secrets, project_root=args.get("project_root") or ".")
        compose(self, name, stack_args, opts, TYPE)


def main() -> None:
    component_provider_host([ObservabilityStack], name="observability", version=__version__)


if __name__ == "__main__":
    main()

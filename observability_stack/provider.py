"""The component provider: `ObservabilityStack` for TypeScript, Go, C#, Java and YAML programs.

Pulumi runs it as the plugin `observability` (PulumiPlugin.yaml in provider/, or the
`pulumi-resource-observability` command this package installs), and `pulumi package add` generates
a typed SDK from the schema the SDK's analyzer infers from the annotations below. They are evaluated
at run time by that analyzer, so this module does not use `from __future__ import annotations`.

`config` is typed section by section (`provider_types.py`, generated from the config models by
`python -m tools.generate.provider_types`): a TypeScript program gets `config.prometheus.retention` as a
string, with the schema's names in camel case (`namePrefix`, `scrapeJobs`, `for`), which the
analyzer maps back to the models' field names.
"""

from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi
from pulumi.provider.experimental import component_provider_host

from observability_stack import __version__
from observability_stack.components.stack import TYPE, StackArgs, compose
from observability_stack.provider_types import StackConfig


class ObservabilityStackArgs(TypedDict, total=False):
    config: StackConfig
    """The stack configuration: the sections under `observability:` in a stack file (`common`, `prometheus`, `alertmanager`, `grafana`, `loki`, `promtail`, `alloy`, `jaeger`, `nodeExporter`, `cadvisor`, `kubeStateMetrics`, `slos`), each optional, with the keys in camel case; see docs/config-reference.md. A plain value, known at preview (the files are rendered from it): secrets go under `secrets`. Validated as a whole: a bad value fails with its path."""  # noqa: E501
    secrets: dict[str, pulumi.Input[str]]
    """Secret values by name (`grafana_admin_password`, and the names receivers' `*_secret` fields use). Each stays a Pulumi secret and reaches its service only as a file."""  # noqa: E501
    project_root: str
    """Where relative paths in the config (`grafana.dashboards_dir`) are resolved; default: the provider's working directory."""  # noqa: E501


class ObservabilityStack(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana, Loki, promtail and Jaeger, as enabled by the config, on Docker or Kubernetes (`config.common.target`)."""  # noqa: E501

    urls: pulumi.Output[dict[str, Any]]
    """Per enabled service: `{internal, external}` URLs (`external` is null without a published UI)."""
    grafana_admin_password: pulumi.Output[str | None]
    """Grafana's admin password (secret); null when Grafana is disabled."""

    def __init__(self, name: str, args: ObservabilityStackArgs, opts: pulumi.ResourceOptions | None = None):
        config = args.get("config") or {}
        if not isinstance(config, dict):
            # The files are rendered while the program runs: an unknown or secret value cannot be.
            raise ValueError("config must be a map of plain values, known at preview; secrets go under `secrets`")
        _refuse_outputs(config, "config")
        secrets = args.get("secrets") or {}
        if isinstance(secrets, pulumi.Output):
            raise ValueError("secrets must be a map whose names are known at preview (values may be secret outputs)")
        project_root = args.get("project_root") or "."
        if not isinstance(project_root, str):
            raise ValueError("project_root must be a plain string, known at preview")
        # The analyzer maps the schema's names to the models' field names (`for_`): the models take
        # those as well as their aliases (`populate_by_name`).
        stack_args = StackArgs(config=config, secrets=secrets, project_root=project_root)
        compose(self, name, stack_args, opts, TYPE)


def _refuse_outputs(value: Any, path: str) -> None:
    if isinstance(value, pulumi.Output):
        raise ValueError(f"{path} is an output (unknown at preview, or a secret): config takes plain values only")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_outputs(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_outputs(item, f"{path}[{index}]")


def main() -> None:
    component_provider_host([ObservabilityStack], name="observability", version=__version__)


if __name__ == "__main__":
    main()

"""Targets: each turns a target-neutral Workload into one platform's resources."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import pulumi

from observability_stack.configs.models.stack import StackConfig

from ..naming import DEFAULT_NAMES, Names

# Target name (common.target) -> module, class, and the Pulumi package of its provider. Imported on
# use: a Docker stack needs no Kubernetes SDK import, and the reverse.
TARGETS = {
    "docker": (".docker", "DockerTarget", "docker"),
    "kubernetes": (".kubernetes", "KubernetesTarget", "kubernetes"),
}
# The settings (common.<target>.*) that configure the provider a target creates for itself.
PROVIDER_SETTINGS = {"docker": ("host",), "kubernetes": ("kubeconfig", "context", "render_yaml_to")}


def passed_provider(opts: pulumi.ResourceOptions | None, target: str) -> pulumi.ProviderResource | None:
    """The caller's provider for the target's package, from `opts.provider` or `opts.providers`."""
    if opts is None:
        return None
    candidates = [opts.provider] if opts.provider else []
    providers = opts.providers or []
    candidates += list(providers.values() if isinstance(providers, Mapping) else providers)
    package = TARGETS[target][2]
    return next((p for p in candidates if getattr(p, "package", None) == package), None)


def provider_conflicts(cfg: StackConfig, provider: pulumi.ProviderResource | None) -> list[tuple[str, str]]:
    """Provider settings in the config that a passed provider would silently override."""
    target = cfg.common.target
    if provider is None:
        return []
    section = getattr(cfg.common, target)
    return [
        (
            f"common.{target}.{key}",
            "configures the stack's own provider; with a provider passed in opts, leave it unset",
        )
        for key in PROVIDER_SETTINGS[target]
        if getattr(section, key) is not None
    ]


def make_target(
    cfg: StackConfig,
    parent: pulumi.Resource | None,
    provider: pulumi.ProviderResource | None = None,
    name: str = DEFAULT_NAMES.stack,
):
    """The configured target. With `provider`, its resources go through that provider and the target
    creates none of its own; `parent` parents the network or namespace it creates. `name` scopes the
    names of every resource it registers (`<name>-network`, `<name>-prometheus`): targets in one
    program need names of their own (components/naming.py)."""
    module, class_name, _ = TARGETS[cfg.common.target]
    return getattr(importlib.import_module(module, __package__), class_name)(cfg, parent, provider, Names(name))

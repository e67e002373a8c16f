"""Targets: each turns a target-neutral Workload into one platform's resources."""

from __future__ import annotations

import importlib

import pulumi

from observability_stack.configs.models.stack import StackConfig

# Target name (common.target) -> module and class. Imported on use: a Docker stack needs no
# Kubernetes SDK import, and the reverse.
TARGETS = {
    "docker": (".docker", "DockerTarget"),
    "kubernetes": (".kubernetes", "KubernetesTarget"),
}


def make_target(cfg: StackConfig, parent: pulumi.Resource):
    module, name = TARGETS[cfg.common.target]
    return getattr(importlib.import_module(module, __package__), name)(cfg, parent)

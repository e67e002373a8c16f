"""Shared by tests/test_kubernetes_*.py: run the prod stack (Kubernetes) under mocks and read its objects."""

from __future__ import annotations

import copy
import json

from conftest import SECRETS, stack_config
from pulumi.runtime.sync_await import _sync_await

from observability_stack.configs import registry
from tools.harness.mockrun import Run, run_program

# The services prod runs on Kubernetes: cAdvisor is Docker's only (the kubelet embeds it).
SERVICES = [
    "prometheus",
    "alertmanager",
    "grafana",
    "loki",
    "promtail",
    "jaeger",
    "node-exporter",
    "kube-state-metrics",
]
COMPONENT = {s: "observability:index:" + registry.registered(s).title for s in SERVICES}
STACK_TYPE = "observability:index:ObservabilityStack"
PROVIDER = "pulumi:providers:kubernetes"
STS, DEPLOY, DS = "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:DaemonSet"
WORKLOADS = (STS, DEPLOY, DS)
SVC, CM, SECRET = "kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret"
PVC, NS, SA = (
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:Namespace",
    "kubernetes:core/v1:ServiceAccount",
)
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
PVC_PATCH = "kubernetes:core/v1:PersistentVolumeClaimPatch"
NETPOL, INGRESS = "kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:networking.k8s.io/v1:Ingress"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"


def merge(config: dict, section: str, **values) -> dict:
    """A copy of `config` with `observability:<section>` updated (nested dicts merged one level)."""
    config = copy.deepcopy(config)
    key = f"observability:{section}"
    current = config.get(key) or {}
    if isinstance(current, str):
        current = json.loads(current)
    for name, value in values.items():
        if isinstance(value, dict) and isinstance(current.get(name), dict):
            current[name] = {**current[name], **value}
        else:
            current[name] = value
    config[key] = current
    return config


def prod_config(secrets: bool = True) -> dict:
    extra = {"observability:secrets": dict(SECRETS)} if secrets else {}
    return stack_config("prod", **extra)


def run_prod(config: dict | None = None, reveal: bool = False) -> Run:
    return run_program(config if config is not None else prod_config(), stack="prod", reveal_secrets=reveal)


def k8s_records(run: Run) -> list:
    return [r for r in run.records if r.type.startswith("kubernetes:")]


def workloads(run: Run) -> dict:
    """Service name -> its StatefulSet/Deployment/DaemonSet record."""
    found = {r.short: r for r in run.records if r.type in WORKLOADS}
    assert len(found) == len([r for r in run.records if r.type in WORKLOADS])
    return found


def pod_spec(record) -> dict:
    return record.inputs["spec"]["template"]["spec"]


def container(record) -> dict:
    (only,) = pod_spec(record)["containers"]
    return only


def pod_annotations(record) -> dict:
    return record.inputs["spec"]["template"]["metadata"].get("annotations", {})


def resolve(output):
    return _sync_await(output.future())

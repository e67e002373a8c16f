"""NetworkPolicies and RBAC derived from a Workload: its ports' allowed sources and its API rules."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..naming import Child
from ..workload import Workload

meta = k8s.meta.v1
net = k8s.networking.v1
rbac = k8s.rbac.v1

NAME_LABEL = "app.kubernetes.io/name"
# Set by Kubernetes (1.21+) on every namespace: selects a namespace by name without our own labels.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
ANYONE = "*"


PSA = "pod-security.kubernetes.io"


def pod_security_labels(node_access: bool) -> dict[str, str]:
    """Pod Security Admission for the stack's namespace: `restricted`, enforced, where every pod qualifies.

    A log collector on the node (promtail) needs hostPath mounts of the node's log directories and
    reads them as root; both are refused by the `baseline` level already, so with it the namespace
    cannot enforce any level. It is then `privileged` for enforcement, with `restricted` still warned
    and audited, so any other pod that falls short shows in every apply and in the audit log. Move the
    collector to its own namespace (or disable it) to enforce `restricted` here."""
    if not node_access:
        return {f"{PSA}/enforce": "restricted", f"{PSA}/warn": "restricted", f"{PSA}/audit": "restricted"}
    return {f"{PSA}/enforce": "privileged", f"{PSA}/warn": "restricted", f"{PSA}/audit": "restricted"}


def default_deny(
    namespace: pulumi.Input[str],
    labels: dict,
    child: dict[str, Any],
    only: dict[str, str] | None = None,
    name: str = "default-deny-ingress",
) -> net.NetworkPolicy:
    """No pod in the namespace (or, with `only`, no pod with those labels) accepts a connection that a
    per-service policy does not allow. `child`: its resource name and options (components/naming.py)."""
    return net.NetworkPolicy(
        **child,
        metadata=meta.ObjectMetaArgs(name=name, namespace=namespace, labels=labels),
        spec=net.NetworkPolicySpecArgs(
            pod_selector=meta.LabelSelectorArgs(match_labels=only), policy_types=["Ingress"]
        ),
    )


def allowed_sources(w: Workload, enabled: list[str], ui_ingress: set[str]) -> dict[str, list[str]]:
    """Port name -> sources: enabled service names, ANYONE, or "ingress" (the controller's namespace).
    Prometheus reaches every metrics port; the ingress controller reaches the UI ports it serves."""
    sources: dict[str, list[str]] = {}
    for port in w.ports:
        names = list(port.allowed_from)
        if port.name == w.metrics_port and "prometheus" not in names:
            names.append("prometheus")
        if port.name in ui_ingress:
            names.append("ingress")
        if ANYONE in names:
            names = [ANYONE]
        else:
            names = sorted({n for n in names if n in enabled or n == "ingress"})
        if names:
            sources[port.name] = names
    return sources


def workload_policy(
    w: Workload,
    namespace: pulumi.Input[str],
    labels: dict,
    selector: dict,
    enabled: list[str],
    ui_ingress: set[str],
    controller_namespace: str,
    child: dict[str, Any],
) -> net.NetworkPolicy | None:
    by_port = {p.name: p for p in w.ports}
    rules = []
    for port_name, sources in sorted(allowed_sources(w, enabled, ui_ingress).items()):
        port = by_port[port_name]
        peers = None  # no `from`: any source, in or out of the cluster
        if sources != [ANYONE]:
            peers = [
                net.NetworkPolicyPeerArgs(
                    namespace_selector=meta.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: controller_namespace})
                )
                if source == "ingress"
                # A podSelector alone selects pods in this policy's own namespace.
                else net.NetworkPolicyPeerArgs(
                    pod_selector=meta.LabelSelectorArgs(
                        match_labels={**{k: v for k, v in selector.items() if k != NAME_LABEL}, NAME_LABEL: source}
                    )
                )
                for source in sources
            ]
        rules.append(
            net.NetworkPolicyIngressRuleArgs(
                from_=peers, ports=[net.NetworkPolicyPortArgs(port=port.port, protocol=port.protocol)]
            )
        )
    if not rules:
        return None  # nothing may reach it: the namespace's default deny already says so
    return net.NetworkPolicy(
        **child,
        metadata=meta.ObjectMetaArgs(name=w.service, namespace=namespace, labels=labels),
        spec=net.NetworkPolicySpecArgs(
            pod_selector=meta.LabelSelectorArgs(match_labels=selector), policy_types=["Ingress"], ingress=rules
        ),
    )


def cluster_rbac(
    w: Workload, namespace: pulumi.Input[str], prefix: str, labels: dict, child: Child
) -> list[pulumi.CustomResource]:
    """A ClusterRole with the workload's rules, bound to its ServiceAccount. Cluster-scoped names carry
    the namespace so two stacks on one cluster do not overwrite each other's roles."""
    if not w.api_rules:
        return []
    name = f"{prefix}-{w.service}"
    rules = [
        rbac.PolicyRuleArgs(
            api_groups=list(r.api_groups) if r.resources else None,
            resources=list(r.resources) or None,
            verbs=list(r.verbs),
            non_resource_urls=list(r.non_resource_urls) or None,
        )
        for r in w.api_rules
    ]
    role = rbac.ClusterRole(**child(w.service), metadata=meta.ObjectMetaArgs(name=name, labels=labels), rules=rules)
    binding = rbac.ClusterRoleBinding(
        **child(w.service, depends_on=[role]),
        metadata=meta.ObjectMetaArgs(name=name, labels=labels),
        role_ref=rbac.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=name),
        subjects=[rbac.SubjectArgs(kind="ServiceAccount", name=w.service, namespace=namespace)],
    )
    return [role, binding]

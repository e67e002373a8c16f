"""Prometheus and Alertmanager alone, through your own Kubernetes provider, into a namespace you own."""

import pulumi
import pulumi_kubernetes as k8s

import observability_stack as obs


def deploy(provider: k8s.Provider, namespace: str, slack_webhook: pulumi.Input[str]) -> obs.ObservabilityStack:
    config = {
        "common": {
            "target": "kubernetes",
            # On Kubernetes the prefix is the namespace; it exists already, so the stack leaves it alone.
            "name_prefix": namespace,
            "kubernetes": {"create_namespace": False},
        },
        "prometheus": {"retention": "7d", "storage_size": "20Gi"},
        # The package ships no integration: this receiver is where every alert goes.
        "alertmanager": {
            "replicas": 1,
            "receivers": [{"name": "default", "slack": {"webhook_secret": "slack_webhook_url", "channel": "#alerts"}}],
        },
        "grafana": {"enabled": False},
        "loki": {"enabled": False},
        "promtail": {"enabled": False},
        "jaeger": {"enabled": False},
        "node_exporter": {"enabled": False},
        "kube_state_metrics": {"enabled": False},
    }
    return obs.ObservabilityStack(
        "monitoring",
        obs.StackArgs(config=config, secrets={"slack_webhook_url": slack_webhook}),
        # Every Kubernetes object goes through this provider; the stack creates none of its own.
        pulumi.ResourceOptions(providers=[provider]),
    )

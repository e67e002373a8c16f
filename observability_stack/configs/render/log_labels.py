"""The labels every log line gets, whichever collector ships it (promtail or Alloy): one definition,
in Prometheus relabel-config form, that each collector's renderer writes in its own syntax."""

from __future__ import annotations

from typing import Any

DOCKER_SOCKET = "/var/run/docker.sock"
# Kubernetes keeps each container's log under /var/log/pods/<namespace>_<pod>_<uid>/<container>/.
POD_LOGS = "/var/log/pods"

DOCKER_RELABEL: list[dict[str, Any]] = [
    {"source_labels": ["__meta_docker_container_name"], "regex": "/(.*)", "target_label": "container"},
    {"source_labels": ["__meta_docker_container_log_stream"], "target_label": "stream"},
    {"source_labels": ["__meta_docker_container_label_observability_service"], "target_label": "service"},
    {"target_label": "job", "replacement": "docker"},
]

POD_RELABEL: list[dict[str, Any]] = [
    {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
    {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
    {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
    {"source_labels": ["__meta_kubernetes_pod_container_name"], "target_label": "container"},
    {"source_labels": ["namespace", "pod"], "separator": "/", "target_label": "job"},
    {
        "source_labels": ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"],
        "separator": "/",
        "replacement": POD_LOGS + "/*$1/*.log",
        "target_label": "__path__",
    },
]

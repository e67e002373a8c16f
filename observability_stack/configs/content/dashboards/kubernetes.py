"""Kubernetes dashboards: the cluster, namespaces and their workloads, pods, nodes and persistent
volumes, from what the cluster rules (content/cluster_rules.py) watch. Each panel is there only when
its series are scraped: the kubelet's jobs (`prometheus.cluster.kubelet`: kubelet, kubelet-cadvisor,
kubelet-probes), the API server's and CoreDNS's, and kube-state-metrics with the collector that
exports them. A dashboard with no panel left is not shipped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from observability_stack.configs.content.dashboards.builder import (
    Dashboard,
    Panel,
    Row,
    Target,
    Threshold,
    Variable,
)

RATE = "$__rate_interval"
KUBELET, CADVISOR, PROBES = 'job="kubelet"', 'job="kubelet-cadvisor"', 'job="kubelet-probes"'
APISERVER, COREDNS = 'job="apiserver"', 'job="coredns"'
# cAdvisor's series of containers: not the pod's own cgroup (container="") nor a pause container.
CONTAINERS = f'{CADVISOR}, container!="", container!="POD"'
# A node's root cgroup: everything that runs on it.
NODE_ROOT = f'{CADVISOR}, id="/"'
NS, POD, NODE = "namespace", "pod", "node"
RED_AT_1 = (Threshold("green"), Threshold("red", 1))


@dataclass(frozen=True)
class ClusterSources:
    """What of the cluster is scraped (configs/render/rules.py::cluster_sources derives it from the config)."""

    kubelet: bool = False
    api_server: bool = False
    coredns: bool = False
    # kube-state-metrics' collectors; empty when it does not run.
    collectors: frozenset[str] = frozenset()
    # node-exporter runs (on Kubernetes a DaemonSet whose series carry the `node` label).
    node_exporter: bool = False

    def has(self, *collectors: str) -> bool:
        return all(c in self.collectors for c in collectors)


def _ts(title: str, targets: Iterable[Target], unit: str = "", width: int = 12, **kwargs) -> Panel:
    return Panel(title, "timeseries", tuple(targets), width=width, unit=unit, min=0, **kwargs)


def _stat(title: str, expr: str, legend: str, width: int = 4, **kwargs) -> Panel:
    kwargs.setdefault("thresholds", RED_AT_1)
    return Panel(title, "stat", (Target(expr, legend),), width=width, height=4, **kwargs)


def _table(title: str, expr: str, width: int = 12, **kwargs) -> Panel:
    return Panel(title, "table", (Target(expr, instant=True),), width=width, **kwargs)


def _rows(*rows: tuple[str, list[Panel]]) -> list[Row]:
    return [Row(title, tuple(panels)) for title, panels in rows if panels]


def _dashboard(title: str, rows: list[Row], variables: tuple[Variable, ...], description: str) -> Dashboard | None:
    if not rows:
        return None
    return Dashboard(title, ("kubernetes",), rows, time_from="now-6h", description=description, variables=variables)


# The series each label variable lists its values from: the first that is scraped.
def _namespace(src: ClusterSources) -> Variable:
    for collector, selector in (
        ("namespaces", "kube_namespace_status_phase"),
        ("pods", "kube_pod_info"),
        ("persistentvolumeclaims", "kube_persistentvolumeclaim_info"),
    ):
        if src.has(collector):
            return Variable(NS, selector)
    if src.kubelet:
        return Variable(NS, f"container_memory_working_set_bytes{{{CONTAINERS}}}")
    return Variable(NS, "kube_deployment_spec_replicas")


def _pod(src: ClusterSources) -> Variable:
    if src.has("pods"):
        return Variable(POD, 'kube_pod_info{namespace=~"$namespace"}')
    return Variable(POD, f'container_memory_working_set_bytes{{{CONTAINERS}, namespace=~"$namespace"}}')


def _node(src: ClusterSources) -> Variable:
    if src.has("nodes"):
        return Variable(NODE, "kube_node_info")
    if src.kubelet:
        return Variable(NODE, f"up{{{KUBELET}}}")
    return Variable(NODE, "kube_pod_info")


def _control_plane(src: ClusterSources) -> list[Panel]:
    panels = []
    if src.api_server:
        panels += [
            _stat(
                "API servers up", f"sum(up{{{APISERVER}}})", "up", thresholds=(Threshold("red"), Threshold("green", 1))
            ),
            _ts(
                "API requests by code",
                (Target(f"sum by (code) (rate(apiserver_request_total{{{APISERVER}}}[{RATE}]))", "{{code}}"),),
                "reqps",
                width=7,
            ),
            _ts(
                "API 5xx ratio",
                (
                    Target(
                        f'sum(rate(apiserver_request_total{{{APISERVER}, code=~"5.."}}[{RATE}]))'
                        f" / sum(rate(apiserver_request_total{{{APISERVER}}}[{RATE}]))",
                        "5xx",
                    ),
                ),
                "percentunit",
                width=6,
                thresholds=(Threshold("green"), Threshold("red", 0.05)),
            ),
            _ts(
                "API p99 latency by verb",
                (
                    Target(
                        "histogram_quantile(0.99, sum by (verb, le) (rate(apiserver_request_duration_seconds_bucket"
                        f'{{{APISERVER}, verb!~"WATCH|CONNECT", subresource!~"proxy|log|exec|attach|portforward"}}'
                        f"[{RATE}])))",
                        "{{verb}}",
                    ),
                ),
                "s",
                width=7,
            ),
        ]
    if src.coredns:
        panels += [
            _ts(
                "DNS requests",
                (Target(f"sum by (type) (rate(coredns_dns_requests_total{{{COREDNS}}}[{RATE}]))", "{{type}}"),),
                "reqps",
                width=8,
            ),
            _ts(
                "DNS SERVFAIL ratio",
                (
                    Target(
                        f'sum(rate(coredns_dns_responses_total{{{COREDNS}, rcode="SERVFAIL"}}[{RATE}]))'
                        f" / sum(rate(coredns_dns_responses_total{{{COREDNS}}}[{RATE}]))",
                        "SERVFAIL",
                    ),
                ),
                "percentunit",
                width=8,
                thresholds=(Threshold("green"), Threshold("red", 0.03)),
            ),
            _ts(
                "DNS p99 latency",
                (
                    Target(
                        "histogram_quantile(0.99, sum by (server, le) "
                        f"(rate(coredns_dns_request_duration_seconds_bucket{{{COREDNS}}}[{RATE}])))",
                        "{{server}}",
                    ),
                ),
                "s",
                width=8,
            ),
        ]
    return [_ignoring_namespace(p) for p in panels]


def _ignoring_namespace(panel: Panel) -> Panel:
    """The panel on a namespaced dashboard, reading series of no namespace (nodes, the control plane)."""
    return replace(panel, ignores=(*panel.ignores, NS))


def _cluster_nodes(src: ClusterSources) -> list[Panel]:
    panels = []
    if src.has("nodes"):
        panels += [
            _stat("Nodes", "count(kube_node_info)", "nodes", thresholds=()),
            _stat(
                "Nodes not ready",
                'count(kube_node_status_condition{condition="Ready", status="true"} == 0) or vector(0)',
                "not ready",
            ),
            _stat("Nodes unschedulable", "sum(kube_node_spec_unschedulable) or vector(0)", "cordoned"),
        ]
    if src.kubelet:
        panels.append(
            _stat(
                "Kubelets down",
                f"count(up{{{KUBELET}}} == 0) or vector(0)",
                "down",
            )
        )
    if src.has("nodes", "pods"):
        for name, resource in (("CPU", "cpu"), ("Memory", "memory")):
            panels.append(
                Panel(
                    f"{name} requested of allocatable",
                    "gauge",
                    (
                        Target(
                            f'sum(kube_pod_container_resource_requests{{resource="{resource}"}})'
                            f' / sum(kube_node_status_allocatable{{resource="{resource}"}})',
                            "requested",
                        ),
                    ),
                    width=4,
                    height=4,
                    unit="percentunit",
                    min=0,
                    max=1,
                    thresholds=(Threshold("green"), Threshold("orange", 0.8), Threshold("red", 0.95)),
                )
            )
    if src.kubelet and src.has("nodes"):
        panels += [
            _ts(
                "CPU used of allocatable",
                (
                    Target(
                        f"sum(rate(container_cpu_usage_seconds_total{{{NODE_ROOT}}}[{RATE}]))"
                        ' / sum(kube_node_status_allocatable{resource="cpu"})',
                        "used",
                    ),
                ),
                "percentunit",
            ),
            _ts(
                "Memory used of allocatable",
                (
                    Target(
                        f"sum(container_memory_working_set_bytes{{{NODE_ROOT}}})"
                        ' / sum(kube_node_status_allocatable{resource="memory"})',
                        "used",
                    ),
                ),
                "percentunit",
            ),
        ]
    return [_ignoring_namespace(p) for p in panels]


def _cluster_workloads(src: ClusterSources) -> list[Panel]:
    panels = []
    if src.has("pods"):
        panels += [
            _ts(
                "Pods by phase",
                (Target("sum by (phase) (kube_pod_status_phase)", "{{phase}}"),),
                width=8,
            ),
            _ts(
                "Pods not ready",
                (
                    # A finished pod (a Job's) stays Ready=false until it is deleted: done, not failing.
                    Target(
                        'count by (namespace) ((kube_pod_status_ready{condition="false"} == 1)'
                        ' unless on (namespace, pod) (kube_pod_status_phase{phase="Succeeded"} == 1))',
                        "{{namespace}}",
                    ),
                ),
                width=8,
            ),
            _ts(
                "Container restarts (1h)",
                (
                    Target(
                        "sum by (namespace) (increase(kube_pod_container_status_restarts_total[1h])) > 0",
                        "{{namespace}}",
                    ),
                ),
                width=8,
            ),
        ]
    unavailable = []
    if src.has("deployments"):
        unavailable.append(
            Target(
                "count by (namespace) (kube_deployment_spec_replicas > kube_deployment_status_replicas_available)",
                "deployments {{namespace}}",
            )
        )
    if src.has("statefulsets"):
        unavailable.append(
            Target(
                "count by (namespace) (kube_statefulset_replicas > kube_statefulset_status_replicas_ready)",
                "statefulsets {{namespace}}",
            )
        )
    if src.has("daemonsets"):
        unavailable.append(
            Target(
                "count by (namespace) (kube_daemonset_status_desired_number_scheduled"
                " > kube_daemonset_status_number_ready)",
                "daemonsets {{namespace}}",
            )
        )
    if unavailable:
        panels.append(
            _ts(
                "Workloads short of replicas",
                unavailable,
                width=12,
                description="Deployments, StatefulSets and DaemonSets with fewer ready or available replicas "
                "than they want",
            )
        )
    if src.has("jobs"):
        panels.append(
            _ts(
                "Failed Jobs",
                (Target('count by (namespace) (kube_job_failed{condition="true"} == 1)', "{{namespace}}"),),
                width=12,
            )
        )
    return panels


def cluster_dashboard(src: ClusterSources) -> Dashboard | None:
    rows = _rows(
        ("Control plane", _control_plane(src)),
        ("Nodes and capacity", _cluster_nodes(src)),
        ("Workloads", _cluster_workloads(src)),
    )
    return _dashboard(
        "Kubernetes Cluster",
        rows,
        (_namespace(src),),
        "The API server, CoreDNS, the nodes' capacity and the workloads' health across the cluster",
    )


def _usage(src: ClusterSources, by: str, legend: str) -> list[Panel]:
    """CPU, memory and network of containers, summed by `by`, with requests and limits when known."""
    if not src.kubelet:
        return []
    cpu = [Target(f"sum by ({by}) (rate(container_cpu_usage_seconds_total{{{CONTAINERS}}}[{RATE}]))", legend)]
    memory = [Target(f"sum by ({by}) (container_memory_working_set_bytes{{{CONTAINERS}}})", legend)]
    if src.has("pods"):
        for kind in ("requests", "limits"):
            cpu.append(
                Target(f'sum by ({by}) (kube_pod_container_resource_{kind}{{resource="cpu"}})', f"{legend} {kind}")
            )
            memory.append(
                Target(f'sum by ({by}) (kube_pod_container_resource_{kind}{{resource="memory"}})', f"{legend} {kind}")
            )
    network_by = by.replace(", container", "")
    network_legend = legend.replace(" {{container}}", "")
    return [
        _ts("CPU used", cpu, "short"),
        _ts("Memory working set", memory, "bytes"),
        _ts(
            "CPU throttled",
            (
                Target(
                    f"sum by ({by}) (rate(container_cpu_cfs_throttled_periods_total{{{CONTAINERS}}}[{RATE}]))"
                    f" / sum by ({by}) (rate(container_cpu_cfs_periods_total{{{CONTAINERS}}}[{RATE}]))",
                    legend,
                ),
            ),
            "percentunit",
            width=8,
            thresholds=(Threshold("green"), Threshold("orange", 0.25)),
            description="Share of CFS periods in which the containers hit their CPU limit",
        ),
        _ts(
            "Network received",
            (
                Target(
                    f"sum by ({network_by}) (rate(container_network_receive_bytes_total{{{CADVISOR}}}[{RATE}]))",
                    network_legend,
                ),
            ),
            "Bps",
            width=8,
        ),
        _ts(
            "Network sent",
            (
                Target(
                    f"sum by ({network_by}) (rate(container_network_transmit_bytes_total{{{CADVISOR}}}[{RATE}]))",
                    network_legend,
                ),
            ),
            "Bps",
            width=8,
        ),
    ]


def _replicas(src: ClusterSources) -> list[Panel]:
    panels = []
    for collector, title, ratio, label in (
        (
            "deployments",
            "Deployments: available of desired",
            "kube_deployment_status_replicas_available / (kube_deployment_spec_replicas > 0)",
            "deployment",
        ),
        (
            "statefulsets",
            "StatefulSets: ready of desired",
            "kube_statefulset_status_replicas_ready / (kube_statefulset_replicas > 0)",
            "statefulset",
        ),
        (
            "daemonsets",
            "DaemonSets: ready of scheduled",
            "kube_daemonset_status_number_ready / (kube_daemonset_status_desired_number_scheduled > 0)",
            "daemonset",
        ),
    ):
        if src.has(collector):
            panels.append(
                _ts(
                    title,
                    (Target(ratio, f"{{{{namespace}}}}/{{{{{label}}}}}"),),
                    "percentunit",
                    width=8,
                    max=1,
                    thresholds=(Threshold("red"), Threshold("green", 1)),
                )
            )
    if src.has("deployments"):
        panels.append(
            _table(
                "Rollouts not progressing",
                'kube_deployment_status_condition{condition="Progressing", status="false"} == 1',
                width=8,
            )
        )
    if src.has("daemonsets"):
        panels.append(_table("DaemonSet pods misscheduled", "kube_daemonset_status_number_misscheduled > 0", width=8))
    if src.has("horizontalpodautoscalers"):
        panels.append(
            _ts(
                "HPA replicas of maximum",
                (
                    Target(
                        "kube_horizontalpodautoscaler_status_current_replicas"
                        " / kube_horizontalpodautoscaler_spec_max_replicas",
                        "{{namespace}}/{{horizontalpodautoscaler}}",
                    ),
                ),
                "percentunit",
                width=8,
                max=1,
            )
        )
    return panels


def _batch(src: ClusterSources) -> list[Panel]:
    panels = []
    if src.has("jobs"):
        panels += [
            _ts(
                "Job pods active",
                (Target("sum by (namespace, job_name) (kube_job_status_active) > 0", "{{namespace}}/{{job_name}}"),),
                width=8,
            ),
            _table("Failed Jobs", 'kube_job_failed{condition="true"} == 1', width=8),
        ]
    if src.has("cronjobs"):
        panels.append(
            _table(
                "CronJobs: time since last schedule",
                "time() - kube_cronjob_status_last_schedule_time",
                width=8,
                unit="s",
            )
        )
    if src.has("resourcequotas"):
        panels.append(
            _ts(
                "Resource quota used",
                (
                    Target(
                        'kube_resourcequota{type="used"} / ignoring (type) (kube_resourcequota{type="hard"} > 0)',
                        "{{namespace}} {{resourcequota}} {{resource}}",
                    ),
                ),
                "percentunit",
                max=1,
                thresholds=(Threshold("green"), Threshold("orange", 0.9)),
            )
        )
    return panels


def workloads_dashboard(src: ClusterSources) -> Dashboard | None:
    rows = _rows(
        ("Resources by namespace", _usage(src, "namespace", "{{namespace}}")),
        ("Replicas", _replicas(src)),
        ("Jobs and quotas", _batch(src)),
    )
    return _dashboard(
        "Kubernetes Namespaces and Workloads",
        rows,
        (_namespace(src),),
        "Resource use per namespace, and whether its Deployments, StatefulSets, DaemonSets and Jobs are whole",
    )


def _pod_status(src: ClusterSources) -> list[Panel]:
    if not src.has("pods"):
        return []
    return [
        _table("Phase", "sum by (namespace, pod, phase) (kube_pod_status_phase) > 0", width=8),
        _ts(
            "Not ready",
            (
                Target(
                    'sum by (namespace, pod) (kube_pod_status_ready{condition="false"}) > 0', "{{namespace}}/{{pod}}"
                ),
            ),
            width=8,
        ),
        _ts(
            "Container restarts (1h)",
            (
                Target(
                    "sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total[1h])) > 0",
                    "{{pod}} {{container}}",
                ),
            ),
            width=8,
        ),
        _table(
            "Containers waiting",
            "sum by (namespace, pod, container, reason) (kube_pod_container_status_waiting_reason) > 0",
        ),
        _table(
            "Last termination reason",
            "sum by (namespace, pod, container, reason) (kube_pod_container_status_last_terminated_reason) > 0",
        ),
    ]


def _probes(src: ClusterSources) -> list[Panel]:
    if not src.kubelet:
        return []
    return [
        _ts(
            "Probe failures",
            (
                Target(
                    "sum by (pod, container, probe_type) "
                    f'(rate(prober_probe_total{{{PROBES}, result!="successful"}}[{RATE}])) > 0',
                    "{{pod}} {{container}} {{probe_type}}",
                ),
            ),
            "ops",
            width=24,
            description="Liveness, readiness and startup probes that failed, from the kubelet's /metrics/probes",
        )
    ]


def pods_dashboard(src: ClusterSources) -> Dashboard | None:
    rows = _rows(
        ("Status", _pod_status(src)),
        ("Resources by container", _usage(src, "pod, container", "{{pod}} {{container}}")),
        ("Probes", _probes(src)),
    )
    return _dashboard(
        "Kubernetes Pods",
        rows,
        (_namespace(src), _pod(src)),
        "A namespace's pods: phase, readiness, restarts, waiting reasons, resources and probes",
    )


def _node_status(src: ClusterSources) -> list[Panel]:
    panels = []
    if src.has("nodes"):
        panels += [
            _table(
                "Conditions not as they should be",
                '(kube_node_status_condition{condition="Ready", status="true"} == 0)'
                ' or (kube_node_status_condition{condition!="Ready", status="true"} == 1)',
            ),
            _table(
                "Taints",
                "kube_node_spec_taint == 1",
            ),
        ]
    if src.kubelet:
        pods = [Target(f"max by (node) (kubelet_running_pods{{{KUBELET}}})", "{{node}}")]
        if src.has("nodes"):
            pods.append(Target('max by (node) (kube_node_status_capacity{resource="pods"})', "{{node}} capacity"))
        panels += [
            _ts("Running pods", pods, width=12),
            _ts(
                "Kubelet PLEG relist p99",
                (
                    Target(
                        "histogram_quantile(0.99, sum by (node, le) "
                        f"(rate(kubelet_pleg_relist_duration_seconds_bucket{{{KUBELET}}}[{RATE}])))",
                        "{{node}}",
                    ),
                ),
                "s",
                width=12,
            ),
            _ts(
                "Container runtime errors",
                (
                    Target(
                        "sum by (node, operation_type) "
                        f"(rate(kubelet_runtime_operations_errors_total{{{KUBELET}}}[{RATE}]))",
                        "{{node}} {{operation_type}}",
                    ),
                ),
                "ops",
                width=12,
            ),
            _ts(
                "Kubelet client certificate expires in",
                (Target(f"min by (node) (kubelet_certificate_manager_client_ttl_seconds{{{KUBELET}}})", "{{node}}"),),
                "s",
                width=12,
            ),
        ]
    return panels


def _node_resources(src: ClusterSources) -> list[Panel]:
    panels = []
    if src.kubelet:
        cpu = [Target(f"sum by (node) (rate(container_cpu_usage_seconds_total{{{NODE_ROOT}}}[{RATE}]))", "{{node}}")]
        memory = [Target(f"sum by (node) (container_memory_working_set_bytes{{{NODE_ROOT}}})", "{{node}}")]
        if src.has("nodes"):
            cpu.append(Target('sum by (node) (kube_node_status_allocatable{resource="cpu"})', "{{node}} allocatable"))
            memory.append(
                Target('sum by (node) (kube_node_status_allocatable{resource="memory"})', "{{node}} allocatable")
            )
        panels += [_ts("CPU used", cpu, "short"), _ts("Memory working set", memory, "bytes")]
    if src.has("nodes", "pods"):
        panels += [
            _ts(
                f"{name} requested of allocatable",
                (
                    Target(
                        f'sum by (node) (kube_pod_container_resource_requests{{resource="{resource}"}})'
                        f' / sum by (node) (kube_node_status_allocatable{{resource="{resource}"}})',
                        "{{node}}",
                    ),
                ),
                "percentunit",
                thresholds=(Threshold("green"), Threshold("orange", 0.8), Threshold("red", 0.95)),
            )
            for name, resource in (("CPU", "cpu"), ("Memory", "memory"))
        ]
    # The hosts under the nodes, beside what the cluster says of them (alone, hosts.json has them).
    if src.node_exporter and (src.kubelet or src.has("nodes")):
        panels += [
            _ts(
                "Host CPU busy",
                (
                    Target(
                        f'1 - avg by (node) (rate(node_cpu_seconds_total{{mode="idle"}}[{RATE}]))',
                        "{{node}}",
                    ),
                ),
                "percentunit",
                max=1,
            ),
            _ts(
                "Host memory available",
                (
                    Target(
                        "sum by (node) (node_memory_MemAvailable_bytes) / sum by (node) (node_memory_MemTotal_bytes)",
                        "{{node}}",
                    ),
                ),
                "percentunit",
                max=1,
            ),
        ]
    return panels


def nodes_dashboard(src: ClusterSources) -> Dashboard | None:
    rows = _rows(("Status and kubelet", _node_status(src)), ("Resources", _node_resources(src)))
    return _dashboard(
        "Kubernetes Nodes",
        rows,
        (_node(src),),
        "Node conditions and taints, the kubelet's health, and what runs on each node of what it offers",
    )


def _volume_usage(src: ClusterSources) -> list[Panel]:
    if not src.kubelet:
        return []
    claim = "{{namespace}}/{{persistentvolumeclaim}}"
    return [
        Panel(
            "Space left",
            "gauge",
            (
                Target(
                    "kubelet_volume_stats_available_bytes / (kubelet_volume_stats_capacity_bytes > 0)",
                    claim,
                ),
            ),
            width=12,
            unit="percentunit",
            min=0,
            max=1,
            thresholds=(Threshold("red"), Threshold("orange", 0.03), Threshold("green", 0.15)),
        ),
        _ts(
            "Space used",
            (Target("kubelet_volume_stats_used_bytes", claim),),
            "bytes",
        ),
        _ts(
            "Inodes used",
            (Target("kubelet_volume_stats_inodes_used / (kubelet_volume_stats_inodes > 0)", claim),),
            "percentunit",
            max=1,
        ),
        _table(
            "Full within 4 days (at the last 6 hours' rate)",
            "kubelet_volume_stats_available_bytes / (kubelet_volume_stats_capacity_bytes > 0) < 0.15"
            " and predict_linear(kubelet_volume_stats_available_bytes[6h], 4 * 24 * 3600) < 0",
        ),
    ]


def _claims(src: ClusterSources) -> list[Panel]:
    panels = []
    if src.has("persistentvolumeclaims"):
        panels += [
            _table("Claims not bound", 'kube_persistentvolumeclaim_status_phase{phase!="Bound"} == 1'),
            _ts(
                "Storage requested",
                (
                    Target(
                        "sum by (namespace) (kube_persistentvolumeclaim_resource_requests_storage_bytes)",
                        "{{namespace}}",
                    ),
                ),
                "bytes",
            ),
        ]
    if src.has("persistentvolumes"):
        panels += [
            _ignoring_namespace(
                _table("Volumes failed or pending", 'kube_persistentvolume_status_phase{phase=~"Failed|Pending"} == 1')
            ),
            _ignoring_namespace(
                _ts(
                    "Volume capacity by storage class",
                    (
                        Target(
                            "sum by (storageclass) (kube_persistentvolume_capacity_bytes"
                            " * on (persistentvolume) group_left (storageclass) kube_persistentvolume_info)",
                            "{{storageclass}}",
                        ),
                    ),
                    "bytes",
                )
            ),
        ]
    return panels


def persistent_volumes_dashboard(src: ClusterSources) -> Dashboard | None:
    rows = _rows(("Volume usage", _volume_usage(src)), ("Claims and volumes", _claims(src)))
    return _dashboard(
        "Kubernetes Persistent Volumes",
        rows,
        (_namespace(src),),
        "Space and inodes left on the claims' volumes (kubelet), their binding and capacity (kube-state-metrics)",
    )


# File name -> dashboard: the stable names of the Kubernetes folder's files.
_DASHBOARDS = {
    "cluster.json": cluster_dashboard,
    "workloads.json": workloads_dashboard,
    "pods.json": pods_dashboard,
    "nodes.json": nodes_dashboard,
    "persistent-volumes.json": persistent_volumes_dashboard,
}


def kubernetes_dashboards(src: ClusterSources) -> dict[str, Dashboard]:
    built = {name: build(src) for name, build in _DASHBOARDS.items()}
    return {name: dash for name, dash in built.items() if dash is not None}

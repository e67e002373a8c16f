"""Alerts on the Kubernetes cluster the stack runs on: its kubelets, API server and CoreDNS (the jobs of
`prometheus.cluster`, configs/render/prometheus.py) and its workloads (kube-state-metrics). Written for
this stack, not copied from the kubernetes-mixin: each group ships only when the series it reads are
scraped, so a cluster that cannot expose a target raises nothing about it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from .meta_rules import alert

CATEGORY = "kubernetes"
KUBELET, CADVISOR = 'job="kubelet"', 'job="kubelet-cadvisor"'
APISERVER, COREDNS = 'job="apiserver"', 'job="coredns"'
WHERE = "{{ $labels.namespace }}/{{ $labels.pod }}"


def _kubelet_rules(collectors: set[str]) -> list[dict]:
    rules = [
        alert(
            "KubeletDown",
            f"up{{{KUBELET}}} == 0 or absent(up{{{KUBELET}}})",
            "15m",
            "critical",
            "A kubelet cannot be scraped{{ with $labels.node }} (node {{ . }}){{ end }}",
            "Prometheus has not reached the kubelet for 15 minutes (or no kubelet is discovered): the node's "
            "pods, volumes and containers go unwatched",
            CATEGORY,
        ),
        alert(
            "KubePersistentVolumeFillingUp",
            "kubelet_volume_stats_available_bytes / (kubelet_volume_stats_capacity_bytes > 0) < 0.03",
            "1m",
            "critical",
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is almost full",
            "{{ $value | humanizePercentage }} of the claim's space is left",
            CATEGORY,
        ),
        alert(
            "KubePersistentVolumeFillingUpPredicted",
            "kubelet_volume_stats_available_bytes / (kubelet_volume_stats_capacity_bytes > 0) < 0.15"
            " and predict_linear(kubelet_volume_stats_available_bytes[6h], 4 * 24 * 3600) < 0",
            "1h",
            "warning",
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} fills within 4 days",
            "{{ $value | humanizePercentage }} is left and, at the last 6 hours' rate, none will be in 4 days",
            CATEGORY,
        ),
        alert(
            "KubeletClientCertificateExpiration",
            f"kubelet_certificate_manager_client_ttl_seconds{{{KUBELET}}} < 7 * 24 * 3600",
            "",
            "warning",
            "The kubelet client certificate of {{ $labels.node }} expires within 7 days",
            "It expires in {{ $value | humanizeDuration }}; a kubelet that cannot renew it loses the API server",
            CATEGORY,
        ),
        # Only kubelets with serverTLSBootstrap rotate (and report) their serving certificate.
        alert(
            "KubeletServerCertificateExpiration",
            f"kubelet_certificate_manager_server_ttl_seconds{{{KUBELET}}} < 7 * 24 * 3600",
            "",
            "warning",
            "The kubelet serving certificate of {{ $labels.node }} expires within 7 days",
            "It expires in {{ $value | humanizeDuration }}; once expired, the API server cannot reach the "
            "kubelet for logs, exec or metrics",
            CATEGORY,
        ),
        alert(
            "KubeCPUThrottlingHigh",
            f"sum by (namespace, pod, container) (increase(container_cpu_cfs_throttled_periods_total{{{CADVISOR}, "
            'container!=""}[5m]))'
            f" / sum by (namespace, pod, container) (increase(container_cpu_cfs_periods_total{{{CADVISOR}, "
            'container!=""}[5m])) > 0.25',
            "15m",
            "warning",
            f"{WHERE} ({{{{ $labels.container }}}}) is CPU-throttled",
            "{{ $value | humanizePercentage }} of its CPU periods were throttled: its limit is too low for its load",
            CATEGORY,
        ),
    ]
    if "nodes" in collectors:
        rules.append(
            alert(
                "KubeletTooManyPods",
                f"max by (node) (kubelet_running_pods{{{KUBELET}}})"
                ' / max by (node) (kube_node_status_capacity{resource="pods"}) > 0.95',
                "15m",
                "warning",
                "{{ $labels.node }} runs nearly as many pods as it can",
                "{{ $value | humanizePercentage }} of the node's pod capacity is used: new pods stay Pending",
                CATEGORY,
            )
        )
    if "pods" in collectors:
        rules.append(
            alert(
                "KubeContainerMemoryNearLimit",
                "max by (namespace, pod, container) (container_memory_working_set_bytes"
                f'{{{CADVISOR}, container!=""}}) / max by (namespace, pod, container) '
                '(kube_pod_container_resource_limits{resource="memory"}) > 0.9',
                "15m",
                "warning",
                f"{WHERE} ({{{{ $labels.container }}}}) is near its memory limit",
                "Its working set is {{ $value | humanizePercentage }} of its limit: the next spike is an OOM kill",
                CATEGORY,
            )
        )
    return rules


API_RATE = "code:apiserver_request_total:rate5m"


def _apiserver_rules() -> list[dict]:
    errors, requests = f'sum({API_RATE}{{code=~"5.."}})', f"sum({API_RATE})"
    hour = f'sum(sum_over_time({API_RATE}{{code=~"5.."}}[1h])) / sum(sum_over_time({API_RATE}[1h]))'
    return [
        # The raw counter has a series per resource, verb, scope and code (thousands per server): read
        # once, into one series per code, which both windows of the error alert then read.
        {"record": API_RATE, "expr": f"sum by (code) (rate(apiserver_request_total{{{APISERVER}}}[5m]))"},
        alert(
            "KubeAPIDown",
            f"up{{{APISERVER}}} == 0 or absent(up{{{APISERVER}}})",
            "5m",
            "critical",
            "The Kubernetes API server cannot be scraped",
            "No API server endpoint has answered Prometheus for 5 minutes",
            CATEGORY,
        ),
        # A fast and a slow window, as the SLO burn-rate alerts: a burst pages only while it lasts. The
        # hour's ratio is that of the hour's 5-minute rates summed, each weighted by its traffic.
        alert(
            "KubeAPIErrorsHigh",
            f"{errors} / {requests} > 0.05 and {hour} > 0.05",
            "5m",
            "critical",
            "The API server fails {{ $value | humanizePercentage }} of its requests",
            "More than 5 % of requests have failed with a 5xx over both the last 5 minutes and the last hour",
            CATEGORY,
        ),
        alert(
            "KubeAPILatencyHigh",
            "histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket"
            # Long-running requests (watches, exec, logs, proxies) are slow by design.
            f'{{{APISERVER}, verb!~"WATCH|CONNECT", subresource!~"proxy|log|exec|attach|portforward"}}[5m]))) > 1',
            "10m",
            "warning",
            "API server {{ $labels.verb }} requests are slow",
            "The 99th percentile of {{ $labels.verb }} requests is {{ $value | humanizeDuration }}",
            CATEGORY,
        ),
    ]


def _coredns_rules() -> list[dict]:
    return [
        # No absent(): a cluster with another DNS server has no CoreDNS to miss.
        alert(
            "CoreDNSDown",
            f"up{{{COREDNS}}} == 0",
            "5m",
            "critical",
            "CoreDNS {{ $labels.pod }} cannot be scraped",
            "A CoreDNS endpoint has not answered for 5 minutes: name resolution in the cluster may be failing",
            CATEGORY,
        ),
        alert(
            "CoreDNSErrorsHigh",
            f'sum(rate(coredns_dns_responses_total{{{COREDNS}, rcode="SERVFAIL"}}[5m]))'
            f" / sum(rate(coredns_dns_responses_total{{{COREDNS}}}[5m])) > 0.03",
            "10m",
            "warning",
            "CoreDNS answers {{ $value | humanizePercentage }} of queries with SERVFAIL",
            "More than 3 % of DNS answers are server failures: an upstream resolver or a plugin is failing",
            CATEGORY,
        ),
    ]


def _component_down(name: str, job: str, what: str) -> dict:
    # absent() too: the config says this component runs here, so finding no target is a failure.
    return alert(
        f"{name}Down",
        f'up{{job="{job}"}} == 0 or absent(up{{job="{job}"}})',
        "15m",
        "critical",
        f"{job} cannot be scraped",
        f"Prometheus has not reached {job} for 15 minutes, or found no such pod in kube-system: {what}. "
        "Where the cloud provider runs the control plane, set prometheus.cluster.control_plane.managed",
        CATEGORY,
    )


def _controller_manager_rules() -> list[dict]:
    return [
        _component_down(
            "KubeControllerManager",
            "kube-controller-manager",
            "Deployments, ReplicaSets, nodes and endpoints stop being reconciled",
        )
    ]


def _scheduler_rules() -> list[dict]:
    job = 'job="kube-scheduler"'
    return [
        _component_down("KubeScheduler", "kube-scheduler", "new pods stay Pending"),
        alert(
            "KubeSchedulerErrors",
            f'sum by (job) (rate(scheduler_schedule_attempts_total{{{job}, result="error"}}[5m])) > 0',
            "15m",
            "warning",
            "The scheduler fails to schedule pods",
            "Scheduling attempts end in an error (not in 'unschedulable'): {{ $value | humanize }} a second",
            CATEGORY,
        ),
    ]


def _etcd_rules() -> list[dict]:
    job = 'job="etcd"'
    quantile = "histogram_quantile(0.99, sum by (job, instance, le) (rate({metric}{{{job}}}[5m])))"
    return [
        _component_down("Etcd", "etcd", "the API server's store may be unavailable"),
        alert(
            "EtcdNoLeader",
            f"etcd_server_has_leader{{{job}}} == 0",
            "1m",
            "critical",
            "etcd member {{ $labels.instance }} has no leader",
            "Without a leader the member serves no writes: the API server cannot change anything through it",
            CATEGORY,
        ),
        alert(
            "EtcdLeaderChangesFrequent",
            f"increase(etcd_server_leader_changes_seen_total{{{job}}}[15m]) >= 4",
            "5m",
            "warning",
            "etcd changes leader often",
            "{{ $labels.instance }} saw {{ $value | humanize }} leader changes in 15 minutes: slow disks or "
            "an unstable network between members",
            CATEGORY,
        ),
        alert(
            "EtcdSlowWALFsync",
            quantile.format(metric="etcd_disk_wal_fsync_duration_seconds_bucket", job=job) + " > 0.5",
            "10m",
            "warning",
            "etcd's write-ahead log syncs slowly on {{ $labels.instance }}",
            "The 99th percentile WAL fsync takes {{ $value | humanizeDuration }}: the disk is too slow for etcd",
            CATEGORY,
        ),
        alert(
            "EtcdSlowBackendCommit",
            quantile.format(metric="etcd_disk_backend_commit_duration_seconds_bucket", job=job) + " > 0.25",
            "10m",
            "warning",
            "etcd commits slowly on {{ $labels.instance }}",
            "The 99th percentile backend commit takes {{ $value | humanizeDuration }}",
            CATEGORY,
        ),
        alert(
            "EtcdDatabaseNearQuota",
            f"etcd_mvcc_db_total_size_in_bytes{{{job}}} / etcd_server_quota_backend_bytes{{{job}}} > 0.9",
            "10m",
            "critical",
            "etcd's database on {{ $labels.instance }} is near its quota",
            "{{ $value | humanizePercentage }} of the backend quota is used; at 100 % etcd raises a NOSPACE "
            "alarm and refuses every write until it is compacted and defragmented",
            CATEGORY,
        ),
    ]


_CONTROL_PLANE = {"controller_manager": _controller_manager_rules, "scheduler": _scheduler_rules, "etcd": _etcd_rules}


# kube-state-metrics collector -> its workload alerts.
def _pods() -> list[dict]:
    return [
        alert(
            "KubePodNotReady",
            'sum by (namespace, pod) (max by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown"}))'
            ' > 0 or (sum by (namespace, pod) (kube_pod_status_ready{condition="false"}) > 0'
            # A finished pod (a Job's) stays Ready=false until it is deleted: it is done, not failing.
            ' unless on (namespace, pod) kube_pod_status_phase{phase="Succeeded"} == 1)',
            "15m",
            "warning",
            f"{WHERE} has not been ready for 15 minutes",
            "The pod is Pending, Unknown or failing its readiness probe: it receives no traffic",
            CATEGORY,
        ),
        alert(
            "KubeContainerOOMKilled",
            "(increase(kube_pod_container_status_restarts_total[10m]) > 0) and on (namespace, pod, container)"
            " (max by (namespace, pod, container)"
            ' (kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}) == 1)',
            "",
            "warning",
            f"{WHERE} ({{{{ $labels.container }}}}) was OOM-killed",
            "The container restarted in the last 10 minutes after exceeding its memory limit",
            CATEGORY,
        ),
    ]


def _deployments() -> list[dict]:
    return [
        alert(
            "KubeDeploymentReplicasMismatch",
            "kube_deployment_spec_replicas > kube_deployment_status_replicas_available",
            "15m",
            "warning",
            "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} lacks available replicas",
            "Fewer replicas are available than the Deployment wants, for 15 minutes",
            CATEGORY,
        ),
        alert(
            "KubeDeploymentRolloutStuck",
            'kube_deployment_status_condition{condition="Progressing", status="false"} == 1',
            "15m",
            "warning",
            "The rollout of {{ $labels.namespace }}/{{ $labels.deployment }} is stuck",
            "The Deployment exceeded its progress deadline: its new ReplicaSet does not become available",
            CATEGORY,
        ),
    ]


def _statefulsets() -> list[dict]:
    return [
        alert(
            "KubeStatefulSetReplicasMismatch",
            "kube_statefulset_replicas > kube_statefulset_status_replicas_ready",
            "15m",
            "warning",
            "StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} lacks ready replicas",
            "Fewer replicas are ready than the StatefulSet wants, for 15 minutes",
            CATEGORY,
        )
    ]


def _daemonsets() -> list[dict]:
    return [
        alert(
            "KubeDaemonSetNotScheduled",
            "kube_daemonset_status_desired_number_scheduled - kube_daemonset_status_current_number_scheduled > 0",
            "10m",
            "warning",
            "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} is missing on {{ $value }} nodes",
            "Nodes that should run one of its pods run none: their logs or metrics are not collected",
            CATEGORY,
        ),
        alert(
            "KubeDaemonSetMisScheduled",
            "kube_daemonset_status_number_misscheduled > 0",
            "15m",
            "warning",
            "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} runs where it should not",
            "{{ $value }} of its pods run on nodes it does not select",
            CATEGORY,
        ),
    ]


def _jobs() -> list[dict]:
    return [
        alert(
            "KubeJobFailed",
            "kube_job_failed > 0",
            "15m",
            "warning",
            "Job {{ $labels.namespace }}/{{ $labels.job_name }} failed",
            "The Job failed; remove it once the failure is understood, or this keeps firing",
            CATEGORY,
        ),
        alert(
            "KubeJobNotCompleted",
            "time() - max by (namespace, job_name) (kube_job_status_start_time"
            " and on (namespace, job_name) kube_job_status_active > 0) > 12 * 3600",
            "",
            "warning",
            "Job {{ $labels.namespace }}/{{ $labels.job_name }} has run for over 12 hours",
            "It started {{ $value | humanizeDuration }} ago and still has active pods: it may be stuck",
            CATEGORY,
        ),
    ]


def _nodes() -> list[dict]:
    return [
        alert(
            "KubeNodeUnreachable",
            'kube_node_spec_taint{key="node.kubernetes.io/unreachable", effect="NoSchedule"} == 1',
            "15m",
            "warning",
            "Node {{ $labels.node }} is unreachable",
            "The node controller tainted it unreachable: its kubelet stopped reporting",
            CATEGORY,
        ),
        alert(
            "KubeNodePressure",
            'kube_node_status_condition{condition=~"MemoryPressure|DiskPressure|PIDPressure", status="true"} == 1',
            "10m",
            "warning",
            "Node {{ $labels.node }} reports {{ $labels.condition }}",
            "The kubelet is short of memory, disk or process ids: it evicts pods and admits no new ones",
            CATEGORY,
        ),
    ]


def _overcommit(resource: str, name: str) -> dict:
    requests = f'sum(kube_pod_container_resource_requests{{resource="{resource}"}})'
    allocatable = f'sum(kube_node_status_allocatable{{resource="{resource}"}})'
    largest = f'max(kube_node_status_allocatable{{resource="{resource}"}})'
    # What is left once the largest node is lost; a one-node cluster has nothing to fail over to.
    left = f"({allocatable} - {largest})"
    return alert(
        f"Kube{name}Overcommit",
        f"{requests} - {left} > 0 and {left} > 0",
        "10m",
        "warning",
        f"The cluster's {resource} requests do not survive losing a node",
        f"The pods request {{{{ $value | humanize }}}} more {resource} than the cluster has without its largest "
        "node: after a node failure some pods cannot be rescheduled",
        CATEGORY,
    )


def _pods_on_nodes() -> list[dict]:
    """What needs both the pods and the nodes collectors."""
    return [_overcommit("cpu", "CPU"), _overcommit("memory", "Memory")]


def _persistentvolumes() -> list[dict]:
    return [
        alert(
            "KubePersistentVolumeErrors",
            'kube_persistentvolume_status_phase{phase=~"Failed|Pending"} > 0',
            "5m",
            "critical",
            "Persistent volume {{ $labels.persistentvolume }} is {{ $labels.phase }}",
            "The volume is not usable: the claims bound to it, and their pods, are stuck",
            CATEGORY,
        )
    ]


def _hpas() -> list[dict]:
    return [
        alert(
            "KubeHpaMaxedOut",
            "kube_horizontalpodautoscaler_status_current_replicas == kube_horizontalpodautoscaler_spec_max_replicas"
            # An HPA whose minimum is its maximum is always "at its maximum".
            " and on (namespace, horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_min_replicas"
            " != kube_horizontalpodautoscaler_spec_max_replicas",
            "15m",
            "warning",
            "HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} is at its maximum",
            "It has run at its maximum replicas for 15 minutes: the load may need more than it may give",
            CATEGORY,
        )
    ]


def _quotas() -> list[dict]:
    return [
        alert(
            "KubeQuotaAlmostFull",
            'kube_resourcequota{type="used"} / ignoring (type) (kube_resourcequota{type="hard"} > 0) > 0.9',
            "15m",
            "warning",
            "Quota {{ $labels.resourcequota }} of {{ $labels.namespace }} is nearly used up ({{ $labels.resource }})",
            "{{ $value | humanizePercentage }} of the quota is used: new objects will be refused",
            CATEGORY,
        )
    ]


_BY_COLLECTOR: dict[str, Callable[[], list[dict]]] = {
    "nodes": _nodes,
    "pods": _pods,
    "deployments": _deployments,
    "statefulsets": _statefulsets,
    "daemonsets": _daemonsets,
    "jobs": _jobs,
    "horizontalpodautoscalers": _hpas,
    "resourcequotas": _quotas,
    "persistentvolumes": _persistentvolumes,
}


def cluster_rule_groups(
    kubelet: bool,
    api_server: bool,
    coredns: bool,
    collectors: Iterable[str] | None,
    control_plane: Mapping[str, bool] | None = None,
) -> list[dict]:
    """The groups for what is scraped; `collectors`: kube-state-metrics' (None when it does not run);
    `control_plane`: component -> scraped (ControlPlane.scraped())."""
    running = set(collectors or ())
    groups = []
    control = [rule for name, rules in _CONTROL_PLANE.items() if (control_plane or {}).get(name) for rule in rules()]
    if control:
        groups.append({"name": "kubernetes.control-plane", "rules": control})
    if kubelet:
        groups.append({"name": "kubernetes.kubelet", "rules": _kubelet_rules(running)})
    if api_server:
        groups.append({"name": "kubernetes.apiserver", "rules": _apiserver_rules()})
    if coredns:
        groups.append({"name": "kubernetes.coredns", "rules": _coredns_rules()})
    workloads = [rule for name, rules in _BY_COLLECTOR.items() if name in running for rule in rules()]
    if {"pods", "nodes"} <= running:
        workloads += _pods_on_nodes()
    if workloads:
        groups.append({"name": "kubernetes.workloads", "rules": workloads})
    return groups

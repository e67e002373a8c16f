"""The cluster's alerts (configs/content/cluster_rules.py): each fires on the series its exporter
exports and stays quiet on healthy ones (promtool test rules), and each group ships only with what
`prometheus.cluster` scrapes and kube-state-metrics collects."""

from __future__ import annotations

import pytest
import yaml

from observability_stack.configs.content.cluster_rules import cluster_rule_groups
from observability_stack.configs.load import load_sections
from observability_stack.configs.models.kube_state_metrics import API_GROUPS
from observability_stack.configs.render.files import all_files
from observability_stack.configs.render.rules import rule_files
from tests.promtool_helpers import alert_names, check_rules, fire_and_quiet, run_rule_tests

K8S = {"category": "kubernetes"}
KUBELET = {"job": "kubelet", "instance": "10.0.0.1:10250", "node": "n1"}
CADVISOR = {"job": "kubelet-cadvisor", "instance": "10.0.0.1:10250", "node": "n1"}
KSM = {"job": "kube-state-metrics", "instance": "10.0.1.5:8080"}
APISERVER = {"job": "apiserver", "instance": "10.0.0.1:6443"}
COREDNS = {"job": "coredns", "instance": "10.0.2.3:9153", "pod": "coredns-1"}
POD = {"namespace": "shop", "pod": "api-0"}
CONTAINER = {**POD, "container": "api"}
PVC = {**KUBELET, "namespace": "shop", "persistentvolumeclaim": "data-api-0"}


def s(name: str, labels: dict[str, str], **more: str) -> str:
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in {**labels, **more}.items()) + "}"


def warning(labels: dict) -> dict:
    return {**labels, **K8S, "severity": "warning"}


def critical(labels: dict) -> dict:
    return {**labels, **K8S, "severity": "critical"}


def _volume(available: str, capacity: str) -> dict[str, str]:
    return {
        s("kubelet_volume_stats_available_bytes", PVC): available,
        s("kubelet_volume_stats_capacity_bytes", PVC): capacity,
    }


def _api_requests(errors: str, ok: str) -> dict[str, str]:
    return {
        s("apiserver_request_total", APISERVER, code="500", verb="GET"): errors,
        s("apiserver_request_total", APISERVER, code="200", verb="GET"): ok,
    }


def _api_latency(fast: str) -> dict[str, str]:
    # Every request takes between 1 and 2 s unless `fast` of them are under 0.5 s.
    bucket = "apiserver_request_duration_seconds_bucket"
    return {
        s(bucket, APISERVER, verb="GET", le="0.5"): fast,
        s(bucket, APISERVER, verb="GET", le="1"): fast,
        s(bucket, APISERVER, verb="GET", le="2"): "0+10x30",
        s(bucket, APISERVER, verb="GET", le="+Inf"): "0+10x30",
    }


def _pair(first: str, second: str, labels: dict, a: str, b: str) -> dict[str, str]:
    return {s(first, labels): a, s(second, labels): b}


DEPLOYMENT = {**KSM, "namespace": "shop", "deployment": "api"}
STATEFULSET = {**KSM, "namespace": "shop", "statefulset": "db"}
DAEMONSET = {**KSM, "namespace": "monitoring", "daemonset": "promtail"}
HPA = {**KSM, "namespace": "shop", "horizontalpodautoscaler": "api"}
QUOTA = {**KSM, "namespace": "shop", "resourcequota": "compute", "resource": "pods"}
JOB = {**KSM, "namespace": "shop", "job_name": "backup", "condition": "true"}
TAINT = {**KSM, "node": "n1", "effect": "NoSchedule"}
PROGRESSING = {**DEPLOYMENT, "condition": "Progressing", "status": "false"}


def _hpa(current: str, minimum: str) -> dict[str, str]:
    prefix = "kube_horizontalpodautoscaler_"
    return {
        s(prefix + "status_current_replicas", HPA): current,
        s(prefix + "spec_min_replicas", HPA): minimum,
        s(prefix + "spec_max_replicas", HPA): "10x20",
    }


# (alert, firing series, quiet series, eval time, expected labels)
CASES = [
    ("KubeletDown", {s("up", KUBELET): "0x20"}, {s("up", KUBELET): "1x20"}, "16m", critical(KUBELET)),
    # No kubelet discovered at all is as blind as one that does not answer.
    ("KubeletDown", {s("up", APISERVER): "1x20"}, {s("up", KUBELET): "1x20"}, "16m", critical({"job": "kubelet"})),
    ("KubePersistentVolumeFillingUp", _volume("2x10", "100x10"), _volume("50x10", "100x10"), "5m", critical(PVC)),
    # 14 % left, losing 10 MB a minute: empty in about a day, inside the 4-day horizon.
    (
        "KubePersistentVolumeFillingUpPredicted",
        _volume("14e9-1e7x150", "100e9x150"),
        _volume("14e9x150", "100e9x150"),
        "2h",
        warning(PVC),
    ),
    (
        "KubeletClientCertificateExpiration",
        {s("kubelet_certificate_manager_client_ttl_seconds", KUBELET): "86400x5"},
        {s("kubelet_certificate_manager_client_ttl_seconds", KUBELET): "2592000x5"},
        "2m",
        warning(KUBELET),
    ),
    (
        "KubeCPUThrottlingHigh",
        _pair(
            "container_cpu_cfs_throttled_periods_total",
            "container_cpu_cfs_periods_total",
            {**CADVISOR, **CONTAINER},
            "0+30x30",
            "0+100x30",
        ),
        _pair(
            "container_cpu_cfs_throttled_periods_total",
            "container_cpu_cfs_periods_total",
            {**CADVISOR, **CONTAINER},
            "0+10x30",
            "0+100x30",
        ),
        "25m",
        warning(CONTAINER),
    ),
    (
        "KubeletTooManyPods",
        {
            s("kubelet_running_pods", KUBELET): "109x30",
            s("kube_node_status_capacity", KSM, node="n1", resource="pods", unit="integer"): "110x30",
        },
        {
            s("kubelet_running_pods", KUBELET): "50x30",
            s("kube_node_status_capacity", KSM, node="n1", resource="pods", unit="integer"): "110x30",
        },
        "20m",
        warning({"node": "n1"}),
    ),
    (
        "KubeContainerMemoryNearLimit",
        {
            s("container_memory_working_set_bytes", {**CADVISOR, **CONTAINER}): "950e6x30",
            s("kube_pod_container_resource_limits", {**KSM, **CONTAINER}, resource="memory", unit="byte"): "1e9x30",
        },
        {
            s("container_memory_working_set_bytes", {**CADVISOR, **CONTAINER}): "500e6x30",
            s("kube_pod_container_resource_limits", {**KSM, **CONTAINER}, resource="memory", unit="byte"): "1e9x30",
        },
        "20m",
        warning(CONTAINER),
    ),
    ("KubeAPIDown", {s("up", APISERVER): "0x10"}, {s("up", APISERVER): "1x10"}, "7m", critical(APISERVER)),
    ("KubeAPIErrorsHigh", _api_requests("0+10x90", "0+90x90"), _api_requests("0+1x90", "0+99x90"), "70m", critical({})),
    # A burst of errors in the last minutes alone does not page: the hour's ratio stays low.
    (
        "KubeAPIErrorsHigh",
        _api_requests("0+10x90", "0+90x90"),
        _api_requests("0x85 0+50x5", "0+100x90"),
        "90m",
        critical({}),
    ),
    ("KubeAPILatencyHigh", _api_latency("0x30"), _api_latency("0+10x30"), "20m", warning({"verb": "GET"})),
    ("CoreDNSDown", {s("up", COREDNS): "0x10"}, {s("up", COREDNS): "1x10"}, "7m", critical(COREDNS)),
    (
        "CoreDNSErrorsHigh",
        {
            s("coredns_dns_responses_total", COREDNS, rcode="SERVFAIL"): "0+5x30",
            s("coredns_dns_responses_total", COREDNS, rcode="NOERROR"): "0+95x30",
        },
        {
            s("coredns_dns_responses_total", COREDNS, rcode="SERVFAIL"): "0+1x30",
            s("coredns_dns_responses_total", COREDNS, rcode="NOERROR"): "0+99x30",
        },
        "20m",
        warning({}),
    ),
    (
        "KubePodNotReady",
        {s("kube_pod_status_phase", {**KSM, **POD}, phase="Pending"): "1x30"},
        {s("kube_pod_status_phase", {**KSM, **POD}, phase="Running"): "1x30"},
        "20m",
        warning(POD),
    ),
    (
        "KubePodNotReady",
        {s("kube_pod_status_ready", {**KSM, **POD}, condition="false"): "1x30"},
        {s("kube_pod_status_ready", {**KSM, **POD}, condition="false"): "0x30"},
        "20m",
        warning(POD),
    ),
    # A Job's finished pod stays Ready=false: done, not failing.
    (
        "KubePodNotReady",
        {s("kube_pod_status_ready", {**KSM, **POD}, condition="false"): "1x30"},
        {
            s("kube_pod_status_ready", {**KSM, **POD}, condition="false"): "1x30",
            s("kube_pod_status_phase", {**KSM, **POD}, phase="Succeeded"): "1x30",
        },
        "20m",
        warning(POD),
    ),
    (
        "KubeContainerOOMKilled",
        {
            s("kube_pod_container_status_restarts_total", {**KSM, **CONTAINER}): "0x5 1x10",
            s("kube_pod_container_status_last_terminated_reason", {**KSM, **CONTAINER}, reason="OOMKilled"): "1x15",
        },
        {
            s("kube_pod_container_status_restarts_total", {**KSM, **CONTAINER}): "0x5 1x10",
            s("kube_pod_container_status_last_terminated_reason", {**KSM, **CONTAINER}, reason="Error"): "1x15",
        },
        "8m",
        warning({**KSM, **CONTAINER}),
    ),
    (
        "KubeDeploymentReplicasMismatch",
        _pair("kube_deployment_spec_replicas", "kube_deployment_status_replicas_available", DEPLOYMENT, "3x30", "1x30"),
        _pair("kube_deployment_spec_replicas", "kube_deployment_status_replicas_available", DEPLOYMENT, "3x30", "3x30"),
        "20m",
        warning(DEPLOYMENT),
    ),
    (
        "KubeDeploymentRolloutStuck",
        {s("kube_deployment_status_condition", PROGRESSING): "1x30"},
        {s("kube_deployment_status_condition", PROGRESSING): "0x30"},
        "20m",
        warning(PROGRESSING),
    ),
    (
        "KubeStatefulSetReplicasMismatch",
        _pair("kube_statefulset_replicas", "kube_statefulset_status_replicas_ready", STATEFULSET, "3x30", "2x30"),
        _pair("kube_statefulset_replicas", "kube_statefulset_status_replicas_ready", STATEFULSET, "3x30", "3x30"),
        "20m",
        warning(STATEFULSET),
    ),
    (
        "KubeDaemonSetNotScheduled",
        _pair(
            "kube_daemonset_status_desired_number_scheduled",
            "kube_daemonset_status_current_number_scheduled",
            DAEMONSET,
            "3x20",
            "2x20",
        ),
        _pair(
            "kube_daemonset_status_desired_number_scheduled",
            "kube_daemonset_status_current_number_scheduled",
            DAEMONSET,
            "3x20",
            "3x20",
        ),
        "15m",
        warning(DAEMONSET),
    ),
    (
        "KubeDaemonSetMisScheduled",
        {s("kube_daemonset_status_number_misscheduled", DAEMONSET): "1x20"},
        {s("kube_daemonset_status_number_misscheduled", DAEMONSET): "0x20"},
        "20m",
        warning(DAEMONSET),
    ),
    ("KubeJobFailed", {s("kube_job_failed", JOB): "1x20"}, {s("kube_job_failed", JOB): "0x20"}, "20m", warning(JOB)),
    (
        "KubeNodeUnreachable",
        {s("kube_node_spec_taint", TAINT, key="node.kubernetes.io/unreachable"): "1x20"},
        {s("kube_node_spec_taint", TAINT, key="node.kubernetes.io/not-ready"): "1x20"},
        "20m",
        warning({**TAINT, "key": "node.kubernetes.io/unreachable"}),
    ),
    (
        "KubeHpaMaxedOut",
        _hpa(current="10x20", minimum="2x20"),
        _hpa(current="5x20", minimum="2x20"),
        "20m",
        warning(HPA),
    ),
    # Its minimum is its maximum: always at the maximum, by choice.
    (
        "KubeHpaMaxedOut",
        _hpa(current="10x20", minimum="2x20"),
        _hpa(current="10x20", minimum="10x20"),
        "20m",
        warning(HPA),
    ),
    (
        "KubeQuotaAlmostFull",
        {s("kube_resourcequota", QUOTA, type="used"): "95x20", s("kube_resourcequota", QUOTA, type="hard"): "100x20"},
        {s("kube_resourcequota", QUOTA, type="used"): "50x20", s("kube_resourcequota", QUOTA, type="hard"): "100x20"},
        "20m",
        warning(QUOTA),
    ),
]

CONTROLLER_MANAGER = {"job": "kube-controller-manager", "instance": "10.0.0.1:10257", "pod": "kcm-n1"}
SCHEDULER = {"job": "kube-scheduler", "instance": "10.0.0.1:10259", "pod": "sched-n1"}
ETCD = {"job": "etcd", "instance": "10.0.0.1:2381"}


def _etcd_latency(metric: str, slow: str) -> dict[str, str]:
    # 10 operations a minute: all under 10 ms unless `slow` of them take between 0.5 s and 1 s.
    bucket = f"etcd_disk_{metric}_duration_seconds_bucket"
    return {
        s(bucket, ETCD, le="0.01"): f"0+{10 - int(slow)}x20",
        s(bucket, ETCD, le="1"): "0+10x20",
        s(bucket, ETCD, le="+Inf"): "0+10x20",
    }


CASES += [
    (
        "KubeControllerManagerDown",
        {s("up", CONTROLLER_MANAGER): "0x20"},
        {s("up", CONTROLLER_MANAGER): "1x20"},
        "20m",
        critical(CONTROLLER_MANAGER),
    ),
    # The config says it runs, and no pod of it was found.
    ("KubeSchedulerDown", {}, {s("up", SCHEDULER): "1x20"}, "20m", critical({"job": "kube-scheduler"})),
    (
        "KubeSchedulerErrors",
        {s("scheduler_schedule_attempts_total", SCHEDULER, result="error", profile="default-scheduler"): "0+5x30"},
        {
            s("scheduler_schedule_attempts_total", SCHEDULER, result="error", profile="default-scheduler"): "0x30",
            s("scheduler_schedule_attempts_total", SCHEDULER, result="unschedulable", profile="x"): "0+5x30",
        },
        "25m",
        warning({"job": "kube-scheduler"}),
    ),
    ("EtcdDown", {s("up", ETCD): "0x20"}, {s("up", ETCD): "1x20"}, "20m", critical(ETCD)),
    (
        "EtcdNoLeader",
        {s("etcd_server_has_leader", ETCD): "0x5"},
        {s("etcd_server_has_leader", ETCD): "1x5"},
        "5m",
        critical(ETCD),
    ),
    (
        "EtcdLeaderChangesFrequent",
        {s("etcd_server_leader_changes_seen_total", ETCD): "0+1x30"},
        {s("etcd_server_leader_changes_seen_total", ETCD): "0+0.1x30"},
        "25m",
        warning(ETCD),
    ),
    ("EtcdSlowWALFsync", _etcd_latency("wal_fsync", "5"), _etcd_latency("wal_fsync", "0"), "20m", warning(ETCD)),
    (
        "EtcdSlowBackendCommit",
        _etcd_latency("backend_commit", "5"),
        _etcd_latency("backend_commit", "0"),
        "20m",
        warning(ETCD),
    ),
    (
        "EtcdDatabaseNearQuota",
        {
            s("etcd_mvcc_db_total_size_in_bytes", ETCD): "1.95e9x20",
            s("etcd_server_quota_backend_bytes", ETCD): "2e9x20",
        },
        {s("etcd_mvcc_db_total_size_in_bytes", ETCD): "1e9x20", s("etcd_server_quota_backend_bytes", ETCD): "2e9x20"},
        "20m",
        critical(ETCD),
    ),
]

BATCH_JOB = {**KSM, "namespace": "shop", "job_name": "backup"}
NODE_PRESSURE = {**KSM, "node": "n1", "condition": "DiskPressure", "status": "true"}
VOLUME = {**KSM, "persistentvolume": "pv-1"}


def _capacity(requested: str, nodes: int = 3) -> dict[str, str]:
    # `nodes` nodes of 4 CPUs each, the pods requesting `requested` CPUs in all.
    allocatable = {s("kube_node_status_allocatable", KSM, node=f"n{i}", resource="cpu"): "4x20" for i in range(nodes)}
    return {**allocatable, s("kube_pod_container_resource_requests", CONTAINER, **KSM, resource="cpu"): requested}


CASES += [
    (
        "KubeletServerCertificateExpiration",
        {s("kubelet_certificate_manager_server_ttl_seconds", KUBELET): "86400x5"},
        {s("kubelet_certificate_manager_server_ttl_seconds", KUBELET): "2592000x5"},
        "2m",
        warning(KUBELET),
    ),
    # Still running 13 hours after it started; a finished one is not.
    (
        "KubeJobNotCompleted",
        {s("kube_job_status_start_time", BATCH_JOB): "0x800", s("kube_job_status_active", BATCH_JOB): "1x800"},
        {s("kube_job_status_start_time", BATCH_JOB): "0x800", s("kube_job_status_active", BATCH_JOB): "0x800"},
        "13h",
        warning({"namespace": "shop", "job_name": "backup"}),
    ),
    (
        "KubeNodePressure",
        {s("kube_node_status_condition", NODE_PRESSURE): "1x20"},
        {s("kube_node_status_condition", NODE_PRESSURE): "0x20"},
        "15m",
        warning(NODE_PRESSURE),
    ),
    # 9 CPUs requested of 12, but 8 once a node is lost.
    ("KubeCPUOvercommit", _capacity("9x20"), _capacity("7x20"), "15m", warning({})),
    # One node: nothing to fail over to, so nothing to warn of.
    ("KubeCPUOvercommit", _capacity("9x20"), _capacity("3x20", nodes=1), "15m", warning({})),
    (
        "KubeMemoryOvercommit",
        {
            **{s("kube_node_status_allocatable", KSM, node=f"n{i}", resource="memory"): "8e9x20" for i in range(2)},
            s("kube_pod_container_resource_requests", CONTAINER, **KSM, resource="memory"): "10e9x20",
        },
        {
            **{s("kube_node_status_allocatable", KSM, node=f"n{i}", resource="memory"): "8e9x20" for i in range(2)},
            s("kube_pod_container_resource_requests", CONTAINER, **KSM, resource="memory"): "6e9x20",
        },
        "15m",
        warning({}),
    ),
    (
        "KubePersistentVolumeErrors",
        {s("kube_persistentvolume_status_phase", VOLUME, phase="Failed"): "1x10"},
        {
            s("kube_persistentvolume_status_phase", VOLUME, phase="Bound"): "1x10",
            s("kube_persistentvolume_status_phase", VOLUME, phase="Failed"): "0x10",
        },
        "10m",
        critical({**VOLUME, "phase": "Failed"}),
    ),
]

CONTROL_PLANE = {"controller_manager": True, "scheduler": True, "etcd": True}
EVERYTHING = cluster_rule_groups(True, True, True, list(API_GROUPS), CONTROL_PLANE)
# Component -> its alerts, each shipped alone.
ALERTS_OF = {
    job: alert_names(cluster_rule_groups(False, False, False, None, {component: True}))
    for component, job in (
        ("controller_manager", "kube-controller-manager"),
        ("scheduler", "kube-scheduler"),
        ("etcd", "etcd"),
    )
}
CONTROL_PLANE_ALERTS = set().union(*ALERTS_OF.values())


def test_every_cluster_alert_has_cases():
    assert alert_names(EVERYTHING) == {case[0] for case in CASES}


def test_promtool_checks_the_groups(tmp_path):
    assert f"SUCCESS: {sum(len(g['rules']) for g in EVERYTHING)} rules found" in check_rules(tmp_path, EVERYTHING)


def test_alerts_fire_and_stay_quiet(tmp_path):
    run_rule_tests(tmp_path, EVERYTHING, fire_and_quiet(CASES))


def test_nothing_is_raised_about_a_target_left_unscraped():
    config, _, _ = load_sections(
        {
            "common": {"target": "kubernetes"},
            "prometheus": {
                "cluster": {"kubelet": False, "api_server": False, "coredns": False, "control_plane": {"managed": True}}
            },
            "kube_state_metrics": {"enabled": False},
        }
    )
    assert "cluster.yml" not in rule_files(config)
    prometheus = yaml.safe_load(all_files(config, set())["prometheus"]["prometheus.yml"])
    cluster_jobs = {"kubelet", "apiserver", "coredns", "kube-controller-manager", "kube-scheduler", "etcd"}
    assert not cluster_jobs & {job["job_name"] for job in prometheus["scrape_configs"]}
    # Off Kubernetes, there is no cluster to scrape.
    docker, _, _ = load_sections({})
    assert "cluster.yml" not in rule_files(docker)


@pytest.mark.parametrize(
    "collectors, alerts",
    [
        (["pods"], {"KubePodNotReady", "KubeContainerOOMKilled", "KubeContainerMemoryNearLimit"}),
        (["deployments"], {"KubeDeploymentReplicasMismatch", "KubeDeploymentRolloutStuck"}),
        (["nodes"], {"KubeNodeUnreachable", "KubeNodePressure", "KubeletTooManyPods"}),
        (["jobs"], {"KubeJobFailed", "KubeJobNotCompleted"}),
        (["persistentvolumes"], {"KubePersistentVolumeErrors"}),
        # Overcommit compares the pods' requests with the nodes' allocatable: it needs both collectors.
        (
            ["pods", "nodes"],
            {"KubePodNotReady", "KubeContainerOOMKilled", "KubeContainerMemoryNearLimit"}
            | {"KubeNodeUnreachable", "KubeNodePressure", "KubeletTooManyPods"}
            | {"KubeCPUOvercommit", "KubeMemoryOvercommit"},
        ),
    ],
)
def test_the_workload_alerts_follow_the_collectors(collectors, alerts):
    config, _, _ = load_sections({"common": {"target": "kubernetes"}, "kube_state_metrics": {"collectors": collectors}})
    kubelet = {"KubeletDown", "KubePersistentVolumeFillingUp", "KubePersistentVolumeFillingUpPredicted"}
    kubelet |= {"KubeletClientCertificateExpiration", "KubeletServerCertificateExpiration", "KubeCPUThrottlingHigh"}
    api = {"KubeAPIDown", "KubeAPIErrorsHigh", "KubeAPILatencyHigh", "CoreDNSDown", "CoreDNSErrorsHigh"}
    assert alert_names(rule_files(config)["cluster.yml"]) == kubelet | api | CONTROL_PLANE_ALERTS | alerts


def _jobs(config) -> dict[str, dict]:
    prometheus = yaml.safe_load(all_files(config, set())["prometheus"]["prometheus.yml"])
    return {job["job_name"]: job for job in prometheus["scrape_configs"]}


@pytest.mark.parametrize(
    "control_plane, scraped",
    [
        ({}, {"kube-controller-manager", "kube-scheduler", "etcd"}),
        # EKS, GKE, AKS: none of it is reachable, so none of it is scraped or alerted on.
        ({"managed": True}, set()),
        # Some providers expose one component; the user turns that one back on.
        ({"managed": True, "scheduler": True}, {"kube-scheduler"}),
        ({"etcd": False}, {"kube-controller-manager", "kube-scheduler"}),
    ],
)
def test_the_control_plane_is_scraped_and_alerted_on_as_configured(control_plane, scraped):
    config, _, _ = load_sections(
        {"common": {"target": "kubernetes"}, "prometheus": {"cluster": {"control_plane": control_plane}}}
    )
    components = {"kube-controller-manager", "kube-scheduler", "etcd"}
    assert components & set(_jobs(config)) == scraped
    alerts = alert_names(rule_files(config)["cluster.yml"])
    assert alerts & CONTROL_PLANE_ALERTS == set().union(*(ALERTS_OF[job] for job in scraped))


def test_the_control_plane_jobs_find_kubeadm_static_pods():
    config, _, _ = load_sections(
        {"common": {"target": "kubernetes"}, "prometheus": {"cluster": {"control_plane": {"etcd_metrics_port": 2390}}}}
    )
    jobs = _jobs(config)
    token = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    for name, port in (("kube-controller-manager", 10257), ("kube-scheduler", 10259), ("etcd", 2390)):
        job = jobs[name]
        assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["kube-system"]}}]
        keep, address = job["relabel_configs"][:2]
        assert keep == {"source_labels": ["__meta_kubernetes_pod_label_component"], "action": "keep", "regex": name}
        assert address["target_label"] == "__address__" and address["replacement"] == f"$1:{port}"
        https = name != "etcd"
        assert (job.get("scheme") == "https") is https
        assert (job.get("authorization", {}).get("credentials_file") == token) is https


def test_the_control_plane_settings_are_checked():
    with pytest.raises(Exception) as error:
        load_sections({"prometheus": {"cluster": {"control_plane": {"managed": "sometimes", "etcd_metrics_port": 0}}}})
    message = str(error.value)
    assert "prometheus.cluster.control_plane.managed" in message
    assert "prometheus.cluster.control_plane.etcd_metrics_port" in message


def test_the_cluster_jobs_scrape_with_the_service_account():
    config, _, _ = load_sections({"common": {"target": "kubernetes"}})
    jobs = {
        j["job_name"]: j
        for j in yaml.safe_load(all_files(config, set())["prometheus"]["prometheus.yml"])["scrape_configs"]
    }
    assert [jobs[n]["metrics_path"] for n in ("kubelet", "kubelet-cadvisor", "kubelet-probes")] == [
        "/metrics",
        "/metrics/cadvisor",
        "/metrics/probes",
    ]
    token = "/var/run/secrets/kubernetes.io/serviceaccount/token"
    for name in ("kubelet", "apiserver"):
        assert jobs[name]["scheme"] == "https" and jobs[name]["authorization"]["credentials_file"] == token
    assert jobs["kubelet"]["tls_config"]["insecure_skip_verify"] is True
    assert "insecure_skip_verify" not in jobs["apiserver"]["tls_config"]
    assert jobs["coredns"]["relabel_configs"][0]["regex"] == "kube-dns;metrics" and "scheme" not in jobs["coredns"]

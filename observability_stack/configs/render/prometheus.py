"""prometheus.yml and its rule files."""

from __future__ import annotations

from .. import registry
from ..models.stack import StackConfig
from ..registry import renders
from .alloy import remote_writers
from .common import PORTS, RenderContext, Topology, command_line, to_yaml
from .rules import render_rule_files

# The stack's own job for annotated pods; a user job of this name would be a second one (duplicates.py).
POD_JOB = "kubernetes-pods"

# The conventional prometheus.io/* annotations, as in Prometheus' own kubernetes example config.
_POD_RELABELING = [
    {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "action": "keep", "regex": "true"},
    {
        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"],
        "action": "replace",
        "regex": "(https?)",
        "target_label": "__scheme__",
    },
    {
        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
        "action": "replace",
        "regex": "(.+)",
        "target_label": "__metrics_path__",
    },
    {
        "source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
        "action": "replace",
        "regex": "([^:]+)(?::\\d+)?;(\\d+)",
        "replacement": "$1:$2",
        "target_label": "__address__",
    },
    {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
    {"source_labels": ["__meta_kubernetes_namespace"], "action": "replace", "target_label": "namespace"},
    {"source_labels": ["__meta_kubernetes_pod_name"], "action": "replace", "target_label": "pod"},
    {"source_labels": ["__meta_kubernetes_pod_phase"], "action": "drop", "regex": "Pending|Succeeded|Failed|Unknown"},
]


def _self_jobs(cfg: StackConfig, topology: Topology) -> list[dict]:
    jobs = []
    for service in cfg.enabled():
        facts = registry.facts(service)
        if service in topology.node_agents:
            jobs.append(_daemon_job(service, topology))
            continue
        if not facts.single_replica and facts.metrics_port is None:
            # Each replica on its own: through a Service, a dead one would hide behind a live one.
            targets = topology.instances(service)
        else:
            port = PORTS[f"{service}_{facts.metrics_port}" if facts.metrics_port else service]
            targets = [f"{topology.host(service)}:{port}"]
        jobs.append({"job_name": service, "metrics_path": facts.metrics_path, "static_configs": [{"targets": targets}]})
    return jobs


def _daemon_job(service: str, topology: Topology) -> dict:
    """A DaemonSet has one pod per node and no single address: find its pods in the stack's namespace.
    The job keeps the service's name, so `up{job="promtail"}` means the same on every target."""
    return {
        "job_name": service,
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [topology.namespace]}}],
        "relabel_configs": [
            {
                "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
                "action": "keep",
                "regex": service,
            },
            {
                "source_labels": ["__meta_kubernetes_pod_container_port_number"],
                "action": "keep",
                "regex": str(PORTS[service]),
            },
            {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }


def _pod_jobs(cfg: StackConfig, topology: Topology) -> list[dict]:
    enabled = cfg.prometheus.kubernetes_pods
    if not topology.pod_discovery or enabled is False:
        return []
    return [{"job_name": POD_JOB, "kubernetes_sd_configs": [{"role": "pod"}], "relabel_configs": _POD_RELABELING}]


# Every pod's own service account credentials, which the ClusterRole (components/prometheus.py) authorises.
_SA = "/var/run/secrets/kubernetes.io/serviceaccount"
# The job names of the cluster's targets, which the cluster rules select on.
KUBELET_JOBS = {"kubelet": "/metrics", "kubelet-cadvisor": "/metrics/cadvisor", "kubelet-probes": "/metrics/probes"}
APISERVER_JOB, COREDNS_JOB = "apiserver", "coredns"
# Control-plane component -> (job name and the pods' `component` label, secure port): kubeadm's defaults.
CONTROL_PLANE_JOBS = {
    "controller_manager": ("kube-controller-manager", 10257),
    "scheduler": ("kube-scheduler", 10259),
    "etcd": ("etcd", None),
}


def _kubelet_job(name: str, path: str, verify: bool) -> dict:
    # The node role's address is each node's kubelet endpoint (status.daemonEndpoints, port 10250).
    return {
        "job_name": name,
        "scheme": "https",
        "metrics_path": path,
        "authorization": {"credentials_file": f"{_SA}/token"},
        "tls_config": {"ca_file": f"{_SA}/ca.crt", "insecure_skip_verify": not verify},
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": [{"source_labels": ["__meta_kubernetes_node_name"], "target_label": "node"}],
    }


def _control_plane_job(component: str, port: int, https: bool) -> dict:
    # Static pods declare no ports, so pod discovery yields the pod's address (its node's, on the host
    # network) without one; the port is the component's own.
    job: dict = {
        "job_name": component,
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": ["kube-system"]}}],
        "relabel_configs": [
            {"source_labels": ["__meta_kubernetes_pod_label_component"], "action": "keep", "regex": component},
            {
                "source_labels": ["__meta_kubernetes_pod_ip"],
                "regex": "(.+)",
                "target_label": "__address__",
                "replacement": f"$1:{port}",
            },
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
            {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
        ],
    }
    if https:
        # Their serving certificates are self-signed unless the installer issued them from the cluster CA.
        job["scheme"] = "https"
        job["authorization"] = {"credentials_file": f"{_SA}/token"}
        job["tls_config"] = {"insecure_skip_verify": True}
    return job


def control_plane_jobs(cfg: StackConfig) -> list[dict]:
    control_plane = cfg.prometheus.cluster.control_plane
    jobs = []
    for component, scraped in control_plane.scraped().items():
        if scraped:
            name, port = CONTROL_PLANE_JOBS[component]
            jobs.append(_control_plane_job(name, port or control_plane.etcd_metrics_port, https=port is not None))
    return jobs


def _service_endpoints_job(name: str, namespace: str, service: str, port: str, https: bool) -> dict:
    job: dict = {
        "job_name": name,
        "kubernetes_sd_configs": [{"role": "endpointslice", "namespaces": {"names": [namespace]}}],
        "relabel_configs": [
            {
                "source_labels": ["__meta_kubernetes_service_name", "__meta_kubernetes_endpointslice_port_name"],
                "action": "keep",
                "regex": f"{service};{port}",
            },
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }
    if https:
        job["scheme"] = "https"
        job["authorization"] = {"credentials_file": f"{_SA}/token"}
        job["tls_config"] = {"ca_file": f"{_SA}/ca.crt"}
    return job


def cluster_jobs(cfg: StackConfig, topology: Topology) -> list[dict]:
    """The cluster's own targets that `prometheus.cluster` asks for; none off Kubernetes."""
    if not topology.pod_discovery:
        return []
    cluster = cfg.prometheus.cluster
    jobs = []
    if cluster.kubelet:
        jobs += [_kubelet_job(name, path, cluster.kubelet_verify_tls) for name, path in KUBELET_JOBS.items()]
    if cluster.api_server:
        jobs.append(_service_endpoints_job(APISERVER_JOB, "default", "kubernetes", "https", https=True))
    if cluster.coredns:
        jobs.append(_service_endpoints_job(COREDNS_JOB, "kube-system", "kube-dns", "metrics", https=False))
    return jobs + control_plane_jobs(cfg)


def _user_jobs(cfg: StackConfig) -> list[dict]:
    jobs = []
    for job in cfg.prometheus.scrape_jobs:
        entry = {
            "job_name": job.job_name,
            "metrics_path": job.metrics_path,
            "scheme": job.scheme,
            "static_configs": [{"targets": list(job.targets), **({"labels": dict(job.labels)} if job.labels else {})}],
        }
        if job.scrape_interval:
            entry["scrape_interval"] = job.scrape_interval
        if job.scrape_timeout:
            entry["scrape_timeout"] = job.scrape_timeout
        jobs.append(entry)
    return jobs


def prometheus_yml(cfg: StackConfig, topology: Topology) -> dict:
    labels = dict(cfg.prometheus.external_labels)
    if replica := topology.replica_label():
        labels["replica"] = replica
    config: dict = {
        "global": {
            "scrape_interval": cfg.prometheus.scrape_interval,
            "evaluation_interval": cfg.prometheus.evaluation_interval,
        },
        "rule_files": ["rules/*.yml"],
        "scrape_configs": _self_jobs(cfg, topology)
        + cluster_jobs(cfg, topology)
        + _user_jobs(cfg)
        + _pod_jobs(cfg, topology),
    }
    if labels:
        config["global"]["external_labels"] = labels
    # Prometheus 3 deprecates the --storage.tsdb.retention.* flags for this section of the file.
    retention = {"time": cfg.prometheus.retention}
    if cfg.prometheus.retention_size:
        retention["size"] = cfg.prometheus.retention_size
    config["storage"] = {"tsdb": {"retention": retention}}
    if cfg.alertmanager.enabled:
        config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": topology.alertmanagers()}]}]}
        if "replica" in labels:
            # Both copies of an HA pair send every alert; without the label Alertmanager sees one alert.
            config["alerting"]["alert_relabel_configs"] = [{"action": "labeldrop", "regex": "replica"}]
    return config


@renders("prometheus")
def render_prometheus(ctx: RenderContext) -> dict[str, str]:
    """Files relative to the config directory."""
    files = {"prometheus.yml": to_yaml(prometheus_yml(ctx.cfg, ctx.topology))}
    files.update(render_rule_files(ctx.cfg))
    return files


def prometheus_args(cfg: StackConfig, config_dir: str, data_dir: str) -> list[str]:
    # Retention is in prometheus.yml (storage.tsdb.retention). No --web.enable-lifecycle: a config
    # change replaces the container or rolls the pods, and an unauthenticated /-/quit endpoint
    # would be an open door.
    flags = [("config.file", f"{config_dir}/prometheus.yml"), ("storage.tsdb.path", data_dir)]
    args = command_line(flags, cfg.prometheus.extra_args)
    if remote_writers(cfg):
        # Alloy pushes the applications' OTLP metrics here (a switch: the flag takes no value).
        args.insert(len(flags), "--web.enable-remote-write-receiver")
    return args

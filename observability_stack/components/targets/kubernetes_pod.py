"""The pod template of a Workload on Kubernetes: container, volumes, probes, security."""

from __future__ import annotations

import hashlib
import json
import re

import pulumi
import pulumi_kubernetes as k8s

from ...configs.units import duration_ns
from ..workload import Workload

core = k8s.core.v1
meta = k8s.meta.v1

_KEY = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
CONFIG_VOLUME, SECRET_VOLUME, DATA_VOLUME, TMP_VOLUME = "config", "secrets", "data", "tmp"
# Startup may replay a large WAL (Prometheus, Loki): liveness waits until the first success, up to 10 minutes.
STARTUP_PERIOD, STARTUP_FAILURES = 10, 60


def object_keys(paths) -> dict[str, str]:
    """Relative path -> ConfigMap/Secret key. Keys are flat, so `rules/prsm.yml` becomes `rules__prsm.yml`;
    the volume's `items` put each key back at its path. Deterministic: a file keeps its key across runs."""
    keys: dict[str, str] = {}
    for path in sorted(paths):
        key = re.sub(r"[^-._a-zA-Z0-9]", "_", path.replace("/", "__"))
        if not _KEY.match(key) or key in (".", "..") or key in keys.values():
            key = "f-" + hashlib.sha256(path.encode()).hexdigest()[:32]  # only on a collision or odd name
        keys[path] = key
    return keys


def config_keys(w: Workload) -> dict[str, str]:
    """Keys of the ConfigMap holding the text and binary config files; its volume items use the same."""
    return object_keys([*w.config_files, *w.binary_files])


def config_digest(w: Workload) -> str:
    """Names the service's ConfigMap (`<service>-config-<digest>`), as kustomize's generators do: a
    changed file is a new ConfigMap, created before the pods move to it and deleted after, so no pod
    ever mounts a missing or half-updated config, and the pod template's change rolls the pods."""
    files = {**w.config_files, **{p: hashlib.sha256(b).hexdigest() for p, b in w.binary_files.items()}}
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:10]


def _seconds(duration: str) -> int:
    # A health check's start period is a Go duration, the form the Docker Engine takes (`1m30s`).
    return duration_ns(duration) // 10**9


def _probes(w: Workload) -> dict:
    get = core.HTTPGetActionArgs(path=w.health.path, port=w.health.port)
    return dict(
        startup_probe=core.ProbeArgs(
            http_get=get,
            period_seconds=STARTUP_PERIOD,
            timeout_seconds=5,
            failure_threshold=max(STARTUP_FAILURES, _seconds(w.health.start_period) // STARTUP_PERIOD),
        ),
        readiness_probe=core.ProbeArgs(http_get=get, period_seconds=10, timeout_seconds=5, failure_threshold=3),
        liveness_probe=core.ProbeArgs(http_get=get, period_seconds=20, timeout_seconds=5, failure_threshold=5),
    )


def _security(w: Workload) -> tuple[core.PodSecurityContextArgs, core.SecurityContextArgs]:
    uid, gid = w.uid(), w.gid()
    # uid 0 only for promtail: kubelet's pod logs under /var/log are root's. It still has no capabilities,
    # so it reads them as their owner, on a read-only mount, and cannot escalate.
    non_root = uid != 0
    seccomp = core.SeccompProfileArgs(type="RuntimeDefault")
    pod = core.PodSecurityContextArgs(
        run_as_user=uid,
        run_as_group=gid,
        fs_group=gid,
        run_as_non_root=non_root,
        fs_group_change_policy="OnRootMismatch",
        seccomp_profile=seccomp,
    )
    container = core.SecurityContextArgs(
        run_as_user=uid,
        run_as_group=gid,
        run_as_non_root=non_root,
        privileged=False,
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        capabilities=core.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=seccomp,
    )
    return pod, container


def _env(w: Workload, secret_env_name: pulumi.Input[str] | None) -> list[core.EnvVarArgs]:
    env = [core.EnvVarArgs(name=k, value=v) for k, v in sorted(w.env.items())]
    # Downward API first: args may refer to them as $(POD_IP), which Kubernetes expands from earlier entries.
    env = [
        core.EnvVarArgs(
            name=k, value_from=core.EnvVarSourceArgs(field_ref=core.ObjectFieldSelectorArgs(field_path=path))
        )
        for k, path in sorted(w.field_env.items())
    ] + env
    env += [
        core.EnvVarArgs(
            name=k,
            value_from=core.EnvVarSourceArgs(secret_key_ref=core.SecretKeySelectorArgs(name=secret_env_name, key=k)),
        )
        for k in sorted(w.secret_env)
    ]
    return env


def volumes(w: Workload, names: dict[str, pulumi.Input[str]], data: core.VolumeArgs | None) -> tuple[list, list]:
    """(pod volumes, container mounts). `names`: config_map / secret_files object names; `data`: the data
    volume when it is not a claim template (a StatefulSet's claims are added by name alone)."""
    vols, mounts = [], []
    if w.config_files or w.binary_files:
        items = [core.KeyToPathArgs(key=key, path=path) for path, key in config_keys(w).items()]
        vols.append(
            core.VolumeArgs(
                name=CONFIG_VOLUME,
                config_map=core.ConfigMapVolumeSourceArgs(name=names["config_map"], items=items, default_mode=0o444),
            )
        )
        mounts.append(core.VolumeMountArgs(name=CONFIG_VOLUME, mount_path=w.config_dir, read_only=True))
    if w.secret_files:
        items = [core.KeyToPathArgs(key=key, path=path) for path, key in object_keys(w.secret_files).items()]
        # 0440 with fsGroup = the service's gid: readable by the service, by nobody else in the pod.
        vols.append(
            core.VolumeArgs(
                name=SECRET_VOLUME,
                secret=core.SecretVolumeSourceArgs(secret_name=names["secret_files"], items=items, default_mode=0o440),
            )
        )
        mounts.append(core.VolumeMountArgs(name=SECRET_VOLUME, mount_path=w.secret_dir, read_only=True))
    if w.data_dir:
        if data is not None:
            vols.append(data)
        mounts.append(core.VolumeMountArgs(name=DATA_VOLUME, mount_path=w.data_dir))
    # Every service runs on a read-only root filesystem: it writes to its data volume and /tmp only.
    vols.append(core.VolumeArgs(name=TMP_VOLUME, empty_dir=core.EmptyDirVolumeSourceArgs(size_limit="256Mi")))
    mounts.append(core.VolumeMountArgs(name=TMP_VOLUME, mount_path="/tmp"))
    for i, mount in enumerate(w.host_mounts.get("kubernetes", [])):
        vols.append(
            core.VolumeArgs(
                name=f"host-{i}", host_path=core.HostPathVolumeSourceArgs(path=mount.host_path, type="Directory")
            )
        )
        mounts.append(
            core.VolumeMountArgs(
                name=f"host-{i}",
                mount_path=mount.container_path,
                read_only=True,
                mount_propagation="HostToContainer" if mount.follow_host_mounts else None,
            )
        )
    return vols, mounts


def pod_template(
    w: Workload, labels: dict, selector: dict, names: dict[str, pulumi.Input[str]], data: core.VolumeArgs | None = None
) -> core.PodTemplateSpecArgs:
    """`names`: the ConfigMap's and Secrets' object names. They change with their content (see
    config_digest; Secrets are auto-named and replaced on change), which rolls the pods: no checksum
    annotation is needed, and none derived from a secret value can leak it."""
    pod_security, container_security = _security(w)
    vols, mounts = volumes(w, names, data)
    container = core.ContainerArgs(
        name=w.service,
        image=w.image,
        image_pull_policy="IfNotPresent",  # every tag is pinned
        args=w.args,
        env=_env(w, names.get("secret_env")),
        ports=[core.ContainerPortArgs(name=p.name, container_port=p.port, protocol=p.protocol) for p in w.ports],
        resources=core.ResourceRequirementsArgs(
            requests={"cpu": w.requests.cpu, "memory": w.requests.memory},
            limits={"cpu": w.limits.cpu, "memory": w.limits.memory},
        ),
        security_context=container_security,
        volume_mounts=mounts,
        **_probes(w),
    )
    affinity = None
    if w.replicas > 1:
        # Replicas on different nodes where possible: one node's loss must not take the pair or the cluster.
        affinity = core.AffinityArgs(
            pod_anti_affinity=core.PodAntiAffinityArgs(
                preferred_during_scheduling_ignored_during_execution=[
                    core.WeightedPodAffinityTermArgs(
                        weight=100,
                        pod_affinity_term=core.PodAffinityTermArgs(
                            label_selector=meta.LabelSelectorArgs(match_labels=selector),
                            topology_key="kubernetes.io/hostname",
                        ),
                    )
                ]
            )
        )
    host = w.host_namespaces.get("kubernetes", ())
    return core.PodTemplateSpecArgs(
        metadata=meta.ObjectMetaArgs(labels=labels),
        spec=core.PodSpecArgs(
            host_pid=True if "pid" in host else None,
            host_network=True if "network" in host else None,
            # On the node's network the pod still resolves the cluster's Service names.
            dns_policy="ClusterFirstWithHostNet" if "network" in host else None,
            service_account_name=w.service,
            # Only services that call the API (discovery) get a token in the pod.
            automount_service_account_token=bool(w.api_rules),
            # Service links would put e.g. JAEGER_PORT=tcp://... into every pod's environment.
            enable_service_links=False,
            security_context=pod_security,
            containers=[container],
            volumes=vols,
            affinity=affinity,
            # A DaemonSet runs on every node, tainted control-plane nodes included.
            tolerations=[core.TolerationArgs(operator="Exists")] if w.kind == "daemon" else None,
        ),
    )

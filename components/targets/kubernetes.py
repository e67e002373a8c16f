"""Kubernetes target: per service a ServiceAccount, ConfigMap/Secrets, a StatefulSet, Deployment or
DaemonSet, its Services, and the PodDisruptionBudget, Ingress, RBAC and NetworkPolicy it needs."""
from __future__ import annotations

import base64

from typing import Optional

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from configs.models.stack import StackConfig

from ..service import Endpoints
from ..workload import Port, Workload
from .kubernetes_pod import DATA_VOLUME, config_keys, object_keys, pod_template
from .kubernetes_security import NAME_LABEL, cluster_rbac, default_deny, workload_policy

core, apps, meta = k8s.core.v1, k8s.apps.v1, k8s.meta.v1
INSTANCE_LABEL = "app.kubernetes.io/instance"


class KubernetesTarget:
    """Created by the stack component; the provider, namespace and default-deny policy are its children."""

    name = "kubernetes"

    def __init__(self, cfg: StackConfig, parent: pulumi.Resource):
        self.cfg = cfg
        self.settings = cfg.common.kubernetes
        self.prefix = cfg.common.name_prefix
        self.enabled = cfg.enabled()
        # Secret name -> its keys: `make render` shows which keys a Secret has, never their values.
        self.secret_keys: dict[str, list[str]] = {}
        self.provider = k8s.Provider(
            "kubernetes", kubeconfig=self.settings.kubeconfig, context=self.settings.context,
            # Preview without a cluster: the provider writes manifests instead of applying them.
            render_yaml_to_directory=self.settings.render_yaml_to,
            # The namespace and claims outlive `pulumi destroy` (retained); the next `pulumi up` must
            # adopt them instead of failing on "already exists".
            upsert_existing_objects=True,
            opts=pulumi.ResourceOptions(parent=parent))
        # Keys the secrets' checksum annotation (see kubernetes_pod.secret_checksum); kept in state, secret.
        self.checksum_key = random.RandomPassword(
            "checksum-key", length=32, special=False, opts=pulumi.ResourceOptions(parent=parent)).result
        self.namespace: pulumi.Input[str] = self.prefix
        if self.settings.create_namespace:
            # Retained: deleting a namespace deletes every claim in it, and the claims must outlive
            # `pulumi destroy`. Remove the namespace by hand to drop the data.
            ns = core.Namespace("namespace", metadata=meta.ObjectMetaArgs(name=self.prefix, labels=self._labels()),
                                opts=self._opts(parent, retain_on_delete=True))
            self.namespace = ns.metadata.name  # an Output: every namespaced object waits for it
        if self.settings.network_policies:
            default_deny(self.namespace, self._labels(), self._opts(parent))

    # --- helpers --------------------------------------------------------------------------------
    def _opts(self, parent: pulumi.Resource, **kw) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, **kw)

    def _labels(self, w: Optional[Workload] = None) -> dict[str, str]:
        base = dict(w.labels) if w else dict(self.cfg.common.labels)
        return {**base, INSTANCE_LABEL: self.prefix, "app.kubernetes.io/managed-by": "pulumi"}

    def _selector(self, w: Workload) -> dict[str, str]:
        # Minimal and stable: a selector cannot change after creation.
        return {NAME_LABEL: w.service, INSTANCE_LABEL: self.prefix}

    def _meta(self, name: str, w: Workload, **kw) -> meta.ObjectMetaArgs:
        return meta.ObjectMetaArgs(name=name, namespace=self.namespace, labels=self._labels(w), **kw)

    def _ingress_host(self, w: Workload) -> Optional[str]:
        ingress = self.settings.ingress
        if ingress.enabled and any(p.ui for p in w.ports):
            return ingress.hosts.get(w.service)
        return None

    # --- the service ----------------------------------------------------------------------------
    def deploy(self, w: Workload, parent: pulumi.Resource) -> Endpoints:
        opts = lambda **kw: self._opts(parent, **kw)  # noqa: E731
        needs: list[pulumi.Resource] = [core.ServiceAccount(
            w.service, metadata=self._meta(w.service, w), automount_service_account_token=False, opts=opts())]
        needs += cluster_rbac(w, self.namespace, self.prefix, self._labels(w), opts)
        names = {"config_map": f"{w.service}-config", "secret_files": f"{w.service}-secret-files",
                 "secret_env": f"{w.service}-secret-env"}
        if w.config_files or w.binary_files:
            keys = config_keys(w)
            binary = {keys[p]: base64.b64encode(b).decode() for p, b in w.binary_files.items()}
            needs.append(core.ConfigMap(names["config_map"], metadata=self._meta(names["config_map"], w),
                                        data={keys[p]: c for p, c in w.config_files.items()},
                                        binary_data=binary or None, opts=opts()))
        # Secret material only in Secrets: string_data stays a secret Output in state and in the diff.
        for kind, values, keyed in (("secret_files", w.secret_files, object_keys(w.secret_files)),
                                    ("secret_env", w.secret_env, {k: k for k in w.secret_env})):
            if values:
                self.secret_keys[names[kind]] = sorted(keyed[k] for k in values)
                needs.append(core.Secret(names[kind], metadata=self._meta(names[kind], w), type="Opaque",
                                         string_data={keyed[k]: pulumi.Output.secret(v) for k, v in values.items()},
                                         opts=opts()))
        self._workload(w, names, needs, opts)
        self._services(w, opts)
        if w.replicas > 1 and w.kind != "daemon":
            # Voluntary disruptions (node drains) take one replica at a time.
            k8s.policy.v1.PodDisruptionBudget(
                w.service, metadata=self._meta(w.service, w),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=1, selector=meta.LabelSelectorArgs(match_labels=self._selector(w))),
                opts=opts())
        host = self._ingress_host(w)
        ui = next((p for p in w.ports if p.ui), None)
        if host:
            self._ingress(w, ui, host, opts)
        if self.settings.network_policies:
            workload_policy(w, self.namespace, self._labels(w), self._selector(w), self.enabled,
                            {ui.name} if host else set(), self.settings.ingress.controller_namespace, opts())
        port = ui or (w.ports[0] if w.ports else None)
        internal = f"http://{w.service}.{self.prefix}.svc:{port.port if port else w.health.port}"
        external = None
        if host:
            external = f"{'https' if self.settings.ingress.tls_secret else 'http'}://{host}"
        return Endpoints(internal_url=internal, external_url=external)

    def _workload(self, w: Workload, names: dict, needs: list, opts) -> pulumi.CustomResource:
        selector = meta.LabelSelectorArgs(match_labels=self._selector(w))
        labels = {**self._labels(w), **self._selector(w)}
        metadata = self._meta(w.service, w)
        if w.kind == "stateful":
            claims = []
            if w.data_dir:
                claims = [core.PersistentVolumeClaimArgs(metadata=meta.ObjectMetaArgs(name=DATA_VOLUME, labels=labels),
                                                         spec=self._claim_spec(w))]
            return apps.StatefulSet(w.service, metadata=metadata, spec=apps.StatefulSetSpecArgs(
                service_name=f"{w.service}-headless", replicas=w.replicas, selector=selector,
                # Replicas are peers, not a chain: start them together (Alertmanager's gossip needs the others).
                pod_management_policy="Parallel",
                template=pod_template(w, labels, self._selector(w), names, self.checksum_key),
                volume_claim_templates=claims,
                # The claims outlive the StatefulSet and scale-downs: data goes only when a person deletes it.
                persistent_volume_claim_retention_policy=apps.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
                    when_deleted="Retain", when_scaled="Retain")),
                opts=opts(depends_on=needs))
        if w.kind == "daemon":
            data = None
            if w.data_dir:
                # Per node (promtail's read positions): survives pod restarts so logs are not sent twice.
                data = core.VolumeArgs(name=DATA_VOLUME, host_path=core.HostPathVolumeSourceArgs(
                    path=f"/var/lib/{self.prefix}-{w.service}", type="DirectoryOrCreate"))
            # Prometheus finds these pods through its own job for the service (configs/render/prometheus.py).
            return apps.DaemonSet(w.service, metadata=metadata, spec=apps.DaemonSetSpecArgs(
                selector=selector, template=pod_template(w, labels, self._selector(w), names, self.checksum_key, data)),
                opts=opts(depends_on=needs))
        data, strategy = None, None
        if w.data_dir:
            claim = core.PersistentVolumeClaim(f"{w.service}-data", metadata=self._meta(f"{w.service}-data", w),
                                               spec=self._claim_spec(w), opts=opts(retain_on_delete=True))
            needs.append(claim)
            data = core.VolumeArgs(name=DATA_VOLUME, persistent_volume_claim=core.PersistentVolumeClaimVolumeSourceArgs(
                claim_name=f"{w.service}-data"))
            # A ReadWriteOnce claim cannot be mounted by the old and the new pod at once.
            strategy = apps.DeploymentStrategyArgs(type="Recreate")
        return apps.Deployment(w.service, metadata=metadata, spec=apps.DeploymentSpecArgs(
            replicas=w.replicas, selector=selector, strategy=strategy,
            template=pod_template(w, labels, self._selector(w), names, self.checksum_key, data)),
            opts=opts(depends_on=needs))

    def _claim_spec(self, w: Workload) -> core.PersistentVolumeClaimSpecArgs:
        return core.PersistentVolumeClaimSpecArgs(
            access_modes=["ReadWriteOnce"], storage_class_name=self.settings.storage_class,
            resources=core.VolumeResourceRequirementsArgs(requests={"storage": w.data_size}))

    def _services(self, w: Workload, opts) -> None:
        if not w.ports:
            return
        ports = [core.ServicePortArgs(name=p.name, port=p.port, target_port=p.port, protocol=p.protocol)
                 for p in w.ports]
        selector = self._selector(w)
        # Named exactly after the service: the rendered configs address `prometheus`, `loki`, ...
        core.Service(w.service, metadata=self._meta(w.service, w),
                     spec=core.ServiceSpecArgs(type="ClusterIP", selector=selector, ports=ports), opts=opts())
        if w.kind == "stateful":
            # Stable per-pod names (alertmanager-0.alertmanager-headless). Not-ready pods are published
            # too: gossip peers must find each other before any of them is ready.
            core.Service(f"{w.service}-headless", metadata=self._meta(f"{w.service}-headless", w),
                         spec=core.ServiceSpecArgs(cluster_ip="None", selector=selector, ports=ports,
                                                   publish_not_ready_addresses=True), opts=opts())

    def _ingress(self, w: Workload, ui: Port, host: str, opts) -> None:
        ingress = self.settings.ingress
        net = k8s.networking.v1
        backend = net.IngressBackendArgs(service=net.IngressServiceBackendArgs(
            name=w.service, port=net.ServiceBackendPortArgs(number=ui.port)))
        tls = [net.IngressTLSArgs(hosts=[host], secret_name=ingress.tls_secret)] if ingress.tls_secret else None
        net.Ingress(w.service, metadata=self._meta(w.service, w), spec=net.IngressSpecArgs(
            ingress_class_name=ingress.class_name, tls=tls,
            rules=[net.IngressRuleArgs(host=host, http=net.HTTPIngressRuleValueArgs(paths=[
                net.HTTPIngressPathArgs(path="/", path_type="Prefix", backend=backend)]))]),
            opts=opts())

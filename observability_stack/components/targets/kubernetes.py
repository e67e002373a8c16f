"""Kubernetes target: per service a ServiceAccount, ConfigMap/Secrets, a StatefulSet, Deployment or
DaemonSet, its Services, and the PodDisruptionBudget, Ingress, RBAC and NetworkPolicy it needs."""

from __future__ import annotations

import base64

import pulumi
import pulumi_kubernetes as k8s

from observability_stack.configs import registry
from observability_stack.configs.models.stack import StackConfig
from observability_stack.configs.render.common import Topology, headless_service

from ..naming import DEFAULT_NAMES, Child, Names
from ..service import Endpoints
from ..workload import Port, Workload
from .kubernetes_pod import DATA_VOLUME, config_digest, config_keys, object_keys, pod_template
from .kubernetes_security import NAME_LABEL, cluster_rbac, default_deny, pod_security_labels, workload_policy

core, apps, meta = k8s.core.v1, k8s.apps.v1, k8s.meta.v1
INSTANCE_LABEL = "app.kubernetes.io/instance"
MANAGED_BY = "app.kubernetes.io/managed-by"


class KubernetesTarget:
    """Created by the stack component; the provider, namespace and default-deny policy are its children."""

    name = "kubernetes"

    def __init__(
        self,
        cfg: StackConfig,
        parent: pulumi.Resource | None,
        provider: pulumi.ProviderResource | None = None,
        names: Names = DEFAULT_NAMES,
    ):
        self.cfg = cfg
        self.names = names
        self.settings = cfg.common.kubernetes
        self.prefix = cfg.common.name_prefix
        self.enabled = cfg.enabled()
        # Secret resource name -> its keys: `make render` shows which keys a Secret has, never their values.
        self.secret_keys: dict[str, list[str]] = {}
        # This provider release creates with a server-side apply, which adopts an object that already
        # exists: the namespace and claims that `pulumi destroy` retained are taken over by the next
        # `pulumi up` (tests/engine shows it). The flip side: renaming a resource without an alias
        # would adopt the live object, then delete it with the old resource; the retained objects are
        # safe from that (their delete never reaches the cluster), the others need the alias.
        self.provider = provider or k8s.Provider(
            **names("kubernetes", pulumi.ResourceOptions(parent=parent)),
            kubeconfig=self.settings.kubeconfig,
            context=self.settings.context,
            # Preview without a cluster: the provider writes manifests instead of applying them.
            render_yaml_to_directory=self.settings.render_yaml_to,
        )
        child = names.child(parent, self.provider)  # the namespace and default deny, under `parent`
        self.namespace: pulumi.Input[str] = self.prefix
        if self.settings.create_namespace:
            # Retained: deleting a namespace deletes every claim in it, and the claims must outlive
            # `pulumi destroy`. Remove the namespace by hand to drop the data.
            node_access = any(registry.facts(name).node_access for name in self.enabled)
            labels = {**self._labels(), **pod_security_labels(node_access=node_access)}
            ns = core.Namespace(
                **child("namespace", retain_on_delete=True),
                metadata=meta.ObjectMetaArgs(name=self.prefix, labels=labels, annotations=self._adopting()),
            )
            self.namespace = ns.metadata.name  # an Output: every namespaced object waits for it
        if self.settings.network_policies:
            # In a namespace the stack does not own, the deny covers this stack's pods only, never the
            # workloads that already run there.
            # Selected by labels only this stack's pods carry together (a Helm release named like the
            # namespace has the same instance label, but Helm as its manager), and named apart from a
            # namespace-wide deny the owner may have, which the provider's create would adopt.
            if self.settings.create_namespace:
                default_deny(self.namespace, self._labels(), child("default-deny-ingress"))
            else:
                only = {k: v for k, v in self._labels().items() if k in (INSTANCE_LABEL, MANAGED_BY)}
                only["app.kubernetes.io/part-of"] = "observability"
                name = f"{self.prefix}-default-deny-ingress"
                default_deny(self.namespace, self._labels(), child("default-deny-ingress"), only, name)

    # --- helpers --------------------------------------------------------------------------------
    def _adopting(self) -> dict[str, str]:
        """Annotations of the objects `pulumi destroy` retains and the next `pulumi up` adopts.

        Without a name the provider applies as a manager it names at random when it creates a resource
        (`pulumi-kubernetes-<random>`, kept in the state), so the `up` after a destroy is a new manager:
        the API server refuses its apply of any field the old one set to another value (a label, a
        size), and a field the config dropped would stay, owned by the old manager, forever. One stable
        manager per stack makes the ownership continuous across destroy and up. Force settles what is
        left: the random manager of a stack created before this, and the controller manager's fields on
        a claim. The stack is the source of truth for these objects, so its config wins."""
        return {"pulumi.com/patchFieldManager": f"pulumi-{self.prefix}", "pulumi.com/patchForce": "true"}

    def _labels(self, w: Workload | None = None) -> dict[str, str]:
        base = dict(w.labels) if w else dict(self.cfg.common.labels)
        return {**base, INSTANCE_LABEL: self.prefix, MANAGED_BY: "pulumi"}

    def _selector(self, w: Workload) -> dict[str, str]:
        # Minimal and stable: a selector cannot change after creation.
        return {NAME_LABEL: w.service, INSTANCE_LABEL: self.prefix}

    def _meta(self, name: str | None, w: Workload, **kw) -> meta.ObjectMetaArgs:
        return meta.ObjectMetaArgs(name=name, namespace=self.namespace, labels=self._labels(w), **kw)

    def _ingress_host(self, w: Workload) -> str | None:
        ingress = self.settings.ingress
        if ingress.enabled and any(p.ui for p in w.ports):
            return ingress.hosts.get(w.service)
        return None

    # --- the service ----------------------------------------------------------------------------
    def deploy(self, w: Workload, parent: pulumi.Resource) -> Endpoints:
        child = self.names.child(parent, self.provider)
        needs: list[pulumi.Resource] = [
            core.ServiceAccount(
                **child(w.service), metadata=self._meta(w.service, w), automount_service_account_token=False
            )
        ]
        needs += cluster_rbac(w, self.namespace, self.prefix, self._labels(w), child)
        # Resource name -> object name. The ConfigMap's name carries its content's digest and the
        # Secrets are auto-named (a name derived from secret content would leak it): a changed file is
        # a new object, created before the pods move to it (see kubernetes_pod.config_digest).
        names: dict[str, pulumi.Input[str]] = {}
        if w.config_files or w.binary_files:
            keys = config_keys(w)
            binary = {keys[p]: base64.b64encode(b).decode() for p, b in w.binary_files.items()}
            config_map = core.ConfigMap(
                **child(f"{w.service}-config"),
                metadata=self._meta(f"{w.service}-config-{config_digest(w)}", w),
                data={keys[p]: c for p, c in w.config_files.items()},
                binary_data=binary or None,
            )
            names["config_map"] = config_map.metadata.name
            needs.append(config_map)
        # Secret material only in Secrets: string_data stays a secret Output in state and in the diff.
        for kind, values, keyed in (
            ("secret_files", w.secret_files, object_keys(w.secret_files)),
            ("secret_env", w.secret_env, {k: k for k in w.secret_env}),
        ):
            if values:
                resource_name = f"{w.service}-{kind.replace('_', '-')}"
                self.secret_keys[resource_name] = sorted(keyed[k] for k in values)
                secret = core.Secret(
                    **child(resource_name),
                    metadata=self._meta(None, w),
                    type="Opaque",
                    string_data={keyed[k]: pulumi.Output.secret(v) for k, v in values.items()},
                )
                names[kind] = secret.metadata.name
                needs.append(secret)
        workload = self._workload(w, names, needs, child)
        services = self._services(w, child)
        if w.replicas > 1 and w.kind != "daemon":
            # Voluntary disruptions (node drains) take one replica at a time.
            k8s.policy.v1.PodDisruptionBudget(
                **child(w.service),
                metadata=self._meta(w.service, w),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=1, selector=meta.LabelSelectorArgs(match_labels=self._selector(w))
                ),
            )
        ui = next((p for p in w.ports if p.ui), None)
        host = self._ingress_host(w) if ui else None
        if ui and host:
            self._ingress(w, ui, host, child)
        if self.settings.network_policies:
            workload_policy(
                w,
                self.namespace,
                self._labels(w),
                self._selector(w),
                self.enabled,
                {ui.name} if ui and host else set(),
                self.settings.ingress.controller_namespace,
                child(w.service),
            )
        port = ui or (w.ports[0] if w.ports else None)
        internal = f"http://{w.service}.{self.prefix}.svc:{port.port if port else w.health.port}"
        return Endpoints(
            internal_url=internal,
            external_url=Topology.of(self.cfg).public_url(w.service) if host else None,
            workload=workload,
            services=services,
        )

    def _workload(self, w: Workload, names: dict, needs: list, child: Child) -> pulumi.CustomResource:
        selector = meta.LabelSelectorArgs(match_labels=self._selector(w))
        labels = {**self._labels(w), **self._selector(w)}
        metadata = self._meta(w.service, w)
        if w.kind == "stateful":
            claims = []
            if w.data_dir:
                claims = [
                    core.PersistentVolumeClaimArgs(
                        metadata=meta.ObjectMetaArgs(name=DATA_VOLUME, labels=labels), spec=self._claim_spec(w)
                    )
                ]
            statefulset = apps.StatefulSet(
                # The API server refuses any change to volumeClaimTemplates, so the provider would replace
                # (delete, then create) the StatefulSet for a new label or size. The template stays as
                # created; the claims' patches below carry later label and size changes to the claims.
                **child(w.service, depends_on=needs, ignore_changes=["spec.volumeClaimTemplates"]),
                metadata=metadata,
                spec=apps.StatefulSetSpecArgs(
                    service_name=headless_service(w.service),
                    replicas=w.replicas,
                    selector=selector,
                    # Replicas are peers, not a chain: start them together (Alertmanager's gossip needs the others).
                    pod_management_policy="Parallel",
                    template=pod_template(w, labels, self._selector(w), names),
                    volume_claim_templates=claims,
                    # The claims outlive the StatefulSet and scale-downs: data goes only when a person deletes it.
                    persistent_volume_claim_retention_policy=apps.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
                        when_deleted="Retain", when_scaled="Retain"
                    ),
                ),
            )
            if w.data_dir:
                self._claim_patches(w, labels, statefulset, child)
            return statefulset
        if w.kind == "daemon":
            data = None
            if w.data_dir:
                # Per node (promtail's read positions): survives pod restarts so logs are not sent twice.
                data = core.VolumeArgs(
                    name=DATA_VOLUME,
                    host_path=core.HostPathVolumeSourceArgs(
                        path=f"/var/lib/{self.prefix}-{w.service}", type="DirectoryOrCreate"
                    ),
                )
            # Prometheus finds these pods through its own job for the service (configs/render/prometheus.py).
            return apps.DaemonSet(
                **child(w.service, depends_on=needs),
                metadata=metadata,
                spec=apps.DaemonSetSpecArgs(
                    selector=selector, template=pod_template(w, labels, self._selector(w), names, data)
                ),
            )
        data, strategy = None, None
        if w.data_dir:
            claim = core.PersistentVolumeClaim(
                **child(f"{w.service}-data", retain_on_delete=True),
                metadata=self._meta(f"{w.service}-data", w, annotations=self._adopting()),
                spec=self._claim_spec(w),
            )
            needs.append(claim)
            data = core.VolumeArgs(
                name=DATA_VOLUME,
                persistent_volume_claim=core.PersistentVolumeClaimVolumeSourceArgs(claim_name=f"{w.service}-data"),
            )
            # A ReadWriteOnce claim cannot be mounted by the old and the new pod at once.
            strategy = apps.DeploymentStrategyArgs(type="Recreate")
        return apps.Deployment(
            **child(w.service, depends_on=needs),
            metadata=metadata,
            spec=apps.DeploymentSpecArgs(
                replicas=w.replicas,
                selector=selector,
                strategy=strategy,
                template=pod_template(w, labels, self._selector(w), names, data),
            ),
        )

    def _claim_patches(self, w: Workload, labels: dict, statefulset: apps.StatefulSet, child: Child) -> None:
        """One server-side-apply patch per replica's claim (`data-<service>-<i>`, made by the StatefulSet
        controller): the current labels and requested size. A larger size is an in-place expansion where
        the storage class allows it; the API server refuses it otherwise, and says so in `pulumi up`."""
        for i in range(w.replicas):
            core.PersistentVolumeClaimPatch(
                # Deleting a patch only gives up its fields; retained all the same, as the claims are.
                **child(f"{w.service}-data-{i}", retain_on_delete=True, depends_on=[statefulset]),
                metadata=meta.ObjectMetaPatchArgs(
                    name=f"{DATA_VOLUME}-{w.service}-{i}",
                    namespace=self.namespace,
                    labels=labels,
                    # The controller manager created the claim; taking over its size field needs force.
                    annotations=self._adopting(),
                ),
                spec=core.PersistentVolumeClaimSpecPatchArgs(
                    resources=core.VolumeResourceRequirementsPatchArgs(requests={"storage": w.data_size})
                ),
            )

    def _claim_spec(self, w: Workload) -> core.PersistentVolumeClaimSpecArgs:
        return core.PersistentVolumeClaimSpecArgs(
            access_modes=["ReadWriteOnce"],
            storage_class_name=self.settings.storage_class,
            resources=core.VolumeResourceRequirementsArgs(requests={"storage": w.data_size}),
        )

    def _services(self, w: Workload, child: Child) -> list[pulumi.Resource]:
        if not w.ports:
            return []
        ports = [
            core.ServicePortArgs(name=p.name, port=p.port, target_port=p.port, protocol=p.protocol) for p in w.ports
        ]
        selector = self._selector(w)
        # Named exactly after the service: the rendered configs address `prometheus`, `loki`, ...
        services: list[pulumi.Resource] = [
            core.Service(
                **child(w.service),
                metadata=self._meta(w.service, w),
                spec=core.ServiceSpecArgs(type="ClusterIP", selector=selector, ports=ports),
            )
        ]
        if w.kind == "stateful":
            # Stable per-pod names (alertmanager-0.alertmanager-headless). Not-ready pods are published
            # too: gossip peers must find each other before any of them is ready.
            services.append(
                core.Service(
                    **child(headless_service(w.service)),
                    metadata=self._meta(headless_service(w.service), w),
                    spec=core.ServiceSpecArgs(
                        cluster_ip="None", selector=selector, ports=ports, publish_not_ready_addresses=True
                    ),
                )
            )
        return services

    def _ingress(self, w: Workload, ui: Port, host: str, child: Child) -> None:
        ingress = self.settings.ingress
        net = k8s.networking.v1
        backend = net.IngressBackendArgs(
            service=net.IngressServiceBackendArgs(name=w.service, port=net.ServiceBackendPortArgs(number=ui.port))
        )
        tls = [net.IngressTLSArgs(hosts=[host], secret_name=ingress.tls_secret)] if ingress.tls_secret else None
        net.Ingress(
            **child(w.service),
            metadata=self._meta(w.service, w),
            spec=net.IngressSpecArgs(
                ingress_class_name=ingress.class_name,
                tls=tls,
                rules=[
                    net.IngressRuleArgs(
                        host=host,
                        http=net.HTTPIngressRuleValueArgs(
                            paths=[net.HTTPIngressPathArgs(path="/", path_type="Prefix", backend=backend)]
                        ),
                    )
                ],
            ),
        )

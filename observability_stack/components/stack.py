"""ObservabilityStack: the enabled services on the configured target, as one component."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from observability_stack.configs.models.stack import StackConfig
from observability_stack.configs.secrets import Secrets

from .alertmanager import Alertmanager
from .grafana import Grafana
from .jaeger import Jaeger
from .loki import Loki
from .prometheus import Prometheus
from .promtail import Promtail
from .service import ServiceArgs, ServiceComponent
from .targets import make_target

COMPONENTS: dict[str, type[ServiceComponent]] = {
    "prometheus": Prometheus,
    "alertmanager": Alertmanager,
    "grafana": Grafana,
    "loki": Loki,
    "promtail": Promtail,
    "jaeger": Jaeger,
}


@dataclass
class StackArgs:
    config: StackConfig
    secrets: Secrets
    # Where relative paths in config (grafana.dashboards_dir) are resolved.
    project_root: str = "."


class ObservabilityStack(pulumi.ComponentResource):
    services: dict[str, ServiceComponent]
    """The enabled services' components, by service name."""
    urls: pulumi.Output[dict]
    """Per service: {internal, external} URLs."""
    grafana_admin_password: pulumi.Output[str] | None
    """Secret; None when Grafana is disabled."""

    def __init__(self, name: str, args: StackArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("observability:index:ObservabilityStack", name, None, opts)
        cfg = args.config
        self.target = make_target(cfg, self)
        service_args = ServiceArgs(cfg, args.secrets, self.target, args.project_root)
        self.services = {
            service: COMPONENTS[service](service, service_args, pulumi.ResourceOptions(parent=self))
            for service in cfg.enabled()
        }
        self.urls = pulumi.Output.all(
            **{
                service: pulumi.Output.all(internal=c.internal_url, external=c.external_url)
                for service, c in self.services.items()
            }
        )
        grafana = self.services.get("grafana")
        self.grafana_admin_password = grafana.admin_password if grafana else None
        self.register_outputs({"urls": self.urls, "grafana_admin_password": self.grafana_admin_password})

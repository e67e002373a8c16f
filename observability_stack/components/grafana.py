"""Grafana with provisioned datasources and dashboards; its admin password never leaves Pulumi secrets."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from observability_stack.configs.render.common import PORTS
from observability_stack.configs.render.grafana import ADMIN_PASSWORD_FILE, grafana_env

from .service import ServiceArgs, ServiceComponent
from .workload import HealthCheck, Port, Workload


class Grafana(ServiceComponent):
    """Grafana: provisioned datasources and dashboards; the admin password is a secret."""

    SERVICE = "grafana"
    TYPE = "observability:index:Grafana"

    admin_password: pulumi.Output[str]
    """The admin password (secret): from `observability:secrets`, or generated once and kept in state."""

    def describe(self, args: ServiceArgs) -> Workload:
        cfg = args.config
        port = PORTS["grafana"]
        workload = self.base(
            args,
            args=[],
            ports=[Port("web", port, ui=True, allowed_from=("prometheus",))],
            health=HealthCheck.http("/api/health", port),
            kind="stateless",
            metrics_port="web",
            user="472:0",
        )
        # The admin password's file, when its secret is set (the model declares it); otherwise one
        # generated once and kept in state.
        password = workload.secret_files.get(ADMIN_PASSWORD_FILE)
        if password is None:
            generated = random.RandomPassword(
                **args.target.names("grafana-admin-password", pulumi.ResourceOptions(parent=self)),
                length=24,
                special=False,
            )
            password = generated.result
        self.admin_password = pulumi.Output.secret(password)
        workload.secret_files[ADMIN_PASSWORD_FILE] = self.admin_password
        workload.env = grafana_env(cfg, workload.config_dir, workload.secret_dir)
        return workload

    def outputs(self) -> dict:
        return {**super().outputs(), "admin_password": self.admin_password}

"""`grafana` section."""

from __future__ import annotations

from ..registry import ServiceFacts, service
from .base import Int
from .service import Bytes, Image, Service


@service(
    "grafana",
    ServiceFacts(
        order=30, port=3000, config_dir="/etc/grafana", data_dir="/var/lib/grafana", ui=True, single_replica=True
    ),
)
class Grafana(Service):
    image: Image = Image(repository="grafana/grafana", tag="13.2.2")
    host_port: Int | None = 3000
    admin_user: str = "admin"
    # Name of the entry in `observability:secrets`; when unset, a random password is generated.
    admin_password_secret: str = "grafana_admin_password"
    root_url: str | None = None
    # Directory (relative to the project) of extra dashboard JSON files, provisioned into the "Custom" folder.
    dashboards_dir: str | None = None
    storage_size: Bytes = "2Gi"

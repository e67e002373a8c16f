"""`grafana` section."""

from __future__ import annotations

from pydantic import Field

from ..registry import ServiceFacts, service
from .base import Int
from .grafana_env import GrafanaEnvName, RootUrl
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
    # Name of the entry in `observability:secrets`. Unset, the shipped name gets a random password; a
    # name of your own must be set.
    admin_password_secret: str = "grafana_admin_password"
    root_url: RootUrl | None = None
    # Directory (relative to the project) of extra dashboard JSON files, provisioned into the "Custom" folder.
    dashboards_dir: str | None = None
    storage_size: Bytes = "2Gi"
    # Grafana settings as GF_<SECTION>_<KEY> variables (models/grafana_env.py: what Grafana ignores).
    env: dict[GrafanaEnvName, str] = Field(default_factory=dict)

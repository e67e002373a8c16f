"""`grafana` section."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..registry import ServiceFacts, service
from .base import Int
from .grafana_env import GrafanaEnvName, RootUrl
from .secret import SecretRef
from .service import Bytes, Image, Service

# The admin password's file in Grafana's secret directory: a fixed name, since Grafana reads it
# whether the password is a secret of the stack's or generated (components/grafana.py).
ADMIN_PASSWORD_FILE = "admin_password"


@service(
    "grafana",
    ServiceFacts(port=3000, config_dir="/etc/grafana", data_dir="/var/lib/grafana", ui=True, single_replica=True),
)
class Grafana(Service):
    image: Image = Image(repository="grafana/grafana", tag="13.2.2")
    host_port: Int | None = 3000
    admin_user: str = "admin"
    # Name of the entry in `observability:secrets`. Unset, the shipped name gets a random password; a
    # name of your own must be set.
    admin_password_secret: Annotated[
        str,
        SecretRef(
            file=ADMIN_PASSWORD_FILE,
            needed=lambda grafana: grafana.enabled,
            error="secret {name!r} is not set: a random admin password would be generated instead ({hint})",
            warning="secret {name!r} is not set: a random admin password is generated "
            "(`pulumi stack output --show-secrets`, or `make password`)",
        ),
    ] = "grafana_admin_password"
    root_url: RootUrl | None = None
    # Directory (relative to the project) of extra dashboard JSON files, provisioned into the "Custom" folder.
    dashboards_dir: str | None = None
    storage_size: Bytes = "2Gi"
    # Grafana settings as GF_<SECTION>_<KEY> variables (models/grafana_env.py: what Grafana ignores).
    env: dict[GrafanaEnvName, str] = Field(default_factory=dict)

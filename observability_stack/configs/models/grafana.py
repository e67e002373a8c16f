"""`grafana` section."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from ..registry import ServiceFacts, service
from .base import Int
from .grafana_env import GrafanaEnvName, RootUrl
from .secret import SecretRef
from .service import Bytes, Image, Service

# The admin password's file in Grafana's secret directory: a fixed name, since Grafana reads it
# whether the password is a secret of the stack's or generated (components/grafana.py).
ADMIN_PASSWORD_FILE = "admin_password"
# The folders the stack provisions itself (content/dashboards/__init__.py) and `dashboards_dir`'s.
SHIPPED_FOLDERS = ("Observability Stack", "SLOs", "Infrastructure", "Kubernetes", "Custom")


def _folder_name(value: str) -> str:
    if not value.strip() or len(value) > 64 or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]*", value):
        raise ValueError(f"{value!r} is not a folder name (letters, digits, spaces, '.', '_', '-'; at most 64)")
    if value in SHIPPED_FOLDERS:
        raise ValueError(f"{value!r} is a folder the stack provisions itself; name yours otherwise")
    return value


FolderName = Annotated[str, AfterValidator(_folder_name)]


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
    # Folder name -> directory (relative to the project) of its dashboard JSON files; a content pack's
    # dashboards/<Folder>/ arrive here.
    dashboard_folders: dict[FolderName, str] = Field(default_factory=dict)
    slo_dashboard_title: str = Field("Service Level Objectives", min_length=1)
    storage_size: Bytes = "2Gi"
    # Grafana settings as GF_<SECTION>_<KEY> variables (models/grafana_env.py: what Grafana ignores).
    env: dict[GrafanaEnvName, str] = Field(default_factory=dict)

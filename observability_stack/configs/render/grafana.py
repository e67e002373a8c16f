"""Grafana: grafana.ini, datasource and dashboard provisioning, and the dashboards themselves."""

from __future__ import annotations

import configparser
import io
import os
import re

from ..content.dashboards import builtin_dashboards, load_user_dashboards
from ..models.grafana import ADMIN_PASSWORD_FILE
from ..models.stack import StackConfig
from ..registry import renders
from .common import RenderContext, Topology, to_json, to_yaml
from .rules import cluster_sources

USER_FOLDER = "Custom"
# Grafana expands $VAR in provisioning files; `$$` is its escape for a literal dollar sign.
_TRACE_LINK = "$${__value.raw}"


def _datasources(cfg: StackConfig, topology: Topology) -> list[dict]:
    sources = []
    if cfg.prometheus.enabled:
        sources.append(
            {
                "name": "Prometheus",
                "uid": "prometheus",
                "type": "prometheus",
                "access": "proxy",
                "url": topology.url("prometheus"),
                "isDefault": True,
                "editable": False,
                "jsonData": {"timeInterval": cfg.prometheus.scrape_interval, "httpMethod": "POST"},
            }
        )
    if cfg.loki.enabled:
        loki: dict = {
            "name": "Loki",
            "uid": "loki",
            "type": "loki",
            "access": "proxy",
            "url": topology.url("loki"),
            "editable": False,
            "jsonData": {"maxLines": 1000},
        }
        if cfg.jaeger.enabled:
            loki["jsonData"]["derivedFields"] = [
                {
                    "name": "TraceID",
                    "datasourceUid": "jaeger",
                    "url": _TRACE_LINK,
                    "matcherRegex": r"(?:trace_?id|traceID)[\"=: ]+\"?(\w+)",
                }
            ]
        sources.append(loki)
    if cfg.jaeger.enabled:
        jaeger: dict = {
            "name": "Jaeger",
            "uid": "jaeger",
            "type": "jaeger",
            "access": "proxy",
            "url": topology.url("jaeger"),
            "editable": False,
            "jsonData": {},
        }
        if cfg.loki.enabled:
            jaeger["jsonData"]["tracesToLogsV2"] = {
                "datasourceUid": "loki",
                "filterByTraceID": True,
                "filterBySpanID": False,
                "spanStartTimeShift": "-1h",
                "spanEndTimeShift": "1h",
            }
        sources.append(jaeger)
    if cfg.alertmanager.enabled:
        sources.append(
            {
                "name": "Alertmanager",
                "uid": "alertmanager",
                "type": "alertmanager",
                "access": "proxy",
                "url": topology.url("alertmanager"),
                "editable": False,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            }
        )
    return sources


def folder_dir(folder: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")


def user_folders(cfg: StackConfig) -> dict[str, tuple[str, str]]:
    """Folder -> (config path, directory) of the dashboards the config brings: `dashboard_folders`
    (a content pack's among them) and `dashboards_dir`, the "Custom" folder."""
    folders = {
        folder: (f"grafana.dashboard_folders.{folder}", directory)
        for folder, directory in cfg.grafana.dashboard_folders.items()
    }
    if cfg.grafana.dashboards_dir:
        folders[USER_FOLDER] = ("grafana.dashboards_dir", cfg.grafana.dashboards_dir)
    return folders


def shipped_dashboards(cfg: StackConfig) -> dict[str, dict[str, dict]]:
    """The stack's own dashboards for this config, by folder."""
    return builtin_dashboards(list(cfg.slos), cfg.enabled(), cfg.grafana.slo_dashboard_title, cluster_sources(cfg))


def dashboards(cfg: StackConfig, project_root: str = ".") -> dict[str, dict[str, dict]]:
    folders = shipped_dashboards(cfg)
    for folder, (_, directory) in user_folders(cfg).items():
        folders[folder] = load_user_dashboards(os.path.join(project_root, directory))
    return folders


def grafana_ini(cfg: StackConfig, topology: Topology, config_dir: str) -> str:
    ini = configparser.ConfigParser(interpolation=None)
    ini["paths"] = {"provisioning": f"{config_dir}/provisioning"}
    ini["security"] = {"admin_user": cfg.grafana.admin_user, "disable_gravatar": "true"}
    ini["auth.anonymous"] = {"enabled": "false"}
    ini["users"] = {"allow_sign_up": "false", "allow_org_create": "false"}
    ini["analytics"] = {"reporting_enabled": "false", "check_for_updates": "false"}
    # Behind an ingress, Grafana must know its public URL for redirects, login and links it sends out.
    public = topology.public_url("grafana")
    ini["server"] = {
        "root_url": cfg.grafana.root_url or (f"{public}/" if public else "%(protocol)s://%(domain)s:%(http_port)s/")
    }
    out = io.StringIO()
    ini.write(out)
    return out.getvalue()


@renders("grafana")
def render_grafana(ctx: RenderContext) -> dict[str, str]:
    cfg, topology, config_dir = ctx.cfg, ctx.topology, ctx.config_dir
    folders = dashboards(cfg, ctx.project_root)
    providers = [
        {
            "name": folder,
            "folder": folder,
            "type": "file",
            "disableDeletion": True,
            "allowUiUpdates": False,
            "updateIntervalSeconds": 60,
            "options": {"path": f"{config_dir}/dashboards/{folder_dir(folder)}"},
        }
        for folder in sorted(folders)
    ]
    files = {
        "grafana.ini": grafana_ini(cfg, topology, config_dir),
        "provisioning/datasources/datasources.yaml": to_yaml(
            {"apiVersion": 1, "datasources": _datasources(cfg, topology)}
        ),
        "provisioning/dashboards/dashboards.yaml": to_yaml({"apiVersion": 1, "providers": providers}),
    }
    for folder, boards in folders.items():
        for name, board in boards.items():
            files[f"dashboards/{folder_dir(folder)}/{name}"] = to_json(board)
    return files


def grafana_env(cfg: StackConfig, config_dir: str, secret_dir: str) -> dict[str, str]:
    # The password is read from a mounted file (`__FILE`), so it is in no config file and no env value.
    env = {
        "GF_PATHS_CONFIG": f"{config_dir}/grafana.ini",
        "GF_PATHS_PROVISIONING": f"{config_dir}/provisioning",
        "GF_SECURITY_ADMIN_PASSWORD__FILE": f"{secret_dir}/{ADMIN_PASSWORD_FILE}",
    }
    env.update(cfg.grafana.env)
    return env

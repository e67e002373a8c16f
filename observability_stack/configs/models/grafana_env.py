"""Grafana settings given as environment variables (`grafana.env`), and `grafana.root_url`, checked
the way Grafana and its image read them.

Read in Grafana's source (pkg/setting/setting.go, packaging/docker/run.sh): a `GF_<SECTION>_<KEY>`
variable overrides a key only when its name is exactly what Grafana builds from the section and key
(upper case, '.' and '-' as '_') and its value is not empty; any other name is ignored without a
word. The image's run.sh turns `GF_<NAME>__FILE` into `GF_<NAME>` and refuses to start when both are
set. root_url goes through Go's url.Parse, and Grafana exits when that fails."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# What the stack sets itself, and why a user value breaks it.
STACK_OWNED = {
    "GF_PATHS_CONFIG": "the stack points Grafana at its rendered grafana.ini",
    "GF_PATHS_PROVISIONING": "the stack provisions the datasources and dashboards from there",
    "GF_PATHS_DATA": "the stack keeps Grafana's database on its volume; elsewhere it is lost with the container",
    "GF_PATHS_HOME": "Grafana's own files are there in the image; elsewhere it does not start",
    "GF_SECURITY_ADMIN_PASSWORD": (
        "the stack sets GF_SECURITY_ADMIN_PASSWORD__FILE, and the image refuses to start with both; "
        "name a secret in grafana.admin_password_secret"
    ),
    "GF_SECURITY_ADMIN_PASSWORD__FILE": "set from grafana.admin_password_secret",
    "GF_SECURITY_ADMIN_USER": "set grafana.admin_user instead (the stack reports that name)",
    "GF_SERVER_ROOT_URL": "set grafana.root_url instead (the ingress host sets it too)",
    "GF_SERVER_HTTP_PORT": "the stack's health check, Service, network policy and published port expect 3000",
    "GF_SERVER_HTTP_ADDR": "the stack's health check and published port expect Grafana on every interface",
    "GF_SERVER_PROTOCOL": "the stack's health check, datasource links and ingress speak plain HTTP to Grafana",
}
_URL = re.compile(
    r"^(https?|%\(protocol\)s)://(\[[0-9a-fA-F:.]+\]|[^\s/?#@:\[\]]+)(:(\d{1,5}|%\(http_port\)s))?(/\S*)?$"
)
_GRAFANA_NAME = re.compile(r"^GF_[A-Z0-9]+(_[A-Z0-9]*)*_[A-Z0-9]+(__FILE)?$")
# go-ini's parseBool, which Key.MustBool uses: anything else reads as the default, silently.
_BOOLS = {"1", "t", "T", "true", "TRUE", "True", "YES", "yes", "Yes", "y", "ON", "on", "On"}
_BOOLS |= {"0", "f", "F", "false", "FALSE", "False", "NO", "no", "No", "n", "OFF", "off", "Off"}


def _name(name: str) -> str:
    if name in STACK_OWNED:
        raise ValueError(f"{name} is the stack's own: {STACK_OWNED[name]}")
    if name.upper().startswith("GF_") and not _GRAFANA_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a name Grafana reads, so it would be ignored: GF_<SECTION>_<KEY> in upper "
            "case, with '.' and '-' written as '_' (e.g. GF_AUTH_ANONYMOUS_ENABLED)"
        )
    return name


def value_problems(env: dict[str, str]) -> list[tuple[str, str]]:
    """(path, message) for values Grafana would ignore: empty ones, and booleans it cannot read."""
    problems = []
    for name, value in sorted(env.items()):
        if not name.startswith("GF_"):
            continue
        if value == "":
            problems.append((f"grafana.env.{name}", "Grafana ignores an empty value, so its default stays"))
        elif name.endswith("_ENABLED") and value not in _BOOLS:
            problems.append(
                (
                    f"grafana.env.{name}",
                    f"{value!r} is not a boolean Grafana reads (true or false); its default would stay",
                )
            )
    return problems


def _root_url(value: str | None) -> str | None:
    # http(s)://host[:port][/path], or Grafana's own %(protocol)s form of its default.
    if value is not None and not _URL.match(value):
        raise ValueError(f"{value!r} is not the URL users reach Grafana at (e.g. https://grafana.example.com/)")
    return value


GrafanaEnvName = Annotated[str, AfterValidator(_name)]
RootUrl = Annotated[str, AfterValidator(_root_url)]

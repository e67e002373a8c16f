"""The Docker target's stack config for what can run on a Docker Engine with no registry.

The services whose images tools/commands/images.py builds from the engine's binaries (Prometheus,
Alertmanager, Jaeger, node-exporter) use those images by config, under their true version tags;
Grafana, Loki, the log collectors and cAdvisor are disabled (AGPL or not served, so no image).
The real-provider tests and `make bench` deploy this config.
"""

from __future__ import annotations

from typing import Any

from tools.commands.images import IMAGES, REPOSITORY

# Config sections of the services that have a local image.
LOCAL = {
    "prometheus": "prometheus",
    "alertmanager": "alertmanager",
    "jaeger": "jaeger",
    "node-exporter": "node_exporter",
}
# No image can be had here: off.
DISABLED = ("grafana", "loki", "cadvisor")


def local_config(prefix: str, deadmans_url: str | None = None, **sections: dict[str, Any]) -> dict[str, Any]:
    """`observability:*` config: the local images, UIs unpublished (no host port to collide with a
    running `make up`), and `sections` merged over it."""
    config: dict[str, Any] = {
        "observability:common": {"target": "docker", "name_prefix": prefix, "log_collector": "none"},
    }
    for image in IMAGES:
        section = LOCAL[image.service]
        config[f"observability:{section}"] = {
            "image": {"repository": f"{REPOSITORY}/{image.service}", "tag": image.version},
        }
    for section in ("prometheus", "alertmanager", "jaeger"):
        config[f"observability:{section}"]["host_port"] = None
    for section in DISABLED:
        config[f"observability:{section}"] = {"enabled": False}
    if deadmans_url:
        config["observability:alertmanager"]["deadmans_switch"] = {"url": deadmans_url}
    for name, values in sections.items():
        key = f"observability:{name}"
        config[key] = {**config.get(key, {}), **values}
    return config

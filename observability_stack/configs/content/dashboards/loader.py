"""User-supplied dashboards: *.json files dropped next to the stack config."""

from __future__ import annotations

import json
import re
from pathlib import Path


def load_user_dashboards(directory: str) -> dict[str, dict]:
    """File name -> dashboard, in file-name order. Raises ValueError naming the offending file."""
    root = Path(directory)
    if not root.is_dir():
        raise ValueError(f"dashboard directory {directory!r} does not exist or is not a directory")
    dashboards: dict[str, dict] = {}
    seen: dict[str, str] = {}
    titles: dict[str, str] = {}
    for path in sorted(root.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"{path}: invalid JSON: {err}") from err
        # Dashboards exported through the HTTP API (as in the guide) wrap the model in "dashboard";
        # provisioning wants the bare model.
        if isinstance(data, dict) and "title" not in data and isinstance(data.get("dashboard"), dict):
            data = data["dashboard"]
        if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"].strip():
            raise ValueError(f"{path}: not a Grafana dashboard (a JSON object with a non-empty title)")
        uid = data.get("uid")
        # Grafana's own limits (util.IsValidShortUID, 40 characters); without a uid Grafana makes one
        # up, and every link, alert and bookmark to the dashboard breaks when it is provisioned again.
        if not isinstance(uid, str) or not uid:
            raise ValueError(
                f"{path}: no uid; give the dashboard a fixed \"uid\" (at most 40 of letters, digits, '-', '_')"
            )
        if len(uid) > 40 or not re.fullmatch(r"[A-Za-z0-9_-]+", uid):
            raise ValueError(f"{path}: uid {uid!r} is not a Grafana uid (at most 40 of letters, digits, '-', '_')")
        if uid in seen:
            raise ValueError(f"{path}: uid {uid!r} is also the uid of {seen[uid]}; Grafana would load only one")
        seen[uid] = path.name
        # Grafana's provisioning finds the duplicate title in the folder and then stops writing any
        # of the folder's dashboards: edits to every file go unapplied, with a warning in its log.
        title = data["title"].strip()
        if title in titles:
            raise ValueError(
                f"{path}: title {title!r} is also the title of {titles[title]}; Grafana would stop updating the folder"
            )
        titles[title] = path.name
        dashboards[path.name] = data
    return dashboards

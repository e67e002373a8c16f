"""User-supplied dashboards: *.json files dropped next to the stack config."""
from __future__ import annotations

import json
from pathlib import Path


def load_user_dashboards(directory: str) -> dict[str, dict]:
    """File name -> dashboard, in file-name order. Raises ValueError naming the offending file."""
    root = Path(directory)
    if not root.is_dir():
        raise ValueError(f"dashboard directory {directory!r} does not exist or is not a directory")
    dashboards: dict[str, dict] = {}
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
        dashboards[path.name] = data
    return dashboards

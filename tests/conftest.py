import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from observability_stack.configs.load import from_stack_file  # noqa: E402

SECRETS = {
    "slack_webhook_url": "https://hooks.slack.example/T000/B000/XXXX",
    "security_slack_webhook": "https://hooks.slack.example/T000/B001/YYYY",
    "pagerduty_routing_key": "pd-routing-key-0123456789",
    "smtp_password": "smtp-password-value",
    "grafana_admin_password": "grafana-admin-password-value",
}


@pytest.fixture
def secrets_config():
    return {"observability:secrets": dict(SECRETS)}


def stack_config(stack: str, **extra) -> dict:
    config = from_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    config.update(extra)
    return config

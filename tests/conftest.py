import itertools
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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The package's wheel, built once per run for every module that installs it."""
    from package_helpers import build_wheel

    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def venv_bin(wheel, tmp_path_factory):
    """A fresh virtualenv with the wheel at the pinned dependencies: its bin/ holds the plugin command."""
    from package_helpers import install

    return install(wheel, tmp_path_factory.mktemp("venv") / "env")


def stack_config(stack: str, **extra) -> dict:
    config = from_stack_file(ROOT / f"Pulumi.{stack}.yaml")
    config.update(extra)
    return config


# The fast suite runs shuffled (pytest-randomly, `make test`), so no test leans on another having run
# first. The engine and Docker Engine modules are scenarios on one live stack (up, then each change,
# then destroy): they keep their written order, within a module placed wherever the shuffle put it.
SEQUENCES = ("engine", "docker")
_WRITTEN = pytest.StashKey[int]()
_collected = itertools.count()


def pytest_itemcollected(item):
    item.stash[_WRITTEN] = next(_collected)


def pytest_collection_modifyitems(config, items):
    by_module: dict = {}
    for index, item in enumerate(items):
        if any(item.get_closest_marker(mark) for mark in SEQUENCES):
            by_module.setdefault(item.module.__name__, []).append(index)
    for indexes in by_module.values():
        written = sorted((items[i] for i in indexes), key=lambda item: item.stash[_WRITTEN])
        for i, item in zip(indexes, written, strict=True):
            items[i] = item

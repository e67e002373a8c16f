"""Every branch of the PRSM pack's routing tree (packs/prsm/pack.yaml), resolved by the real
`amtool config routes test`.

amtool ignores time intervals, so the performance branch lists both routes: performance-team (active in
business hours, `continue`) and default (muted in business hours). Which one delivers is proven live by
test_e2e_alert_path.py.
"""

import pytest
from conftest import SECRETS
from e2e_helpers import amtool_routes

from observability_stack.configs.load import load
from observability_stack.configs.render.alertmanager import alertmanager_yml
from observability_stack.configs.render.common import SECRET_DIRS, to_yaml
from tests.prsm_pack import PACK, ROOT

CASES = [
    # Watchdog comes first, whatever its other labels.
    ({"alertname": "Watchdog", "severity": "none", "category": "stack"}, ["deadmans-switch"]),
    ({"alertname": "Watchdog", "severity": "critical"}, ["deadmans-switch"]),
    ({"alertname": "PRSMAPIDown", "severity": "critical", "category": "availability"}, ["pagerduty-critical"]),
    # Critical pages and goes on: the team owning the category hears of it too.
    (
        {"alertname": "UnauthorizedAPIAccess", "severity": "critical", "category": "security"},
        ["pagerduty-critical", "security-team"],
    ),
    (
        {"alertname": "HighErrorRate", "severity": "critical", "category": "performance"},
        ["pagerduty-critical", "performance-team", "default"],
    ),
    ({"alertname": "SuspiciousLoginPattern", "severity": "warning", "category": "security"}, ["security-team"]),
    ({"alertname": "HighLatency", "severity": "warning", "category": "performance"}, ["performance-team", "default"]),
    # The second performance route has no `continue`: an ftns-labelled performance alert stops there.
    (
        {"alertname": "X", "severity": "warning", "category": "performance", "component": "ftns"},
        ["performance-team", "default"],
    ),
    (
        {"alertname": "FTNSTransactionBacklog", "severity": "warning", "category": "ftns", "component": "ftns"},
        ["blockchain-team"],
    ),
    ({"alertname": "GrafanaDown", "severity": "warning", "category": "stack"}, ["default"]),
    ({"alertname": "Unlabelled"}, ["default"]),
]


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    cfg, secrets, _ = load({"observability:content_packs": [PACK], "observability:secrets": dict(SECRETS)}, str(ROOT))
    path = tmp_path_factory.mktemp("routes") / "alertmanager.yml"
    path.write_text(to_yaml(alertmanager_yml(cfg, secrets.names(), SECRET_DIRS["alertmanager"])))
    return path


@pytest.mark.parametrize("labels,receivers", CASES, ids=[c[0]["alertname"] + "-" + "-".join(c[1]) for c in CASES])
def test_route(config_file, labels, receivers):
    assert amtool_routes(config_file, labels) == receivers


def test_the_generic_tree_sends_everything_but_the_watchdog_to_default(tmp_path):
    cfg, secrets, _ = load({})
    path = tmp_path / "alertmanager.yml"
    path.write_text(to_yaml(alertmanager_yml(cfg, secrets.names(), SECRET_DIRS["alertmanager"])))
    for labels, _ in CASES[2:]:
        assert amtool_routes(path, labels) == ["default"], labels
    assert amtool_routes(path, CASES[0][0]) == ["deadmans-switch"]

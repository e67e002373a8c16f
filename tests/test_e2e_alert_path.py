"""The alert path with real software: the pinned Prometheus v3.16.0 and an Alertmanager v0.31.1 server
(the newest that builds from its module; tests/upstream.py) run the rendered configs on loopback, and a
firing rule must reach the right stand-in receiver (issue 5).

What differs from a deployment, and why (everything else is the renderers' output as is):
- addresses and ports: scrape and alerting targets, the SMTP smarthost, PagerDuty's events URL and the
  Slack/webhook URLs in the secret files point at local stand-ins;
- a second Alertmanager whose business_hours interval is forced to the branch "now" is not in, so
  both branches of the performance route are delivered on every run;
- speed: scrape/evaluation interval 1s (15s, and 5s for prsm-api; 1m for the SLO long-window groups),
  every route's group_wait 1s
  (10s at the root, 30s for security-team), and the four seed alerts used here are also loaded as
  copies without `for` (1m-5m as shipped): the shipped groups stay loaded, unchanged;
- Prometheus flag --rules.alert.resend-delay=1s (see below); listen addresses on loopback;
- smtp_require_tls false: the local SMTP sink offers no STARTTLS.
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import yaml
from e2e_helpers import (
    HttpReceiver,
    MetricsEndpoint,
    Process,
    SmtpSink,
    amtool_routes,
    binary,
    free_port,
    prometheus_process,
    wait_until,
)

from observability_stack.configs.load import load
from observability_stack.configs.render.alertmanager import alertmanager_args, alertmanager_yml
from observability_stack.configs.render.common import to_yaml
from observability_stack.configs.render.files import service_files
from tests.prsm_pack import PACK, ROOT, prsm_config, prsm_rule_groups

pytestmark = pytest.mark.e2e

# Seed alerts: critical+security, warning+security, warning+performance, warning+ftns.
CRITICAL, SECURITY = "UnauthorizedAPIAccess", "SuspiciousLoginPattern"
PERFORMANCE, FTNS = "HighLatency", "FTNSTransactionBacklog"
ROUTING_KEY = "e2e-routing-key"
WAIT = 30  # seconds for any one thing to happen; the module takes ~13s in all
GRACE = 2.0  # > every group_wait (1s): a misrouted copy arrives within it of the right one


def _metrics(scrape: int) -> str:
    """Series that trip the four seed alerts; counters grow each scrape so increase()/rate() see traffic."""
    n = scrape * 100
    return (
        "\n".join(
            [
                f"prsm_unauthorized_requests_total {n}",  # increase over 5m > 10
                f"prsm_failed_login_attempts_total {n}",  # increase over 1h > 50
                'prsm_request_duration_seconds_bucket{le="1"} 0',  # every request takes 1-5s: p95 4.8s > 2s
                f'prsm_request_duration_seconds_bucket{{le="5"}} {n}',
                f'prsm_request_duration_seconds_bucket{{le="+Inf"}} {n}',
                "prsm_ftns_pending_transactions 500",  # > 100
            ]
        )
        + "\n"
    )


def _fast_copies() -> list[dict]:
    pack = [rule for group in prsm_rule_groups() for rule in group["rules"]]
    rules = {rule["alert"]: rule for rule in pack if "alert" in rule}
    # The recordings the alerts read back (the security alert's 5-minute tiles), evaluated before them.
    records = [rule for rule in pack if "record" in rule]
    alerts = [{k: v for k, v in rules[name].items() if k != "for"} for name in (CRITICAL, SECURITY, PERFORMANCE, FTNS)]
    return [{"name": "e2e-fast", "rules": records + alerts}]


def _config(http: HttpReceiver, alertmanager: dict | None = None) -> dict:
    # The PRSM pack's receivers, with PagerDuty's `url` set through the config model like any user would.
    receivers = [r.model_dump(by_alias=True, exclude_none=True) for r in prsm_config().alertmanager.receivers]
    for receiver in receivers:
        if "pagerduty" in receiver:
            receiver["pagerduty"]["url"] = f"{http.url}/pagerduty"
    return {
        "observability:content_packs": [str(ROOT / PACK)],
        "observability:secrets": {  # the secret files' contents
            "slack_webhook_url": f"{http.url}/slack/main",
            "security_slack_webhook": f"{http.url}/slack/security",
            "pagerduty_routing_key": ROUTING_KEY,
            "smtp_password": "e2e-smtp-password",
        },
        # The dead-man's-switch webhook is set so the shipped Watchdog rule has somewhere to arrive.
        # A smarthost turns e-mail on (moved to the local SMTP sink below, like the other addresses).
        "observability:alertmanager": {
            "receivers": receivers,
            "deadmans_switch": {"url": f"{http.url}/deadmans"},
            "smtp": {"smarthost": "smtp.example.org:587"},
            **(alertmanager or {}),
        },
        "observability:prometheus": {"rule_groups": _fast_copies()},
    }


def _loopback_prometheus(doc: dict, targets: dict[str, str], dead: str, alertmanagers: list[str]) -> dict:
    doc["global"].update(scrape_interval="1s", evaluation_interval="1s")
    for job in doc["scrape_configs"]:
        job.pop("scrape_interval", None)
        for static in job.get("static_configs", []):
            # Services not started here (grafana, loki, ...) get a closed port: down, as in a partial
            # stack; their *Down alerts wait 1m+ and never fire within this test.
            static["targets"] = [targets.get(job["job_name"], dead)]
    doc["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": alertmanagers}]
    return doc


def _loopback_alertmanager(doc: dict, smtp_port: int) -> dict:
    doc["global"].update(smtp_smarthost=f"127.0.0.1:{smtp_port}", smtp_require_tls=False)
    routes = [doc["route"]]
    while routes:
        route = routes.pop()
        if route.get("group_wait", "0s") != "0s":
            route["group_wait"] = "1s"
        routes.extend(route.get("routes", []))
    return doc


def _minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:])


DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def in_business_hours(cfg, when: datetime) -> bool:
    """Alertmanager's reading of the configured business_hours interval (end_time exclusive)."""
    interval = next(t for t in cfg.alertmanager.time_intervals if t.name == "business_hours")
    for spec in interval.time_intervals:
        local = when.astimezone(ZoneInfo(spec.location or "UTC"))
        days = set()
        for item in spec.weekdays:
            first, _, last = item.lower().partition(":")
            days.update(range(DAYS.index(first), DAYS.index(last or first) + 1))
        minute = local.hour * 60 + local.minute
        clock = [(_minutes(t.start_time), _minutes(t.end_time)) for t in spec.times]
        if local.weekday() in days and any(start <= minute < end for start, end in clock):
            return True
    return False


def _opposite_hours(inside_now: bool) -> dict:
    """A business_hours interval giving the branch the shipped one does not give right now."""
    spec = {"years": ["1970"]} if inside_now else {"times": [{"start_time": "00:00", "end_time": "24:00"}]}
    return {"time_intervals": [{"name": "business_hours", "time_intervals": [spec]}]}


def _alertmanager(binary_path: str, root, name: str, config: dict, smtp_port: int, started: list):
    """Render, write secrets and start one Alertmanager: (config model, alertmanager.yml, address, process)."""
    cfg, secrets, _ = load(config)
    # The secrets are "mounted" at an absolute temp dir: secret_dir is the mount point the renderer
    # is given (normally /run/secrets/alertmanager), not a rewrite of what it renders.
    secret_dir, config_dir = root / f"{name}-secrets", root / name
    secret_dir.mkdir()
    config_dir.mkdir()
    for secret, value in config["observability:secrets"].items():
        (secret_dir / secret).write_text(value + "\n")
    doc = _loopback_alertmanager(alertmanager_yml(cfg, secrets.names(), str(secret_dir)), smtp_port)
    (config_dir / "alertmanager.yml").write_text(to_yaml(doc))
    port = free_port()
    process = Process(
        [
            binary_path,
            *alertmanager_args(cfg, str(config_dir), str(root / f"{name}-data"), [("cluster.listen-address", "")]),
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        root / f"{name}.log",
        root,
    )
    started.append(process)
    process.wait_ready(f"http://127.0.0.1:{port}/-/ready", WAIT)
    return cfg, config_dir / "alertmanager.yml", f"127.0.0.1:{port}", process


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    alertmanager_bin = binary("alertmanager")
    root = tmp_path_factory.mktemp("e2e")
    started: list = []
    try:
        http, flipped_http, smtp, metrics = HttpReceiver(), HttpReceiver(), SmtpSink(), MetricsEndpoint(_metrics)
        started += [http, flipped_http, smtp, metrics]
        config = _config(http)
        cfg, am_yml, am_address, am = _alertmanager(alertmanager_bin, root, "alertmanager", config, smtp.port, started)
        inside_before = in_business_hours(cfg, datetime.now(UTC))
        # A second Alertmanager, fed by the same Prometheus, whose business_hours give the other branch
        # now: both branches are delivered live on every run, whatever the time.
        flipped = _config(http=flipped_http, alertmanager=_opposite_hours(inside_before))
        _, _, flipped_address, flipped_am = _alertmanager(
            alertmanager_bin, root, "flipped", flipped, smtp.port, started
        )

        prom_dir, prom_port = root / "prometheus", free_port()
        for relative, content in service_files(cfg, "prometheus", set(config["observability:secrets"])).items():
            (prom_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            if relative.startswith("rules/"):  # groups with their own interval (SLO long windows) run at 1s too
                doc = yaml.safe_load(content)
                for group in doc["groups"]:
                    group.pop("interval", None)
                content = to_yaml(doc)
            (prom_dir / relative).write_text(content)  # rules/*.yml next to prometheus.yml, as referenced
        targets = {
            "prometheus": f"127.0.0.1:{prom_port}",
            "alertmanager": am_address,
            "prsm-api": f"127.0.0.1:{metrics.port}",
        }
        prom_doc = yaml.safe_load((prom_dir / "prometheus.yml").read_text())
        prom_doc = _loopback_prometheus(prom_doc, targets, f"127.0.0.1:{free_port()}", [am_address, flipped_address])
        (prom_dir / "prometheus.yml").write_text(to_yaml(prom_doc))
        # resend-delay 1s (1m by default): the Watchdog fires at the first evaluation, before Prometheus'
        # notifier has its Alertmanagers from discovery, so that send is dropped and only retried later.
        prom = prometheus_process(cfg, prom_dir, root / "prom-data", prom_port, root, "--rules.alert.resend-delay=1s")
        started.append(prom)
        prom.wait_ready(f"http://127.0.0.1:{prom_port}/-/ready", WAIT)
        yield SimpleNamespace(
            http=http,
            flipped_http=flipped_http,
            smtp=smtp,
            cfg=cfg,
            am_yml=am_yml,
            prom_url=f"http://127.0.0.1:{prom_port}",
            inside_before=inside_before,
            describe=lambda: "\n".join(
                [
                    http.describe(),
                    "flipped:",
                    flipped_http.describe(),
                    smtp.describe(),
                    am.tail(),
                    flipped_am.tail(),
                    prom.tail(),
                ]
            ),
        )
    finally:
        for item in reversed(started):  # processes first, then the servers they talk to
            item.stop()


def _arrived(stack, check, what: str):
    """Wait for `check`, then until every stand-in has been quiet for GRACE: all copies are in."""
    wait_until(check, WAIT, what, stack.describe)
    last = max(server.last for server in (stack.http, stack.flipped_http, stack.smtp))
    time.sleep(max(0.0, last + GRACE - time.monotonic()))
    return check()


def test_prometheus_runs_the_rendered_rule_files(stack):
    def groups():
        with urllib.request.urlopen(f"{stack.prom_url}/api/v1/rules", timeout=5) as response:
            return json.load(response)["data"]["groups"]

    def evaluated():  # every group has run once (an unevaluated group reports year 0001)
        current = groups()
        return current if all(not g["lastEvaluation"].startswith("0001") for g in current) else None

    loaded = wait_until(evaluated, WAIT, "every rule group to be evaluated", stack.describe)
    assert {"prsm.critical", "prsm.security", "stack.meta", "e2e-fast"} <= {g["name"] for g in loaded}
    broken = [(r["name"], r["lastError"]) for g in loaded for r in g["rules"] if r["health"] == "err"]
    assert not broken, broken


def test_critical_security_alert_pages_and_reaches_security_team(stack):
    pages = _arrived(stack, lambda: stack.http.bodies("/pagerduty", CRITICAL), "the critical alert at PagerDuty")
    # The routing key is the secret file's content: Alertmanager read routing_key_file.
    assert pages[0]["routing_key"] == ROUTING_KEY and pages[0]["event_action"] == "trigger"
    # The critical route continues, so the security team hears of it on Slack and by e-mail too.
    _arrived(
        stack,
        lambda: stack.http.bodies("/slack/security", CRITICAL) and stack.smtp.naming(CRITICAL),
        "the critical security alert at the security team",
    )
    # ...and nowhere else: not the default channel.
    assert stack.http.slack_channels(CRITICAL) == {"#prsm-critical", "#security-alerts"}


def test_security_alert_reaches_security_team(stack):
    _arrived(
        stack,
        lambda: stack.http.bodies("/slack/security", SECURITY) and stack.smtp.naming(SECURITY),
        "the security alert on Slack and by e-mail",
    )
    slack, mail = stack.http.bodies("/slack/security", SECURITY), stack.smtp.naming(SECURITY)
    assert slack[0]["channel"] == "#security-alerts"
    assert "<security-team@company.com>" in mail[0]["rcpt"][0]
    assert f"Subject: PRSM Security Alert: {SECURITY}" in mail[0]["data"]
    assert stack.http.slack_channels(SECURITY) == {"#security-alerts"} and not stack.http.bodies("/pagerduty", SECURITY)


def test_performance_warning_follows_business_hours(stack):
    labels = {"alertname": PERFORMANCE, "severity": "warning", "category": "performance"}
    # Matching ignores time (both routes match); the mute/active intervals decide at send time.
    assert amtool_routes(stack.am_yml, labels) == ["performance-team", "default"]
    _arrived(
        stack,
        lambda: stack.http.slack_channels(PERFORMANCE) and stack.flipped_http.slack_channels(PERFORMANCE),
        "the performance warning on Slack from both Alertmanagers",
    )
    live, flipped = stack.http.slack_channels(PERFORMANCE), stack.flipped_http.slack_channels(PERFORMANCE)
    inside_after = in_business_hours(stack.cfg, datetime.now(UTC))
    channel = {True: "#prsm-performance", False: "#prsm-alerts"}
    # The shipped interval, read for the current time (either branch if the test straddled a boundary).
    expected = {channel[inside] for inside in (stack.inside_before, inside_after)}
    assert len(live) == 1 and live <= expected, (live, expected)
    # The other branch: outside business hours the default channel and nothing else, and vice versa.
    assert flipped == {channel[not stack.inside_before]}, flipped
    for receiver in (stack.http, stack.flipped_http):
        assert not receiver.bodies("/pagerduty", PERFORMANCE) and not receiver.bodies("/slack/security", PERFORMANCE)
    assert not stack.smtp.naming(PERFORMANCE)


def test_ftns_warning_reaches_blockchain_team(stack):
    channels = _arrived(stack, lambda: stack.http.slack_channels(FTNS), "the FTNS warning on Slack")
    assert channels == {"#prsm-blockchain"}


def test_watchdog_reaches_deadmans_switch_only(stack):
    hooks = _arrived(stack, lambda: stack.http.bodies("/deadmans", "Watchdog"), "the Watchdog heartbeat")
    assert hooks[0]["receiver"] == "deadmans-switch"
    assert not stack.http.slack_channels("Watchdog") and not stack.http.bodies("/pagerduty", "Watchdog")

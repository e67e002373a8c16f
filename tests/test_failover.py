"""HA failover with real processes (issue 22, item 2), after Alertmanager's TestClusterDeduplication:
the Kubernetes target's mesh of three Alertmanagers and pair of Prometheus replicas, each started
with the arguments and downward-API variables of its StatefulSet and the rendered files, on loopback.
Both Prometheus replicas notify all three Alertmanagers; a test alert (FailoverDrill, one group per
`scenario` label) reaches a webhook through a route set in the stack config like any user's.

What differs from a deployment, and why:
- addresses and paths (ha_helpers.loopback_args, loopback_prometheus_yml);
- speed, through the config models: scrape/evaluation 1s, the drill route's group_wait 4s (room to
  kill the member next in line while its group is pending), group_interval 2s, repeat_interval 1h;
- flags: --cluster.peer-timeout=2s (15s): the member n-th in line waits n times this before it reads
  the gossiped notification log and sends what nobody sent, so duplicates show within GRACE;
  --cluster.settle-timeout=3s (1m): a starting member polls the mesh every 2s until its size holds
  three times (~10s); it has the peers' silences and log from the join's full sync before that;
  --rules.alert.resend-delay=1s (1m): a restarted Alertmanager hears of the firing alerts at once;
- services not under test are disabled, the seed rules too, and the seed routes and receivers (they
  need secrets; receivers named in the config must have theirs).
The stack's own HA alerts (PrometheusReplicaMissing, AlertmanagerClusterMembersMissing) wait 5m
(`for`); here they are seen going pending (their expression true on the live processes) after a
SIGKILL and gone after the restart; promtool tests their `for` (tests/test_content_rules.py).
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from urllib.parse import quote, urlparse

import pytest
import yaml
from e2e_helpers import HttpReceiver, binary, wait_until
from ha_helpers import (
    WAIT,
    Drill,
    Replica,
    active_silences,
    answers,
    loopback_args,
    loopback_prometheus_yml,
    ports,
    silence,
    statefulset_containers,
)

from observability_stack.configs.load import load
from observability_stack.configs.render.common import CONFIG_DIRS, DATA_DIRS, PORTS, replica_address
from observability_stack.configs.render.files import service_files

pytestmark = pytest.mark.e2e

ALERT, AMS, PROMS = "FailoverDrill", 3, 2
GROUP_WAIT, GROUP_INTERVAL, PEER_TIMEOUT = 4, 2, 2
GRACE = 2 * PEER_TIMEOUT + 1.5  # the last member in line has read the log and decided by then
MESH_ALERT, PAIR_ALERT = "AlertmanagerClusterMembersMissing", "PrometheusReplicaMissing"


def _config(http: HttpReceiver, drill: Drill) -> dict:
    route = {
        "receiver": "drill",
        "matchers": [f'alertname="{ALERT}"'],
        "group_by": ["alertname", "scenario"],
        "group_wait": f"{GROUP_WAIT}s",
        "group_interval": f"{GROUP_INTERVAL}s",
        "repeat_interval": "1h",
    }
    off = ("grafana", "loki", "promtail", "jaeger", "node_exporter", "kube_state_metrics")
    return {
        "observability:common": {"target": "kubernetes"},
        **{f"observability:{name}": {"enabled": False} for name in off},
        "observability:alertmanager": {
            "replicas": AMS,
            # The default receiver stays silent; the drill's route goes to a webhook of the test's.
            "receivers": [
                {"name": "default"},
                {"name": "drill", "webhook": {"url": f"{http.url}/drill", "send_resolved": False}},
            ],
            "routes": [route],
        },
        "observability:prometheus": {
            "replicas": PROMS,
            "scrape_interval": "1s",
            "evaluation_interval": "1s",
            "scrape_jobs": [{"job_name": "drill", "targets": [drill.target]}],
            "rule_groups": [{"name": "drill", "rules": [{"alert": ALERT, "expr": "failover_drill > 0"}]}],
        },
    }


def _write(files: dict[str, str], directory):
    for relative, content in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(content)


def _downward(field_env: dict[str, str], pod: str) -> dict[str, str]:
    return {name: {"metadata.name": pod, "status.podIP": "127.0.0.1"}[path] for name, path in field_env.items()}


@pytest.fixture(scope="module")
def ha(tmp_path_factory):
    root = tmp_path_factory.mktemp("failover")
    started: list = []
    try:
        http, drill = HttpReceiver(), Drill()
        started += [http, drill]
        config = _config(http, drill)
        cfg, secrets, _ = load(config)
        pods = statefulset_containers(config)
        web, gossip, prom_ports = ports(AMS), ports(AMS), ports(PROMS)
        mesh_port = PORTS["alertmanager_cluster"]

        am_config = root / "alertmanager-config"
        _write(service_files(cfg, "alertmanager", secrets.names()), am_config)
        mesh = {replica_address("alertmanager", j, mesh_port): f"127.0.0.1:{gossip[j]}" for j in range(AMS)}
        ams = []
        for i in range(AMS):
            env = _downward(pods["alertmanager"].field_env, f"alertmanager-{i}")
            own = f"127.0.0.1:{gossip[i]}"
            args = loopback_args(
                pods["alertmanager"].args,
                env,
                {**mesh, f"0.0.0.0:{mesh_port}": own, f"127.0.0.1:{mesh_port}": own},
                {CONFIG_DIRS["alertmanager"]: str(am_config), DATA_DIRS["alertmanager"]: str(root / f"am{i}-data")},
            )
            extra = [f"--web.listen-address=127.0.0.1:{web[i]}", f"--cluster.peer-timeout={PEER_TIMEOUT}s"]
            extra.append("--cluster.settle-timeout=3s")
            ams.append(Replica(f"alertmanager-{i}", [binary("alertmanager"), *args, *extra], root, env))
        started += ams

        prom_config = root / "prometheus-config"
        files = service_files(cfg, "prometheus", secrets.names())
        targets = {replica_address("alertmanager", j, PORTS["alertmanager"]): f"127.0.0.1:{web[j]}" for j in range(AMS)}
        targets |= {
            replica_address("prometheus", j, PORTS["prometheus"]): f"127.0.0.1:{prom_ports[j]}" for j in range(PROMS)
        }
        files["prometheus.yml"] = loopback_prometheus_yml(files["prometheus.yml"], targets)
        _write(files, prom_config)
        proms = []
        for i in range(PROMS):
            env = _downward(pods["prometheus"].field_env, f"prometheus-{i}")
            args = loopback_args(
                pods["prometheus"].args,
                env,
                {},
                {CONFIG_DIRS["prometheus"]: str(prom_config), DATA_DIRS["prometheus"]: str(root / f"prom{i}-data")},
            )
            extra = [f"--web.listen-address=127.0.0.1:{prom_ports[i]}", "--rules.alert.resend-delay=1s"]
            proms.append(Replica(f"prometheus-{i}", [binary("prometheus"), *args, *extra], root, env))
        started += proms

        state = SimpleNamespace(
            http=http,
            drill=drill,
            ams=ams,
            proms=proms,
            am_urls=[f"http://127.0.0.1:{p}" for p in web],
            prom_urls=[f"http://127.0.0.1:{p}" for p in prom_ports],
            describe=lambda: "\n".join([http.describe(), *(p.tail() for p in ams + proms)]),
        )
        for i in range(AMS):
            _wait_member(state, i)
        for i in range(PROMS):
            _wait_prometheus(state, i)
        yield state
    finally:
        for item in reversed(started):
            item.stop()


def _wait_member(ha, i: int) -> None:
    """Up, and in a settled mesh of every member."""
    ha.ams[i].wait_ready(f"{ha.am_urls[i]}/-/ready", WAIT)

    def joined():
        status = answers(f"{ha.am_urls[i]}/api/v2/status")
        cluster = status and status["cluster"]
        return cluster and cluster["status"] == "ready" and len(cluster["peers"]) == AMS

    wait_until(joined, WAIT, f"alertmanager-{i} in a settled mesh of {AMS}", ha.describe)


def _wait_prometheus(ha, i: int) -> None:
    ha.proms[i].wait_ready(f"{ha.prom_urls[i]}/-/ready", WAIT)

    def notifying():
        found = answers(f"{ha.prom_urls[i]}/api/v1/alertmanagers")
        return found and len(found["data"]["activeAlertmanagers"]) == AMS

    wait_until(notifying, WAIT, f"prometheus-{i} to know every Alertmanager", ha.describe)


def _notifications(ha, scenario: str) -> list[dict]:
    return [b for p, b in list(ha.http.requests) if p == "/drill" and b["groupLabels"].get("scenario") == scenario]


def _quiet(ha, since: float = 0.0) -> None:
    """Wait until the webhook has heard nothing for GRACE after `since` (a time.monotonic() by which
    every member has flushed the groups), so that every copy that would come has come."""
    while (left := max(ha.http.last, since) + GRACE - time.monotonic()) > 0:
        time.sleep(left)


def _sender(ha, notification: dict) -> int:
    """Which member sent it: each one's default external URL carries its own web port."""
    return [urlparse(u).port for u in ha.am_urls].index(urlparse(notification["externalURL"]).port)


def _first_in_line(ha) -> int:
    """The member that sends at once (position 0: first by peer name); the others wait their turn."""
    statuses = [answers(f"{url}/api/v2/status") for url in ha.am_urls]
    names = [s["cluster"]["name"] for s in statuses]
    return names.index(min(names))


def _has_alert(url: str, scenario: str) -> bool:
    alerts = answers(f'{url}/api/v2/alerts?filter=scenario="{scenario}"')
    return bool(alerts)


def _prometheus_alerts(url: str, name: str) -> list[dict]:
    found = answers(f"{url}/api/v1/alerts")
    return [a for a in (found["data"]["alerts"] if found else []) if a["labels"]["alertname"] == name]


def _query(url: str, expr: str) -> list[dict]:
    return answers(f"{url}/api/v1/query?query={quote(expr)}")["data"]["result"]


def _rule(ha, name: str) -> dict:
    groups = answers(f"{ha.prom_urls[0]}/api/v1/rules")["data"]["groups"]
    return next(r for g in groups for r in g["rules"] if r["name"] == name)


def test_each_group_is_notified_once_from_two_replicas_through_three_members(ha):
    ha.drill.on |= {"a1", "a2"}
    wait_until(lambda: _notifications(ha, "a1") and _notifications(ha, "a2"), WAIT, "both groups", ha.describe)
    _quiet(ha)
    # Both replicas fire it, every member has it: the single notification is the mesh deduplicating.
    for url in ha.prom_urls:
        assert {a["labels"]["scenario"] for a in _prometheus_alerts(url, ALERT)} >= {"a1", "a2"}, url
    for url in ha.am_urls:
        assert _has_alert(url, "a1") and _has_alert(url, "a2"), url
    # Each replica expanded ${POD_NAME} in the one rendered file: two distinct copies, as on Kubernetes.
    loaded = [yaml.safe_load(answers(f"{url}/api/v1/status/config")["data"]["yaml"]) for url in ha.prom_urls]
    assert [c["global"]["external_labels"]["replica"] for c in loaded] == [f"prometheus-{i}" for i in range(PROMS)]
    for scenario in ("a1", "a2"):
        (notification,) = _notifications(ha, scenario)
        # One alert, not one per replica: the replica label is dropped before Alertmanager.
        (alert,) = notification["alerts"]
        assert alert["labels"] == {
            "alertname": ALERT,
            "scenario": scenario,
            "job": "drill",
            "instance": ha.drill.target,
        }


def test_a_member_killed_while_its_group_is_pending_loses_nothing(ha):
    victim = _first_in_line(ha)
    survivors = [i for i in range(AMS) if i != victim]
    # A silence made on the member about to die reaches the others before it does.
    silenced = silence(ha.am_urls[victim], {"alertname": ALERT, "scenario": "b-silenced"})
    wait_until(lambda: all(silenced in active_silences(ha.am_urls[i]) for i in survivors), WAIT, "the silence gossiped")
    ha.drill.on |= {"b", "b-silenced"}
    wait_until(lambda: _has_alert(ha.am_urls[victim], "b"), WAIT, "the group on the member first in line")
    ha.ams[victim].kill()
    assert not _notifications(ha, "b"), "the victim sent before it was killed: GROUP_WAIT is too short here"

    (notification,) = wait_until(lambda: _notifications(ha, "b"), WAIT, "the group from a survivor", ha.describe)
    _quiet(ha)
    assert len(_notifications(ha, "b")) == 1 and _sender(ha, notification) in survivors
    assert not _notifications(ha, "b-silenced")
    for i in survivors:
        assert silenced in active_silences(ha.am_urls[i]), f"alertmanager-{i} lost the silence"

    # The stack's own alert: every survivor sees a member missing (pending: its `for` is 5m).
    assert _rule(ha, MESH_ALERT)["query"] == f'alertmanager_cluster_members{{job="alertmanager"}} < {AMS}'
    instances = {urlparse(ha.am_urls[i]).netloc for i in survivors}
    wait_until(
        lambda: {a["labels"]["instance"] for a in _prometheus_alerts(ha.prom_urls[0], MESH_ALERT)} == instances,
        WAIT,
        f"{MESH_ALERT} for each survivor",
        ha.describe,
    )
    values = {r["metric"]["instance"]: r["value"][1] for r in _query(ha.prom_urls[0], _rule(ha, MESH_ALERT)["query"])}
    assert values == dict.fromkeys(instances, str(AMS - 1))

    ha.ams[victim].start()  # same data directory; its state comes back from the peers
    _wait_member(ha, victim)
    wait_until(
        lambda: not any(_prometheus_alerts(url, MESH_ALERT) for url in ha.prom_urls), WAIT, f"{MESH_ALERT} resolved"
    )
    assert silenced in active_silences(ha.am_urls[victim])
    # The restarted member has the group again and the log that says it was sent: no second copy.
    wait_until(lambda: _has_alert(ha.am_urls[victim], "b"), WAIT, "the group on the restarted member")
    _quiet(ha, since=time.monotonic() + GROUP_WAIT)  # it flushes the group by then
    assert len(_notifications(ha, "b")) == 1, ha.describe()


def test_a_killed_prometheus_replica_still_alerts_and_its_restart_sends_no_duplicate(ha):
    ha.proms[1].kill()
    ha.drill.on |= {"c"}
    wait_until(lambda: _notifications(ha, "c"), WAIT, "the group through the surviving replica", ha.describe)
    assert _rule(ha, PAIR_ALERT)["query"] == f'count by (job) (up{{job="prometheus"}} == 1) < {PROMS}'
    (pending,) = wait_until(lambda: _prometheus_alerts(ha.prom_urls[0], PAIR_ALERT), WAIT, PAIR_ALERT, ha.describe)
    assert pending["state"] == "pending" and pending["value"].startswith("1")

    before = {s: len(_notifications(ha, s)) for s in ("a1", "a2", "b", "c")}
    ha.proms[1].start()  # same data directory
    _wait_prometheus(ha, 1)
    # It fires the drill alerts again from scratch; the members have sent them and log it.
    wait_until(lambda: _prometheus_alerts(ha.prom_urls[1], ALERT), WAIT, "the restarted replica firing again")
    wait_until(lambda: not _prometheus_alerts(ha.prom_urls[0], PAIR_ALERT), WAIT, f"{PAIR_ALERT} resolved")
    _quiet(ha, since=time.monotonic() + GROUP_INTERVAL)
    assert {s: len(_notifications(ha, s)) for s in before} == before
    assert len(_notifications(ha, "c")) == 1

"""The Docker target through the real Pulumi CLI, Python language host and Docker provider, on a real
Docker Engine.

`__main__.py` runs as `pulumi up` runs it (tools/engine/local.py), with the provider built from
pulumi-docker v5.1.0 and the local images of tools/commands/images.py, on the services that have one
(tools/harness/docker_local.py). What the mocks cannot show: the provider's diffs (update, replace, or a
perpetual diff where Read normalises a value), its waits for the health checks, its uploads as the
containers see them, and what `pulumi destroy` leaves behind. The tests run in file order on one
stack, each building on what the previous one left.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import time
import urllib.parse
import urllib.request

import pytest
from e2e_helpers import HttpReceiver
from engine_helpers import EngineStack, docker_engine, remove_docker_leftovers, short_name

from tests.prsm_pack import PACK_CONFIG, prsm_config
from tools.commands import images
from tools.commands.docker_api import Engine
from tools.harness.docker_local import local_config

pytestmark = pytest.mark.docker

PREFIX = "obs-engine"
NETWORK = f"{PREFIX}-observability"
SERVICES = ("prometheus", "alertmanager", "jaeger", "node-exporter")
CONTAINER, VOLUME = "docker:index/container:Container", "docker:index/volume:Volume"
NET, IMAGE = "docker:index/network:Network", "docker:index/remoteImage:RemoteImage"
SECRETS = {
    "slack_webhook_url": "http://127.0.0.1:9/slack-first",
    "security_slack_webhook": "http://127.0.0.1:9/security",
    "pagerduty_routing_key": "pd-routing-key-first",
    "smtp_password": "smtp-password-first",
}
SMTP = {"smarthost": "127.0.0.1:25", "from": "alerts@example.com"}


@pytest.fixture(scope="module")
def engine():
    return docker_engine()


@pytest.fixture(scope="module")
def sink():
    sink = HttpReceiver(host="0.0.0.0")
    yield sink
    sink.stop()


def remove_leftovers(engine: Engine) -> None:
    remove_docker_leftovers(engine, PREFIX, SERVICES)


@pytest.fixture(scope="module")
def base_config(engine, sink) -> dict:
    # The default bridge's gateway is the host as every container sees it, whichever network it is on;
    # the engine reports only the subnet when the gateway is its default, the subnet's first address.
    ipam = engine.call("GET", "/networks/bridge")["IPAM"]["Config"][0]
    gateway = ipam.get("Gateway") or str(next(ipaddress.ip_network(ipam["Subnet"]).hosts()))
    # The PRSM pack's receivers: the secret rotations below change what they read.
    return {
        **PACK_CONFIG,
        **local_config(
            PREFIX,
            deadmans_url=f"http://{gateway}:{sink.port}/deadmans",
            common={"labels": {"environment": "engine-test"}},
            alertmanager={"smtp": SMTP},
        ),
    }


@pytest.fixture(scope="module")
def docker_stack(engine, base_config, tmp_path_factory):
    remove_leftovers(engine)
    stack = EngineStack(tmp_path_factory.mktemp("docker-engine"), "docker", base_config, SECRETS)
    yield stack
    try:
        stack.destroy()
    finally:
        remove_leftovers(engine)


# ---- helpers -----------------------------------------------------------------------------------


def until(check, timeout: float, what: str):
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, ValueError, KeyError) as error:
            last = error
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}" + (f" ({last})" if last else ""))


def api(engine: Engine, service: str, port: int, path: str, body: dict | None = None):
    address = engine.inspect(f"{PREFIX}-{service}")["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://{address}:{port}{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def query(engine: Engine, expr: str, at: float | None = None) -> list:
    params = {"query": expr, **({"time": str(at)} if at else {})}
    return api(engine, "prometheus", 9090, "/api/v1/query?" + urllib.parse.urlencode(params))["data"]["result"]


def with_sections(config: dict, **sections: dict) -> dict:
    changed = copy.deepcopy(config)
    for name, values in sections.items():
        changed[f"observability:{name}"] = {**changed.get(f"observability:{name}", {}), **values}
    return changed


def volumes(engine: Engine) -> dict[str, str]:
    """The stack's volumes: name -> mount point (a new volume of the same name would be another
    directory only after a delete; the marker file below tells the same volume apart)."""
    found = engine.call("GET", "/volumes", query={"filters": json.dumps({"label": [f"observability.stack={PREFIX}"]})})
    return {v["Name"]: v["Mountpoint"] for v in found["Volumes"] or []}


def read_marker(engine: Engine, volume: str) -> str:
    """The marker file in a volume, read by a throwaway container (none of the stack's may be running)."""
    name = f"{PREFIX}-marker-reader"
    engine.remove(name)
    body = {
        "Image": images.local_images()["prometheus"],
        "Entrypoint": ["/bin/cat", "/volume/.engine-test-marker"],
        "Cmd": [],
        "User": "0:0",
        "HostConfig": {"Binds": [f"{volume}:/volume:ro"]},
    }
    engine.create(name, body)
    try:
        engine.start(name)
        until(lambda: engine.inspect(name)["State"]["Status"] == "exited", 30, "the marker reader")
        return engine.logs(name).strip()
    finally:
        engine.remove(name)


def data_volumes(stack: EngineStack) -> dict[str, str]:
    """Data volume of each service with one: service -> volume name."""
    return {
        short_name(r["urn"]).removesuffix("-data"): r["outputs"]["name"]
        for r in stack.resources()
        if r["type"] == VOLUME
    }


# ---- the sequence ------------------------------------------------------------------------------

STATE: dict = {}  # what earlier steps saw, for later ones


def test_up_from_nothing_waits_for_every_container_to_be_healthy(docker_stack, engine):
    preview, _ = docker_stack.preview()
    created = preview.change_summary.get("create", 0)
    assert created >= 14, preview.change_summary
    up, events = docker_stack.up()
    assert up.summary.result == "succeeded"
    assert not [s for s in events.ops() if s[0] != "create"], events.ops()
    # The provider's wait: every container was healthy when `pulumi up` returned.
    for service in SERVICES:
        state = engine.inspect(f"{PREFIX}-{service}")["State"]
        assert state["Status"] == "running" and state["Health"]["Status"] == "healthy", (service, state)
    # Every resource in the state exists on the engine, under the id the provider stored.
    for resource in docker_stack.resources():
        if resource["type"] == CONTAINER:
            assert engine.inspect(resource["outputs"]["name"])["Id"] == resource["id"]
    assert set(data_volumes(docker_stack)) == {"prometheus", "alertmanager"}
    state = docker_stack.state_text()
    leaked = [name for name, value in SECRETS.items() if value in state]
    assert not leaked, f"secret values in plain text in the state: {leaked}"


def test_a_preview_right_after_up_has_no_changes(docker_stack):
    """The perpetual-diff check: every input reads back from the engine in the form it was sent."""
    docker_stack.preview(expect_no_changes=True)


def test_secret_files_are_readable_through_group_0_and_nowhere_else(docker_stack, engine):
    """The provider (v5.1.0) uploads every file as root:root; a secret is 0440, no bit for others,
    and the service's user reads it through its supplementary group 0 (targets/docker.py)."""
    checked = []
    for resource in docker_stack.resources():
        if resource["type"] != CONTAINER:
            continue
        name = resource["outputs"]["name"]
        code, listing = engine.exec(name, ["sh", "-c", "ls /run/secrets/*/* 2>/dev/null"])
        for path in listing.split():
            code, out = engine.exec(name, ["stat", "-c", "%a %u %g", path])
            assert code == 0 and out.strip() == "440 0 0", (name, path, out)
            code, out = engine.exec(name, ["cat", path])  # as the container's own user
            assert code == 0 and out, f"{name} cannot read {path}: {out}"
            checked.append(path)
        if listing.split():
            user = engine.inspect(name)["Config"]["User"]
            code, groups = engine.exec(name, ["id", "-G"])
            assert user.split(":")[0] != "0" and "0" in groups.split(), (name, user, groups)
    assert len([p for p in checked if "/alertmanager/" in p]) == 4, checked
    # Nowhere else: not in an environment variable or a command line the engine reports.
    for service in SERVICES:
        config = engine.inspect(f"{PREFIX}-{service}")["Config"]
        shown = json.dumps([config["Env"], config["Cmd"], config["Labels"]])
        assert not [v for v in SECRETS.values() if v in shown], service


def test_the_watchdog_reaches_the_webhook_through_prometheus_and_alertmanager(docker_stack, engine, sink):
    until(lambda: sink.bodies("/deadmans", "Watchdog"), 150, "the Watchdog at the webhook sink")
    active = api(engine, "prometheus", 9090, "/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
    assert any("alertmanager:9093" in a["url"] for a in active), active
    groups = api(engine, "prometheus", 9090, "/api/v1/rules")["data"]["groups"]
    broken = [(r["name"], r["lastError"]) for g in groups for r in g["rules"] if r["health"] == "err"]
    assert groups and not broken, broken
    # Alertmanager found the zones its business-hours interval names (the stack ships them).
    status = api(engine, "alertmanager", 9093, "/api/v2/status")
    assert "business_hours" in status["config"]["original"] and "America/New_York" in status["config"]["original"]
    # node-exporter reads the host through its read-only mounts: the root filesystem the disk alerts use.
    until(lambda: query(engine, 'up{job="node-exporter"} == 1'), 60, "node-exporter scraped through its mounts")
    assert query(engine, 'node_filesystem_size_bytes{mountpoint="/"}') and query(engine, "node_memory_MemTotal_bytes")


def mark_data(stack: EngineStack, engine: Engine) -> None:
    """A marker file in every data volume, a silence in Alertmanager, and the time of a scrape."""
    for service in data_volumes(stack):
        code, out = engine.exec(f"{PREFIX}-{service}", ["sh", "-c", f"echo {service} > /{service}/.engine-test-marker"])
        assert code == 0, out
    silence = {
        "matchers": [{"name": "alertname", "value": "EngineTestSilence", "isRegex": False, "isEqual": True}],
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400)),
        "createdBy": "engine-test",
        "comment": "kept across replacements",
    }
    STATE["silence"] = api(engine, "alertmanager", 9093, "/api/v2/silences", silence)["silenceID"]
    STATE["scraped_at"] = float(until(lambda: query(engine, 'up{job="prometheus"}'), 60, "a scrape")[0]["value"][0])
    STATE["volumes"] = volumes(engine)


def assert_data_kept(stack: EngineStack, engine: Engine) -> None:
    assert volumes(engine) == STATE["volumes"], "the same volumes, none added or recreated elsewhere"
    for service in data_volumes(stack):
        code, out = engine.exec(f"{PREFIX}-{service}", ["cat", f"/{service}/.engine-test-marker"])
        assert code == 0 and out.strip() == service, (service, out)
    kept = until(lambda: query(engine, 'up{job="prometheus"}', STATE["scraped_at"]), 60, "the samples from before")
    assert kept, "Prometheus' samples from before the change"
    silences = until(lambda: api(engine, "alertmanager", 9093, "/api/v2/silences"), 30, "silences")
    assert STATE["silence"] in [s["id"] for s in silences if s["status"]["state"] == "active"], silences


# Each class of change, and what the real provider does with it. Docker cannot change most of a
# container in place: the provider replaces it (delete, then create: DeleteBeforeReplace), keeping
# its volume; memory limits are updated in place. Never a volume, the network or an image.
def _rule(c):
    group = {"name": "engine-test", "rules": [{"record": "engine_test:up:sum", "expr": "sum(up)"}]}
    return with_sections(c, prometheus={"rule_groups": [group]})


def _scrape_job(c):
    return with_sections(c, prometheus={"scrape_jobs": [{"job_name": "engine-test", "targets": ["jaeger:8888"]}]})


def _receiver(c):
    """A webhook receiver added to the pack's, with a route to it."""
    defaults = prsm_config().alertmanager
    hook = {"name": "engine-test-hook", "webhook": {"url": "http://127.0.0.1:9/hook"}}
    route = {"receiver": "engine-test-hook", "matchers": ['alertname="EngineTest"']}
    return with_sections(
        c,
        alertmanager={
            "receivers": [r.model_dump(mode="json", exclude_none=True) for r in defaults.receivers] + [hook],
            "routes": [route] + [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in defaults.routes],
        },
    )


CHANGES = {
    "rule": (_rule, {("replace", CONTAINER, "prometheus")}),
    "retention": (lambda c: with_sections(c, prometheus={"retention": "3d"}), {("replace", CONTAINER, "prometheus")}),
    "scrape job": (_scrape_job, {("replace", CONTAINER, "prometheus")}),
    "resources": (
        lambda c: with_sections(c, prometheus={"limits": {"cpu": "1", "memory": "1536Mi"}}),
        {("update", CONTAINER, "prometheus")},
    ),
    "labels": (
        lambda c: with_sections(c, common={**c["observability:common"], "labels": {"environment": "engine-test-2"}}),
        {("replace", CONTAINER, s) for s in SERVICES},
    ),
    "receiver": (_receiver, {("replace", CONTAINER, "alertmanager")}),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_class_of_change_previews_as_what_it_does(docker_stack, base_config, change):
    make, expected = CHANGES[change]
    docker_stack.set_config(make(base_config))
    try:
        _, events = docker_stack.preview()
    finally:
        docker_stack.set_config(base_config)
    steps = {s for s in events.ops() if s[0] not in ("create-replacement", "delete-replaced")}
    assert steps == expected, steps


def test_a_secret_rotation_replaces_only_the_container_that_reads_it(docker_stack):
    docker_stack.stack.set_config(
        "observability:secrets.slack_webhook_url", _secret("http://127.0.0.1:9/slack-rotated"), path=True
    )
    try:
        _, events = docker_stack.preview()
    finally:
        docker_stack.stack.set_config(
            "observability:secrets.slack_webhook_url", _secret(SECRETS["slack_webhook_url"]), path=True
        )
    steps = {s for s in events.ops() if s[0] not in ("create-replacement", "delete-replaced")}
    assert steps == {("replace", CONTAINER, "alertmanager")}, steps


def _secret(value: str):
    from pulumi import automation as auto

    return auto.ConfigValue(value, secret=True)


def test_every_change_applied_keeps_the_volumes_and_their_data(docker_stack, engine, base_config):
    mark_data(docker_stack, engine)
    changed = base_config
    for make, _ in CHANGES.values():
        changed = make(changed)
    docker_stack.set_config(changed)
    docker_stack.stack.set_config(
        "observability:secrets.slack_webhook_url", _secret("http://127.0.0.1:9/slack-rotated"), path=True
    )
    up, events = docker_stack.up()
    assert up.summary.result == "succeeded"
    touched = {s[1] for s in events.ops()}
    assert touched <= {CONTAINER}, events.ops()
    docker_stack.preview(expect_no_changes=True)
    assert_data_kept(docker_stack, engine)
    assert until(lambda: query(engine, "engine_test:up:sum"), 60, "the new rule's recording")
    code, out = engine.exec(f"{PREFIX}-alertmanager", ["sh", "-c", "cat /run/secrets/alertmanager/*"])
    assert "slack-rotated" in out and "slack-first" not in out, out
    STATE["config"] = changed


def test_destroy_keeps_the_volumes_and_a_changed_up_reuses_them(docker_stack, engine):
    docker_stack.destroy()
    for service in SERVICES:
        with pytest.raises(Exception, match="404"):
            engine.inspect(f"{PREFIX}-{service}")
    assert volumes(engine) == STATE["volumes"], "destroy kept every data volume"
    for service, volume in data_volumes_by_name().items():
        assert read_marker(engine, volume) == service
    changed = with_sections(STATE["config"], prometheus={"retention": "10d"}, alertmanager={"retention": "96h"})
    changed = with_sections(changed, common={**changed["observability:common"], "labels": {"environment": "back"}})
    docker_stack.set_config(changed)
    up, events = docker_stack.up()
    assert up.summary.result == "succeeded"
    assert {s[0] for s in events.ops()} == {"create"}, events.ops()
    docker_stack.preview(expect_no_changes=True)
    assert_data_kept(docker_stack, engine)


def test_down_then_a_service_removed_then_down_and_back_keeps_its_volume(docker_stack, engine):
    """Destroy, disable a service with data, up; destroy, enable it again, up: its volume, left alone
    while it was gone, is the one it finds again, with its data."""
    service, config = "alertmanager", STATE["config"]
    assert service in data_volumes(docker_stack)
    for enabled in (False, True):
        docker_stack.destroy()
        config = with_sections(config, alertmanager={"enabled": enabled})
        docker_stack.set_config(config)
        up, _ = docker_stack.up()
        assert up.summary.result == "succeeded", enabled
        assert volumes(engine) == STATE["volumes"], f"{service} enabled={enabled}: the same volumes"
        assert (service in data_volumes(docker_stack)) == enabled
        docker_stack.preview(expect_no_changes=True)
    assert_data_kept(docker_stack, engine)


def data_volumes_by_name() -> dict[str, str]:
    return {name.removeprefix(f"{PREFIX}-").removesuffix("-data"): name for name in STATE["volumes"]}

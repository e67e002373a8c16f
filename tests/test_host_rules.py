"""Host, container and cluster alerts: each fires on the series its collector exports and stays quiet
on healthy ones (promtool test rules), and each group ships only with its collector."""

from __future__ import annotations

import pytest

from observability_stack.configs.content.host_rules import host_rule_groups
from observability_stack.configs.load import load_sections
from observability_stack.configs.render.rules import rule_files
from tests.promtool_helpers import alert_names, check_rules, fire_and_quiet, run_rule_tests

COLLECTORS = ["node-exporter", "cadvisor", "kube-state-metrics"]
NODE = {"job": "node-exporter", "instance": "node-1:9100"}
FS = {**NODE, "device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/"}
INFRA = {"category": "infrastructure"}


def _series(name: str, labels: dict[str, str]) -> str:
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _disk(avail: str, size: str = "100e9x500", readonly: str = "0x500") -> dict[str, str]:
    return {
        _series("node_filesystem_avail_bytes", FS): avail,
        _series("node_filesystem_size_bytes", FS): size,
        _series("node_filesystem_readonly", FS): readonly,
    }


def _memory(available: str, faults: str) -> dict[str, str]:
    return {
        _series("node_memory_MemAvailable_bytes", NODE): available,
        _series("node_memory_MemTotal_bytes", NODE): "8e9x40",
        _series("node_vmstat_pgmajfault", NODE): faults,
    }


CONTAINER = {"job": "cadvisor", "instance": "cadvisor:8080", "id": "/docker/abc", "name": "api"}
KSM = {"job": "kube-state-metrics", "instance": "10.0.0.5:8080"}
NODE_READY = {**KSM, "node": "node-1", "condition": "Ready", "status": "true"}
POD = {"namespace": "shop", "pod": "api-0", "container": "api"}

# (alert, firing series, quiet series, eval time, expected labels besides alertname)
CASES = [
    # 15 GB of 100 GB left, losing 100 MB a minute: empty in 2.5 hours.
    (
        "HostDiskWillFillIn24Hours",
        _disk("15e9-1e8x500"),
        _disk("15e9x500"),
        "400m",
        {**FS, **INFRA, "severity": "warning"},
    ),
    # At the horizon: 15 MB a minute empties the 9 GB left at 400m within the day (21.6 GB a day); 1 MB a
    # minute (1.44 GB a day) does not.
    (
        "HostDiskWillFillIn24Hours",
        _disk("15e9-1.5e7x500"),
        _disk("15e9-1e6x500"),
        "400m",
        {**FS, **INFRA, "severity": "warning"},
    ),
    # The same fall on a read-only filesystem is not a disk filling up.
    (
        "HostDiskWillFillIn24Hours",
        _disk("15e9-1e8x500"),
        _disk("15e9-1e8x500", readonly="1x500"),
        "400m",
        {**FS, **INFRA, "severity": "warning"},
    ),
    ("HostDiskAlmostFull", _disk("4e9x20"), _disk("10e9x20"), "10m", {**FS, **INFRA, "severity": "critical"}),
    # 6 % available: paging in at 1000/s is pressure, at 10/s it is a full but healthy cache.
    (
        "HostMemoryPressure",
        _memory("0.5e9x40", "0+60000x40"),
        _memory("0.5e9x40", "0+600x40"),
        "20m",
        {**NODE, **INFRA, "severity": "warning"},
    ),
    (
        "HostMemoryPressure",
        _memory("0.5e9x40", "0+60000x40"),
        _memory("4e9x40", "0+60000x40"),
        "20m",
        {**NODE, **INFRA, "severity": "warning"},
    ),
    (
        "ContainerRestarting",
        {_series("container_start_time_seconds", CONTAINER): "100 100 200 300 400 400 400"},
        {_series("container_start_time_seconds", CONTAINER): "100 100 200 200 200 200 200"},
        "6m",
        {**CONTAINER, **INFRA, "severity": "warning"},
    ),
    (
        "KubeNodeNotReady",
        {_series("kube_node_status_condition", NODE_READY): "1 1 0x10"},
        {_series("kube_node_status_condition", NODE_READY): "1 1 0 1x10"},
        "8m",
        {**NODE_READY, **INFRA, "severity": "critical"},
    ),
    (
        "KubePodCrashLooping",
        {_series("kube_pod_container_status_waiting_reason", {**KSM, **POD, "reason": "CrashLoopBackOff"}): "1x30"},
        {_series("kube_pod_container_status_waiting_reason", {**KSM, **POD, "reason": "ContainerCreating"}): "1x30"},
        "20m",
        {**POD, **INFRA, "severity": "warning"},
    ),
    (
        "KubePodCrashLooping",
        {_series("kube_pod_container_status_restarts_total", {**KSM, **POD}): "0+1x40"},
        {_series("kube_pod_container_status_restarts_total", {**KSM, **POD}): "0x10 1x30"},
        "35m",
        {**POD, **INFRA, "severity": "warning"},
    ),
]


def test_every_host_alert_has_cases():
    assert alert_names(host_rule_groups(COLLECTORS)) == {case[0] for case in CASES}


def test_promtool_checks_the_groups(tmp_path):
    groups = host_rule_groups(COLLECTORS)
    assert f"SUCCESS: {sum(len(g['rules']) for g in groups)} rules found" in check_rules(tmp_path, groups)


def test_alerts_fire_and_stay_quiet(tmp_path):
    run_rule_tests(tmp_path, host_rule_groups(COLLECTORS), fire_and_quiet(CASES))


@pytest.mark.parametrize(
    "target, groups",
    [("docker", ["host.node", "host.containers"]), ("kubernetes", ["host.node", "host.cluster"])],
)
def test_each_group_ships_with_its_collector_on_its_target(target, groups):
    config, _, _ = load_sections({"common": {"target": target}})
    assert [g["name"] for g in rule_files(config)["hosts.yml"]] == groups
    config, _, _ = load_sections(
        {"common": {"target": target}, "node_exporter": {"enabled": False}, "cadvisor": {"enabled": False}}
    )
    assert [g["name"] for g in rule_files(config).get("hosts.yml", [])] == [g for g in groups if g == "host.cluster"]

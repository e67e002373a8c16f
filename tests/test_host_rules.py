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


NIC = {**NODE, "device": "eth0"}
MD = {**NODE, "device": "md0"}


def _nic(errors: str) -> dict[str, str]:
    # 1000 packets a minute each way; `errors` of the received ones fail.
    return {
        _series("node_network_receive_errs_total", NIC): errors,
        _series("node_network_transmit_errs_total", NIC): "0x30",
        _series("node_network_receive_packets_total", NIC): "0+1000x30",
        _series("node_network_transmit_packets_total", NIC): "0+1000x30",
    }


def _pair(what: str, of: str, used: str, limit: str) -> dict[str, str]:
    return {_series(what, NODE): used, _series(of, NODE): limit}


def _inodes(free: str) -> dict[str, str]:
    return {
        _series("node_filesystem_files_free", FS): free,
        _series("node_filesystem_files", FS): "1e6x20",
        _series("node_filesystem_readonly", FS): "0x20",
    }


def _warning(labels: dict) -> dict:
    return {**labels, **INFRA, "severity": "warning"}


CASES += [
    ("HostOutOfInodes", _inodes("1e4x20"), _inodes("5e5x20"), "10m", {**FS, **INFRA, "severity": "critical"}),
    (
        "HostFilesystemDeviceError",
        {_series("node_filesystem_device_error", FS): "1x20"},
        {_series("node_filesystem_device_error", FS): "0x20"},
        "15m",
        _warning(FS),
    ),
    ("HostNetworkErrors", _nic("0+50x30"), _nic("0+1x30"), "25m", _warning(NIC)),
    (
        "HostClockSkew",
        {_series("node_timex_offset_seconds", NODE): "-0.2x20"},
        {_series("node_timex_offset_seconds", NODE): "0.001x20"},
        "15m",
        _warning(NODE),
    ),
    (
        "HostClockNotSynchronising",
        _pair("node_timex_sync_status", "node_timex_maxerror_seconds", "0x20", "16x20"),
        _pair("node_timex_sync_status", "node_timex_maxerror_seconds", "1x20", "0.1x20"),
        "15m",
        _warning(NODE),
    ),
    (
        "HostOOMKill",
        {_series("node_vmstat_oom_kill", NODE): "0 0 1x5"},
        {_series("node_vmstat_oom_kill", NODE): "0x7"},
        "4m",
        _warning(NODE),
    ),
    (
        "HostRAIDDiskFailed",
        {_series("node_md_disks", {**MD, "state": "failed"}): "1x5"},
        {
            _series("node_md_disks", {**MD, "state": "failed"}): "0x5",
            _series("node_md_disks", {**MD, "state": "active"}): "2x5",
        },
        "2m",
        _warning({**MD, "state": "failed"}),
    ),
    (
        "HostConntrackNearLimit",
        _pair("node_nf_conntrack_entries", "node_nf_conntrack_entries_limit", "200000x20", "262144x20"),
        _pair("node_nf_conntrack_entries", "node_nf_conntrack_entries_limit", "2000x20", "262144x20"),
        "15m",
        _warning(NODE),
    ),
    (
        "HostFileDescriptorsNearLimit",
        _pair("node_filefd_allocated", "node_filefd_maximum", "900x20", "1000x20"),
        _pair("node_filefd_allocated", "node_filefd_maximum", "100x20", "1000x20"),
        "15m",
        _warning(NODE),
    ),
    (
        "HostTextfileCollectorError",
        {_series("node_textfile_scrape_error", NODE): "1x20"},
        {_series("node_textfile_scrape_error", NODE): "0x20"},
        "15m",
        _warning(NODE),
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
    [
        ("docker", ["host.node", "host.node.health", "host.trends", "host.containers"]),
        ("kubernetes", ["host.node", "host.node.health", "host.trends", "host.cluster"]),
    ],
)
def test_each_group_ships_with_its_collector_on_its_target(target, groups):
    config, _, _ = load_sections({"common": {"target": target}})
    assert [g["name"] for g in rule_files(config)["hosts.yml"]] == groups
    config, _, _ = load_sections(
        {"common": {"target": target}, "node_exporter": {"enabled": False}, "cadvisor": {"enabled": False}}
    )
    assert [g["name"] for g in rule_files(config).get("hosts.yml", [])] == [g for g in groups if g == "host.cluster"]

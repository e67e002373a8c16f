"""Alerts on the hosts, containers and cluster the collectors watch: disks filling up, memory
pressure, restarting containers, nodes down. Each group is shipped only with its collector."""

from __future__ import annotations

from .meta_rules import alert

CATEGORY = "infrastructure"
# Filesystems worth an alert: real disks, not the runtime's overlays or memory-backed mounts.
_FS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs", mountpoint!~"/boot.*"'


# The free space of each filesystem, one point per 5 minutes: the 6-hour trend reads 72 of them instead of
# the 1,440 raw samples a 15 s scrape gives (which cost 20 ms per evaluation at 100 nodes, make bench).
# Its group runs every 5 minutes; promtool's tests evaluate it at their own interval.
TREND = "instance_mountpoint:node_filesystem_avail_bytes:avg5m"
TREND_INTERVAL = "5m"


def _trend_rules() -> list[dict]:
    return [{"record": TREND, "expr": f"avg_over_time(node_filesystem_avail_bytes{{{_FS}}}[{TREND_INTERVAL}])"}]


def _node_rules() -> list[dict]:
    avail, size = f"node_filesystem_avail_bytes{{{_FS}}}", f"node_filesystem_size_bytes{{{_FS}}}"
    writable = f"node_filesystem_readonly{{{_FS}}} == 0"
    return [
        alert(
            "HostDiskWillFillIn24Hours",
            # Already below 20 % and, at the last 6 hours' pace, empty within a day.
            f"({avail} / {size} < 0.20 and predict_linear({TREND}[6h], 24 * 3600) < 0) and {writable}",
            "30m",
            "warning",
            "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} will fill up within 24 hours",
            "{{ $labels.mountpoint }} ({{ $labels.device }}) has {{ $value | humanizePercentage }} of its "
            "space left and is filling up at a pace that empties it within a day",
            CATEGORY,
        ),
        alert(
            "HostDiskAlmostFull",
            f"({avail} / {size} < 0.05) and {writable}",
            "5m",
            "critical",
            "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is almost full",
            "{{ $labels.mountpoint }} has {{ $value | humanizePercentage }} of its space left",
            CATEGORY,
        ),
        alert(
            "HostMemoryPressure",
            # Little memory left and the kernel reclaiming it by paging in from disk: the host is
            # slowing down, not just using its cache.
            "(node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.10)"
            " and on (job, instance) rate(node_vmstat_pgmajfault[5m]) > 500",
            "10m",
            "warning",
            "{{ $labels.instance }} is under memory pressure",
            "Only {{ $value | humanizePercentage }} of memory is available and the host pages in from "
            "disk at over 500 major faults per second",
            CATEGORY,
        ),
    ]


def _node_health_rules() -> list[dict]:
    """What the anchors' node-exporter alerts also watch: inodes, device errors, the network, the
    clock, the kernel's OOM killer, RAID, conntrack and file descriptors; each reads a collector that
    node-exporter runs by default, and a host without the hardware (no md RAID) has no series."""
    files, free = f"node_filesystem_files{{{_FS}}}", f"node_filesystem_files_free{{{_FS}}}"
    ratio = "{what} / {of} > {limit}"
    return [
        alert(
            "HostOutOfInodes",
            f"({free} / {files} < 0.05) and node_filesystem_readonly{{{_FS}}} == 0",
            "5m",
            "critical",
            "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is out of inodes",
            "{{ $value | humanizePercentage }} of its inodes are left: files cannot be created though space is",
            CATEGORY,
        ),
        alert(
            "HostFilesystemDeviceError",
            f"node_filesystem_device_error{{{_FS}}} == 1",
            "10m",
            "warning",
            "{{ $labels.mountpoint }} on {{ $labels.instance }} cannot be read",
            "node-exporter cannot stat the filesystem: its device is failing or gone",
            CATEGORY,
        ),
        alert(
            "HostNetworkErrors",
            '(rate(node_network_receive_errs_total{device!="lo"}[5m])'
            ' + rate(node_network_transmit_errs_total{device!="lo"}[5m]))'
            ' / (rate(node_network_receive_packets_total{device!="lo"}[5m])'
            ' + rate(node_network_transmit_packets_total{device!="lo"}[5m]) > 0) > 0.01',
            "15m",
            "warning",
            "{{ $labels.device }} on {{ $labels.instance }} has network errors",
            "{{ $value | humanizePercentage }} of its packets fail: a bad cable, driver or duplex mismatch",
            CATEGORY,
        ),
        alert(
            "HostClockSkew",
            "abs(node_timex_offset_seconds) > 0.05",
            "10m",
            "warning",
            "The clock of {{ $labels.instance }} is off",
            "It is {{ $value | humanizeDuration }} away from its time source: TLS, tokens and the order of "
            "logs and samples suffer",
            CATEGORY,
        ),
        alert(
            "HostClockNotSynchronising",
            # 16 s is the kernel's maximum error of an unsynchronised clock.
            "min_over_time(node_timex_sync_status[5m]) == 0 and node_timex_maxerror_seconds >= 16",
            "10m",
            "warning",
            "The clock of {{ $labels.instance }} is not synchronised",
            "No NTP (or PTP) daemon is keeping it in time: it drifts",
            CATEGORY,
        ),
        alert(
            "HostOOMKill",
            "increase(node_vmstat_oom_kill[5m]) > 0",
            "",
            "warning",
            "The kernel of {{ $labels.instance }} killed a process for memory",
            "{{ $value | humanize }} processes were OOM-killed in 5 minutes",
            CATEGORY,
        ),
        alert(
            "HostRAIDDiskFailed",
            'node_md_disks{state="failed"} > 0',
            "",
            "warning",
            "RAID array {{ $labels.device }} on {{ $labels.instance }} has a failed disk",
            "{{ $value }} of its disks failed: the array runs degraded, one more failure from data loss",
            CATEGORY,
        ),
        alert(
            "HostConntrackNearLimit",
            ratio.format(what="node_nf_conntrack_entries", of="node_nf_conntrack_entries_limit", limit=0.75),
            "10m",
            "warning",
            "{{ $labels.instance }}'s connection tracking table is filling",
            "{{ $value | humanizePercentage }} of it is used; when full, the kernel drops new connections",
            CATEGORY,
        ),
        alert(
            "HostFileDescriptorsNearLimit",
            ratio.format(what="node_filefd_allocated", of="node_filefd_maximum", limit=0.8),
            "10m",
            "warning",
            "{{ $labels.instance }} is running out of file descriptors",
            "{{ $value | humanizePercentage }} of the kernel's file descriptors are allocated",
            CATEGORY,
        ),
        alert(
            "HostTextfileCollectorError",
            "node_textfile_scrape_error == 1",
            "10m",
            "warning",
            "node-exporter cannot read the textfile metrics of {{ $labels.instance }}",
            "A .prom file in the textfile directory does not parse: the metrics a job writes there are missing",
            CATEGORY,
        ),
    ]


def _container_rules() -> list[dict]:
    return [
        alert(
            "ContainerRestarting",
            # Each restart gives the container a new start time; `restart: unless-stopped` hides a
            # crash loop from everything but this.
            'changes(container_start_time_seconds{name!=""}[15m]) > 2',
            "",
            "warning",
            "Container {{ $labels.name }} keeps restarting",
            "{{ $labels.name }} on {{ $labels.instance }} started {{ $value }} times in 15 minutes",
            CATEGORY,
        ),
    ]


def _cluster_rules() -> list[dict]:
    return [
        alert(
            "KubeNodeNotReady",
            'kube_node_status_condition{condition="Ready", status="true"} == 0',
            "5m",
            "critical",
            "Node {{ $labels.node }} is not ready",
            "{{ $labels.node }} has not been Ready for 5 minutes: its pods are not running or not reachable",
            CATEGORY,
        ),
        alert(
            "KubePodCrashLooping",
            "max by (namespace, pod, container) ("
            'kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}) == 1'
            " or sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total[15m])) > 2",
            "15m",
            "warning",
            "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is crash looping",
            "The container keeps restarting: it is waiting in CrashLoopBackOff or restarted more than "
            "twice in 15 minutes",
            CATEGORY,
        ),
    ]


# Collector -> the rules its series feed.
_BY_COLLECTOR = {
    "node-exporter": ("host.node", _node_rules),
    "cadvisor": ("host.containers", _container_rules),
    "kube-state-metrics": ("host.cluster", _cluster_rules),
}


def host_rule_groups(enabled: list[str]) -> list[dict]:
    groups = [
        {"name": name, "rules": rules()} for service, (name, rules) in _BY_COLLECTOR.items() if service in enabled
    ]
    if "node-exporter" in enabled:
        groups.insert(1, {"name": "host.node.health", "rules": _node_health_rules()})
        groups.insert(2, {"name": "host.trends", "interval": TREND_INTERVAL, "rules": _trend_rules()})
    return groups

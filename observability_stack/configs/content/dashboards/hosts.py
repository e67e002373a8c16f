"""Hosts, containers and the cluster, from the collectors that are enabled."""

from __future__ import annotations

from observability_stack.configs.content.dashboards.builder import Dashboard, Panel, Row, Target, Threshold

RATE = "$__rate_interval"
_FS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs"'


def _nodes() -> Row:
    return Row(
        "Nodes",
        (
            Panel(
                "CPU busy",
                "timeseries",
                (
                    Target(
                        f'1 - avg by (instance) (rate(node_cpu_seconds_total{{mode="idle"}}[{RATE}]))', "{{instance}}"
                    ),
                ),
                width=8,
                unit="percentunit",
                min=0,
                max=1,
            ),
            Panel(
                "Memory available",
                "timeseries",
                (Target("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "{{instance}}"),),
                width=8,
                unit="percentunit",
                min=0,
                max=1,
            ),
            Panel(
                "Filesystem space left",
                "gauge",
                (
                    Target(
                        f"min by (instance, mountpoint) (node_filesystem_avail_bytes{{{_FS}}}"
                        f" / node_filesystem_size_bytes{{{_FS}}})",
                        "{{instance}} {{mountpoint}}",
                    ),
                ),
                width=8,
                unit="percentunit",
                min=0,
                max=1,
                thresholds=(Threshold("red"), Threshold("orange", 0.05), Threshold("green", 0.2)),
            ),
            Panel(
                "Network received",
                "timeseries",
                (
                    Target(
                        f'sum by (instance) (rate(node_network_receive_bytes_total{{device!="lo"}}[{RATE}]))',
                        "{{instance}}",
                    ),
                ),
                width=12,
                unit="Bps",
                min=0,
            ),
            Panel(
                "Load (1m) per core",
                "timeseries",
                (
                    Target(
                        'node_load1 / on (instance) count by (instance) (node_cpu_seconds_total{mode="idle"})',
                        "{{instance}}",
                    ),
                ),
                width=12,
                min=0,
            ),
        ),
    )


def _containers() -> Row:
    return Row(
        "Containers",
        (
            Panel(
                "CPU by container",
                "timeseries",
                (Target(f'sum by (name) (rate(container_cpu_usage_seconds_total{{name!=""}}[{RATE}]))', "{{name}}"),),
                width=8,
                unit="short",
                min=0,
            ),
            Panel(
                "Memory working set by container",
                "timeseries",
                (Target('sum by (name) (container_memory_working_set_bytes{name!=""})', "{{name}}"),),
                width=8,
                unit="bytes",
                min=0,
            ),
            Panel(
                "Starts in the last hour",
                "table",
                (Target('changes(container_start_time_seconds{name!=""}[1h])', "{{name}}", instant=True),),
                width=8,
            ),
        ),
    )


def _cluster() -> Row:
    return Row(
        "Cluster",
        (
            Panel(
                "Nodes not ready",
                "stat",
                (
                    Target(
                        'sum(kube_node_status_condition{condition="Ready", status="true"} == 0) or vector(0)',
                        "not ready",
                    ),
                ),
                width=6,
                thresholds=(Threshold("green"), Threshold("red", 1)),
            ),
            Panel(
                "Pods by phase",
                "timeseries",
                (Target("sum by (phase) (kube_pod_status_phase)", "{{phase}}"),),
                width=9,
                min=0,
            ),
            Panel(
                "Container restarts (1h)",
                "timeseries",
                (
                    Target(
                        "sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total[1h])) > 0",
                        "{{namespace}}/{{pod}}",
                    ),
                ),
                width=9,
                min=0,
            ),
        ),
    )


_ROWS = {"node-exporter": _nodes, "cadvisor": _containers, "kube-state-metrics": _cluster}


def hosts_dashboard(enabled: list[str]) -> Dashboard | None:
    rows = [build() for service, build in _ROWS.items() if service in enabled]
    if not rows:
        return None
    return Dashboard(
        "Hosts and Containers",
        ("infrastructure",),
        rows,
        time_from="now-6h",
        description="Node, container and cluster state from node-exporter, cAdvisor and kube-state-metrics",
    )

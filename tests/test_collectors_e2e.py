"""node-exporter, built from its module at the pinned release, scraped by the pinned Prometheus with
the rendered config, and the shipped host rules evaluated over its real series (this machine's)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
import yaml
from e2e_helpers import Process, binary, free_port, prometheus_process, wait_until

from observability_stack.configs.load import load_sections
from observability_stack.configs.render.common import to_yaml
from observability_stack.configs.render.files import service_files

pytestmark = pytest.mark.e2e
WAIT = 60


def _query(url: str, expr: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/api/v1/query?query={urllib.parse.quote(expr)}", timeout=5) as response:
        return json.load(response)["data"]["result"]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    root = tmp_path_factory.mktemp("collectors")
    started = []
    try:
        exporter_port, prom_port = free_port(), free_port()
        # On this machine as it is: its own /proc, /sys and root (the container mounts them at /host/*).
        exporter = Process(
            [binary("node_exporter"), f"--web.listen-address=127.0.0.1:{exporter_port}"], root / "ne.log", root
        )
        started.append(exporter)
        exporter.wait_ready(f"http://127.0.0.1:{exporter_port}/", WAIT)

        cfg, _, _ = load_sections({"prometheus": {"scrape_interval": "1s", "evaluation_interval": "1s"}})
        prom_dir = root / "prometheus"
        for relative, content in service_files(cfg, "prometheus", set()).items():
            (prom_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            if relative.startswith("rules/"):
                doc = yaml.safe_load(content)
                for group in doc["groups"]:
                    group.pop("interval", None)
                content = to_yaml(doc)
            (prom_dir / relative).write_text(content)
        doc = yaml.safe_load((prom_dir / "prometheus.yml").read_text())
        jobs = {job["job_name"]: job for job in doc["scrape_configs"]}
        # The rendered job, pointed at loopback: its path, labels and interval are the shipped ones.
        assert jobs["node-exporter"]["static_configs"] == [{"targets": ["node-exporter:9100"]}]
        jobs["node-exporter"]["static_configs"] = [{"targets": [f"127.0.0.1:{exporter_port}"]}]
        doc["scrape_configs"] = [jobs["node-exporter"]]
        doc.pop("alerting", None)
        (prom_dir / "prometheus.yml").write_text(to_yaml(doc))
        prom = prometheus_process(cfg, prom_dir, root / "data", prom_port, root)
        started.append(prom)
        url = f"http://127.0.0.1:{prom_port}"
        prom.wait_ready(f"{url}/-/ready", WAIT)
        yield url, prom
    finally:
        for process in reversed(started):
            process.stop()


def test_the_rendered_job_scrapes_node_exporter(prometheus):
    url, prom = prometheus
    up = wait_until(lambda: _query(url, 'up{job="node-exporter"} == 1'), WAIT, "node-exporter to be up", prom.tail)
    assert up[0]["metric"]["instance"].startswith("127.0.0.1:")


def test_the_host_rules_select_real_series_and_evaluate_cleanly(prometheus):
    url, prom = prometheus

    def host_groups():
        with urllib.request.urlopen(f"{url}/api/v1/rules", timeout=5) as response:
            groups = [g for g in json.load(response)["data"]["groups"] if g["name"].startswith("host.node")]
        # Twice evaluated: rate() and predict_linear() need two samples.
        evaluated = all(r.get("lastEvaluation", "0001")[:4] != "0001" for g in groups for r in g["rules"])
        return groups if len(groups) == 2 and evaluated else None

    node, health = wait_until(host_groups, WAIT, "the host.node groups to evaluate", prom.tail)
    assert [r["name"] for r in node["rules"]] == [
        "HostDiskWillFillIn24Hours",
        "HostDiskAlmostFull",
        "HostMemoryPressure",
    ]
    assert len(health["rules"]) == 10
    rules = node["rules"] + health["rules"]
    assert [(r["name"], r["lastError"]) for r in rules if r["health"] != "ok"] == []
    # The selectors in the rules match what this node-exporter release exports: a renamed metric or a
    # filter that leaves nothing would make the alerts silently unable to fire.
    fs = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs", mountpoint!~"/boot.*"'
    for expr in (
        f"node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}",
        f"node_filesystem_readonly{{{fs}}} == 0",
        "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
        "node_vmstat_pgmajfault",
        # What host.node.health reads that every Linux host has (md RAID, conntrack and the textfile
        # directory are per host).
        f"node_filesystem_files_free{{{fs}}} / node_filesystem_files{{{fs}}}",
        f"node_filesystem_device_error{{{fs}}}",
        'node_network_receive_errs_total{device!="lo"}',
        'node_network_transmit_packets_total{device!="lo"}',
        "node_timex_offset_seconds",
        "node_timex_sync_status",
        "node_timex_maxerror_seconds",
        "node_vmstat_oom_kill",
        "node_filefd_allocated / node_filefd_maximum",
    ):
        # The group may have run before node-exporter's first scrape (the other tests, run first, hid it).
        wait_until(lambda expr=expr: _query(url, expr), WAIT, f"a series for {expr}", prom.tail)
    wait_until(lambda: _query(url, "rate(node_vmstat_pgmajfault[10s])"), WAIT, "a rate over two samples", prom.tail)

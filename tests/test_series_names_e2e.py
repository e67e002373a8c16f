"""The names the shipped rules and panels read from node-exporter, Prometheus and Alertmanager, held
to the real /metrics of the pinned builds (tests/upstream.py), and the stack's self-monitoring rules
(rules/stack.yml of the prod stack) evaluated by the pinned Prometheus over real series: its own and
a real Alertmanager's, run in cluster mode as prod runs them (tests/series_names.py says which names
these exporters own; tests/test_series_names.py checks the rest against upstream catalogues)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
import yaml
from conftest import ROOT, SECRETS, stack_config
from e2e_helpers import Process, binary, free_port, prometheus_process, wait_until
from series_names import exposition_names, live_references, selectors

from observability_stack.configs.load import load
from observability_stack.configs.render.alertmanager import alertmanager_args, alertmanager_yml
from observability_stack.configs.render.common import to_yaml
from observability_stack.configs.render.rules import rule_files

pytestmark = pytest.mark.e2e
WAIT = 60
# Families a running Prometheus or Alertmanager here lacks, with where upstream says why. (Most
# labelled families show up once the process has scraped, sent to an Alertmanager and evaluated
# rules, which the fixture waits for.)
LAZY = {
    # github.com/prometheus/prometheus@v0.316.0 discovery/metrics_refresh.go: a CounterVec by
    # `mechanism`, with a child only for the refresh-based discoverers (DNS, HTTP, cloud APIs), none
    # of which the stack uses (static and Kubernetes discovery); the rule ORs it with
    # prometheus_sd_kubernetes_failures_total.
    "prometheus_sd_refresh_failures_total": "discovery/metrics_refresh.go",
    # github.com/prometheus/node_exporter@v1.12.1 collector/mdadm_linux.go (BuildFQName(namespace, "md",
    # "disks")): const metrics per md array in /proc/mdstat; a host without software RAID (this one)
    # shows none, not even # HELP.
    "node_md_disks": "collector/mdadm_linux.go",
}


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def _query(url: str, expr: str) -> dict:
    try:
        return json.loads(_get(f"{url}/api/v1/query?query={urllib.parse.quote(expr)}"))
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


@pytest.fixture(scope="module")
def exporters(tmp_path_factory):
    """node-exporter, an Alertmanager (prod's config, cluster mode on loopback) and a Prometheus
    scraping both and itself with the rendered jobs, evaluating prod's stack.yml every second."""
    root = tmp_path_factory.mktemp("series")
    started: list[Process] = []
    try:
        ne_port, am_port, am_cluster, prom_port = free_port(), free_port(), free_port(), free_port()
        ne = Process([binary("node_exporter"), f"--web.listen-address=127.0.0.1:{ne_port}"], root / "ne.log", root)
        started.append(ne)

        config = stack_config("prod", **{"observability:secrets": dict(SECRETS)})
        config["observability:prometheus"] = {**config.get("observability:prometheus", {}), "scrape_interval": "1s"}
        config["observability:prometheus"]["evaluation_interval"] = "1s"
        cfg, secrets, _ = load(config, str(ROOT))
        (root / "secrets").mkdir()
        for name, value in SECRETS.items():
            (root / "secrets" / name).write_text(value + "\n")
        (root / "am").mkdir()
        (root / "am" / "alertmanager.yml").write_text(
            to_yaml(alertmanager_yml(cfg, secrets.names(), str(root / "secrets")))
        )
        cluster = [
            ("cluster.listen-address", f"127.0.0.1:{am_cluster}"),
            ("cluster.advertise-address", f"127.0.0.1:{am_cluster}"),
        ]
        am = Process(
            [
                binary("alertmanager"),
                *alertmanager_args(cfg, str(root / "am"), str(root / "am-data"), cluster),
                f"--web.listen-address=127.0.0.1:{am_port}",
            ],
            root / "am.log",
            root,
        )
        started.append(am)

        prom_dir = root / "prometheus"
        (prom_dir / "rules").mkdir(parents=True)
        groups = rule_files(cfg)["stack.yml"]
        for group in groups:
            group.pop("interval", None)
        (prom_dir / "rules" / "stack.yml").write_text(to_yaml({"groups": groups}))
        # The rendered jobs' names, paths and relabelling, pointed at loopback (no pod discovery here).
        targets = {"prometheus": prom_port, "alertmanager": am_port, "node-exporter": ne_port}
        jobs = []
        for job in _rendered_jobs(cfg):
            if job["job_name"] in targets:
                job = {k: v for k, v in job.items() if not k.endswith("_sd_configs") and k != "relabel_configs"}
                job["static_configs"] = [{"targets": [f"127.0.0.1:{targets[job['job_name']]}"]}]
                jobs.append(job)
        doc = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["rules/*.yml"],
            "scrape_configs": jobs,
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
        }
        (prom_dir / "prometheus.yml").write_text(to_yaml(doc))
        prom = prometheus_process(cfg, prom_dir, root / "data", prom_port, root)
        started.append(prom)
        urls = {name: f"http://127.0.0.1:{port}" for name, port in targets.items()}
        for process, url in ((ne, urls["node-exporter"]), (am, urls["alertmanager"] + "/-/ready")):
            process.wait_ready(url, WAIT)
        prom.wait_ready(urls["prometheus"] + "/-/ready", WAIT)
        _settled(urls["prometheus"], prom, sum(len(g["rules"]) for g in groups))
        yield urls, prom, groups
    finally:
        for process in reversed(started):
            process.stop()


def _settled(url: str, prom: Process, count: int) -> None:
    """Every target scraped, the Alertmanager discovered and every rule evaluated twice."""
    wait_until(lambda: len(_query(url, "up == 1")["data"]["result"]) == 3, WAIT, "the targets to be up", prom.tail)
    discovered = "prometheus_notifications_alertmanagers_discovered == 1"
    wait_until(lambda: _query(url, discovered)["data"]["result"], WAIT, "the Alertmanager to be discovered", prom.tail)

    def evaluated():
        rules = [r for g in json.loads(_get(url + "/api/v1/rules"))["data"]["groups"] for r in g["rules"]]
        return len(rules) == count and all(r.get("lastEvaluation", "0001")[:4] != "0001" for r in rules)

    wait_until(evaluated, WAIT, "the rules to evaluate", prom.tail)
    wait_until(
        lambda: _query(url, "rate(prometheus_tsdb_head_samples_appended_total[5s]) > 0")["data"]["result"],
        WAIT,
        "two scrapes",
        prom.tail,
    )


def _rendered_jobs(cfg) -> list[dict]:
    from observability_stack.configs.render.files import service_files

    return yaml.safe_load(service_files(cfg, "prometheus", set())["prometheus.yml"])["scrape_configs"]


def test_names_read_from_node_exporter_prometheus_and_alertmanager_are_in_their_real_metrics(exporters):
    urls, _, _ = exporters
    exposed = {name: exposition_names(_get(url + "/metrics")) for name, url in urls.items()}
    missing = [
        f"{v.ref}: not in the /metrics of {v.exporters} ({', '.join(urls[e] for e in v.exporters.split())})"
        for v in live_references("e2e")
        if v.ref.metric not in LAZY and not any(v.ref.metric in exposed[e] for e in v.exporters.split())
    ]
    assert missing == [], "\n".join(missing)


def test_the_self_monitoring_rules_select_real_series_and_evaluate_cleanly(exporters):
    urls, prom, groups = exporters
    url = urls["prometheus"]
    rules = [r for g in json.loads(_get(url + "/api/v1/rules"))["data"]["groups"] for r in g["rules"]]
    assert len(rules) == sum(len(g["rules"]) for g in groups)
    assert [(r["name"], r["lastError"]) for r in rules if r["health"] != "ok"] == []
    live = {"prometheus", "alertmanager", "node-exporter"}
    empty = []
    for group in groups:
        for rule in group["rules"]:
            assert _query(url, rule["expr"])["status"] == "success", rule
            for sel in selectors(__import__("promql_parser").parse(rule["expr"])):
                jobs = {m.value for m in sel.matchers.matchers if m.name == "job"}
                if not jobs & live or sel.name in LAZY:
                    continue  # Loki, Grafana, promtail...: not running here (their names: catalogues)
                job = next(iter(jobs & live))
                base = f'{sel.name}{{job="{job}"}}'
                found = _query(url, base)["data"]["result"]
                if not found:
                    empty.append(f"{rule.get('alert')}: {base} selects no series")
                    continue
                labels = {m.name for m in sel.matchers.matchers} - {"job", "__name__"}
                absent = [label for label in labels if not any(label in s["metric"] for s in found)]
                if absent:
                    empty.append(f"{rule.get('alert')}: {base} has no series with label(s) {absent}")
    assert empty == [], "\n".join(empty)

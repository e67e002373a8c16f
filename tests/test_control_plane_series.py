"""The local cluster's control plane (tools/engine/cluster.py: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler at the pinned releases) scraped by the pinned Prometheus with
the rendered prod jobs' names and metric relabelling: every name a shipped rule or panel reads from
them is in their real /metrics, and the rule groups that read them evaluate over real series."""

from __future__ import annotations

import json
import ssl
import urllib.parse
import urllib.request

import promql_parser
import pytest
from e2e_helpers import free_port, prometheus_process, wait_until
from engine_helpers import require_engine
from series_names import exposition_names, live_references, scrape_jobs, selectors, stacks

from observability_stack.configs.render.common import to_yaml
from observability_stack.configs.render.rules import rule_files

pytestmark = pytest.mark.engine
WAIT = 90
JOBS = ("apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
EXPORTER = {
    "apiserver": "kube-apiserver",
    "kube-controller-manager": "kube-controller-manager",
    "kube-scheduler": "kube-scheduler",
    "etcd": "etcd",
}
# Families the control plane registers only after activity it has not had here; cited. Empty today.
LAZY: dict[str, str] = {}


def _query(url: str, expr: str) -> dict:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query?query={urllib.parse.quote(expr)}", timeout=5) as r:
            return json.load(r)
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


@pytest.fixture(scope="module")
def control_plane(tmp_path_factory):
    from tools.engine.cluster import LocalCluster

    require_engine()
    ports = {"kube-controller-manager": free_port(), "kube-scheduler": free_port()}
    etcd: dict[str, str] = {}

    class Serving(LocalCluster):
        """The same cluster, with the controller manager and scheduler serving /metrics on loopback
        (cluster.py turns their secure port off), authenticated and authorised by the API server."""

        def _spawn(self, name, args):
            if name in ports:
                args = [a for a in args if a != "--secure-port=0"] + [
                    f"--secure-port={ports[name]}",
                    "--bind-address=127.0.0.1",
                    f"--authentication-kubeconfig={self.kubeconfig}",
                    f"--authorization-kubeconfig={self.kubeconfig}",
                ]
            if name == "etcd":
                etcd["url"] = next(a.split("=", 1)[1] for a in args if a.startswith("--listen-client-urls="))
            super()._spawn(name, args)

    cluster = Serving(tmp_path_factory.mktemp("cluster"))
    started = []
    try:
        cluster.up()
        # One pod for the scheduler to place on a kwok node: its attempt counters (CounterVecs by result,
        # k8s.io/kubernetes@v1.37.2 pkg/scheduler/metrics/metrics.go) have no series before one.
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "series-probe"},
            "spec": {"containers": [{"name": "c", "image": "registry.invalid/none:1"}]},
        }
        status, body = cluster.api("POST", "/api/v1/namespaces/default/pods", pod)
        assert status in (200, 201), body
        pki = cluster.pki
        tls = {"ca_file": str(pki / "ca.crt"), "cert_file": str(pki / "admin.crt"), "key_file": str(pki / "admin.key")}
        api = cluster.server.removeprefix("https://")
        targets = {
            "apiserver": (api, "https", tls),
            "kube-controller-manager": (
                f"127.0.0.1:{ports['kube-controller-manager']}",
                "https",
                {**tls, "insecure_skip_verify": True},
            ),
            "kube-scheduler": (f"127.0.0.1:{ports['kube-scheduler']}", "https", {**tls, "insecure_skip_verify": True}),
            "etcd": (etcd["url"].removeprefix("http://"), "http", None),
        }
        cfg = stacks()["prod"]
        rendered = scrape_jobs(cfg)
        jobs = []
        for name, (address, scheme, tls_config) in targets.items():
            job = {
                k: v
                for k, v in rendered[name].items()
                if not k.endswith("_sd_configs")
                and k not in ("relabel_configs", "authorization", "tls_config", "bearer_token_file")
            }
            job.update(
                static_configs=[{"targets": [address]}],
                scheme=scheme,
                scrape_interval="1s",
                metrics_path=job.get("metrics_path", "/metrics"),
            )
            if tls_config:
                job["tls_config"] = tls_config
            jobs.append(job)
        groups = [
            g
            for g in rule_files(cfg)["cluster.yml"]
            if any(
                m.name == "job" and m.value in JOBS
                for r in g["rules"]
                for s in selectors(promql_parser.parse(r["expr"]))
                for m in s.matchers.matchers
            )
        ]
        for group in groups:
            group.pop("interval", None)
        root = tmp_path_factory.mktemp("prometheus")
        (root / "rules").mkdir()
        (root / "rules" / "cluster.yml").write_text(to_yaml({"groups": groups}))
        doc = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": ["rules/*.yml"],
            "scrape_configs": jobs,
        }
        (root / "prometheus.yml").write_text(to_yaml(doc))
        port = free_port()
        prom = prometheus_process(cfg, root, root / "data", port, root)
        started.append(prom)
        url = f"http://127.0.0.1:{port}"
        prom.wait_ready(url + "/-/ready", WAIT)
        wait_until(
            lambda: len(_query(url, "up == 1")["data"]["result"]) == len(JOBS),
            WAIT,
            "the control plane's targets to be up",
            lambda: prom.tail() + json.dumps(_query(url, "up")),
        )
        wait_until(
            lambda: _query(url, 'scheduler_schedule_attempts_total{job="kube-scheduler"}')["data"]["result"],
            WAIT,
            "the scheduler's first attempt to be scraped",
            prom.tail,
        )
        context = ssl.create_default_context(cafile=tls["ca_file"])
        context.load_cert_chain(tls["cert_file"], tls["key_file"])
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE

        def metrics(job):
            address, scheme, _ = targets[job]
            with urllib.request.urlopen(f"{scheme}://{address}/metrics", context=context, timeout=10) as r:
                return r.read().decode()

        yield url, prom, groups, metrics
    finally:
        for process in started:
            process.stop()
        cluster.down()


def test_names_read_from_the_control_plane_are_in_its_real_metrics(control_plane):
    url, prom, groups, metrics = control_plane
    exposed = {EXPORTER[job]: exposition_names(metrics(job)) for job in JOBS}
    missing = [
        f"{v.ref}: not in the /metrics of {v.exporters} (the local cluster's, Kubernetes v1.37.2 / etcd v3.6.16)"
        for v in live_references("control-plane")
        if v.ref.metric not in LAZY and not any(v.ref.metric in exposed[e] for e in v.exporters.split())
    ]
    assert missing == [], "\n".join(missing)


def test_the_control_plane_rules_select_real_series_and_evaluate_cleanly(control_plane):
    url, prom, groups, _ = control_plane
    count = sum(len(g["rules"]) for g in groups)
    assert count, "no shipped rule reads the control plane's jobs"

    def evaluated():
        rules = [
            r for g in json.load(urllib.request.urlopen(url + "/api/v1/rules"))["data"]["groups"] for r in g["rules"]
        ]
        return (
            rules if len(rules) == count and all(r.get("lastEvaluation", "0001")[:4] != "0001" for r in rules) else None
        )

    rules = wait_until(evaluated, WAIT, "the rules to evaluate", prom.tail)
    assert [(r["name"], r["lastError"]) for r in rules if r["health"] != "ok"] == []
    empty = []
    for group in groups:
        for rule in group["rules"]:
            assert _query(url, rule["expr"])["status"] == "success", rule
            for sel in selectors(promql_parser.parse(rule["expr"])):
                jobs = {m.value for m in sel.matchers.matchers if m.name == "job"} & set(JOBS)
                if not jobs or sel.name in LAZY:
                    continue
                base = f'{sel.name}{{job="{next(iter(jobs))}"}}'
                found = (
                    wait_until(lambda base=base: _query(url, base)["data"]["result"], 10, base, prom.tail)
                    if sel.name != "up"
                    else _query(url, base)["data"]["result"]
                )
                labels = {m.name for m in sel.matchers.matchers} - {"job", "__name__"}
                absent = [label for label in labels if not any(label in s["metric"] for s in found)]
                if absent:
                    empty.append(f"{rule.get('alert')}: {base} has no series with label(s) {absent}")
    assert empty == [], "\n".join(empty)

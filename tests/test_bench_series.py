"""The rule bench's series generator (tools/bench/series.py): selectors, cardinality model, values.
Fast: no Prometheus; the full bench is `make bench`."""

from __future__ import annotations

import re

import pytest

from tools.bench.rules import shipped_groups, write_history
from tools.bench.series import (
    BAD_NAME,
    DEFAULT_SERIES,
    Selector,
    Size,
    build_model,
    example,
    generate_metric,
    satisfying,
    selectors,
    violating,
)

SMALL = Size(nodes=7, pods=40, containers_per_pod=2, namespaces=4, pvcs=5, slo_series=60, replicas={"prometheus": 2})


def _labels(series) -> dict[str, str]:
    return {"__name__": series.name, **dict(series.labels)}


def test_selectors_carry_matchers_and_how_far_back_they_read():
    expr = (
        'sum(rate(a_total{job="x", code=~"5.."}[5m])) / b offset 1h'
        ' or max_over_time(c{d!="e"}[10m:1m]) and predict_linear(f[6h], 60)'
    )
    assert selectors(expr) == [
        Selector("a_total", (("job", "=", "x"), ("code", "=~", "5..")), 300),
        Selector("b", (), 3600),
        Selector("c", (("d", "!=", "e"),), 600),
        Selector("f", (), 21600),
    ]
    assert selectors("vector(1)") == []
    assert Selector("a", (("code", "=~", "5.."),)).matches({"__name__": "a", "code": "503"})
    assert not Selector("a", (("code", "=~", "5.."),)).matches({"__name__": "a", "code": "1503"})  # anchored
    assert Selector("a", (("container", "!=", ""),)).matches({"__name__": "a", "container": "app"})
    assert not Selector("a", (("container", "!=", ""),)).matches({"__name__": "a"})


@pytest.mark.parametrize("pattern", ["5..", "Pending|Unknown", "2|2[.]0", "(?i).*tail.*", "[a-z]+-[0-9]{2}", ".+"])
def test_regex_examples_match_and_violations_do_not(pattern):
    assert re.fullmatch(pattern, example(pattern))
    assert re.fullmatch(pattern, satisfying("=~", pattern))
    other = violating("=~", pattern)
    assert other is not None and not re.fullmatch(pattern, other)
    assert satisfying("!=", "success") == "failed" and violating("!=", "success") == "success"


def test_cardinality_per_family():
    groups = [
        {
            "name": "g",
            "rules": [
                {"alert": "A", "expr": "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < 0.1"},
                {"alert": "B", "expr": 'kube_pod_status_phase{phase=~"Pending|Unknown"} > 0'},
                {"alert": "C", "expr": 'rate(container_cpu_cfs_periods_total{container!=""}[5m]) > 1'},
                {"alert": "D", "expr": 'up{job="kubelet"} == 0 or up{job="prometheus"} == 0 or up{job="etcd"} == 0'},
                {"alert": "E", "expr": "some_new_metric > 1"},
                {"alert": "F", "expr": 'other_new_metric{job="prometheus"} > 1'},
                {"alert": "G", "expr": "kubelet_volume_stats_available_bytes < 1"},
                {"alert": "H", "expr": 'sum(rate(apiserver_request_total{code=~"5.."}[5m])) > 1'},
            ],
        }
    ]
    m = build_model(groups, SMALL).metrics
    count = {name: len(metric.series) for name, metric in m.items()}
    assert count["node_memory_MemAvailable_bytes"] == SMALL.nodes
    assert count["kube_pod_status_phase"] == SMALL.pods * 5
    assert count["container_cpu_cfs_periods_total"] == SMALL.pods * SMALL.containers_per_pod
    assert count["up"] == SMALL.nodes + 2 + SMALL.control_plane
    assert count["some_new_metric"] == DEFAULT_SERIES and m["some_new_metric"].family.label == "unmodelled"
    assert count["other_new_metric"] == 2  # per target of the job it names: the Prometheus replicas
    assert count["kubelet_volume_stats_available_bytes"] == SMALL.pvcs
    assert count["apiserver_request_total"] == SMALL.control_plane * 25 * 8 * 6
    # Joins line up: both node_memory series of a node share job and instance.
    avail = {(s.labels, s.value) for s in m["node_memory_MemAvailable_bytes"].series}
    total = {dict(s.labels)["instance"] for s in m["node_memory_MemTotal_bytes"].series}
    assert {dict(labels)["instance"] for labels, _ in avail} == total
    # Healthy values: 5xx and other failures do not grow, everything else does.
    for s in m["apiserver_request_total"].series:
        assert (s.value == 0) == dict(s.labels)["code"].startswith("5")


def test_slis_are_sized_per_slo_and_histograms_stay_consistent():
    slo_groups = [
        {
            "name": "slo.x",
            "rules": [
                {"record": "slo:bad", "expr": 'sum(rate(app_latency_seconds_bucket{le=~"2|2[.]0"}[5m]))'},
                {"record": "slo:total", "expr": "sum(rate(app_latency_seconds_count[5m]))"},
                {"record": "slo:up", "expr": 'avg(avg_over_time(up{job="app"}[5m]))'},
                {"record": "slo:ratio", "expr": "sum_over_time(slo:bad[1d]) / sum_over_time(slo:total[1d])"},
            ],
        }
    ]
    others = [{"name": "pack", "rules": [{"alert": "A", "expr": "rate(app_requests_total[5m]) > 1"}]}]
    model = build_model(slo_groups + others, SMALL, slo_groups)
    m = model.metrics
    assert len(m["up"].series) == SMALL.slo_series
    buckets = m["app_latency_seconds_bucket"].series
    assert SMALL.slo_series - 13 < len(buckets) <= SMALL.slo_series
    assert any(dict(s.labels)["le"] == "2" for s in buckets)
    instances = {dict(s.labels)["instance"] for s in buckets}
    assert {dict(s.labels)["instance"] for s in m["app_latency_seconds_count"].series} == instances
    assert len(m["app_requests_total"].series) == SMALL.slo_series  # the application, at the SLIs' size
    # Cumulative buckets: +Inf grows as fast as the count.
    one = sorted(instances)[0]
    rates = {dict(s.labels)["le"]: s.value for s in buckets if dict(s.labels)["instance"] == one}
    count = next(s.value for s in m["app_latency_seconds_count"].series if dict(s.labels)["instance"] == one)
    assert rates["+Inf"] == pytest.approx(count) and rates["0.005"] < rates["0.1"] < rates["+Inf"]
    assert "slo:bad" not in m  # recorded, not generated; backfilled since read over a range
    assert sorted(r[0] for r in model.recordings) == ["slo:bad", "slo:total"]
    assert all(r[3] == 86400 and r[2] == 15 for r in model.recordings)


def test_every_shipped_selector_matches_generated_series():
    """A rule whose selector the model cannot satisfy would be benched over nothing: fail here."""
    files, replicas = shipped_groups()
    groups = [g for gs in files.values() for g in gs]
    size = Size(nodes=3, pods=10, pvcs=3, deployments=3, jobs=3, slo_series=40, replicas=replicas)
    model = build_model(groups, size, files.get("slo.yml", []))
    recorded = {r["record"] for g in groups for r in g["rules"] if "record" in r}
    unmatched = []
    for metric in model.metrics.values():
        labels = [_labels(s) for s in metric.series]
        assert metric.name not in recorded
        for sel in metric.selectors:
            if not any(sel.matches(series) for series in labels):
                unmatched.append(sel.promql())
    assert unmatched == []
    assert {"up", "kube_pod_status_phase", "node_filesystem_avail_bytes"} <= set(model.metrics)
    # The SLOs' long windows read recordings over days: those are backfilled.
    assert max(history for *_, history in model.recordings) >= 7 * 86400


def test_history_covers_each_series_longest_range(tmp_path):
    groups = [
        {
            "name": "g",
            "rules": [
                {"alert": "A", "expr": 'predict_linear(node_filesystem_avail_bytes{mountpoint="/"}[6h], 3600) < 0'},
                {"alert": "B", "expr": "node_filesystem_avail_bytes < 1"},
                {"alert": "C", "expr": "increase(kube_pod_container_status_restarts_total[15m]) > 2"},
            ],
        }
    ]
    model = build_model(groups, Size(nodes=2, pods=3, slo_series=10))
    fs = model.metrics["node_filesystem_avail_bytes"]
    histories = {dict(s.labels)["mountpoint"]: fs.history(s) for s in fs.series}
    assert histories["/"] == 21600 and histories["/run"] == 0
    end = 1_800_000_000
    series, samples = write_history(tmp_path / "h.om", model, origin=end - 86400, end=end)
    lines = (tmp_path / "h.om").read_text().splitlines()
    assert lines[-1] == "# EOF" and len(lines) == samples + 1 and series == len(model.series)
    stamps = [int(line.rsplit(" ", 1)[1]) for line in lines[:-1]]
    assert max(stamps) < end and min(stamps) <= end - 21600
    restarts = [line for line in lines if line.startswith("kube_pod_container_status_restarts_total")]
    assert restarts and all(line.split(" ")[1] == "0" for line in restarts)  # restarts do not grow
    assert BAD_NAME.search("kube_pod_container_status_restarts_total")


def test_generate_metric_adds_axis_values_selectors_need():
    sel = selectors('kube_node_status_condition{condition="Ready", status="true"} == 0')
    metric = generate_metric("kube_node_status_condition", sel, SMALL)
    assert len(metric.series) == SMALL.nodes * 5 * 3
    ready = [s for s in metric.series if sel[0].matches(_labels(s))]
    assert len(ready) == SMALL.nodes and all(s.value == 1 for s in ready)  # Ready: healthy
    pressure = [s for s in metric.series if dict(s.labels)["condition"] == "DiskPressure"]
    assert sorted((dict(s.labels)["status"], s.value) for s in pressure[:3]) == [
        ("false", 1.0),
        ("true", 0.0),
        ("unknown", 0.0),
    ]

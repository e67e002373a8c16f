"""Every metric a shipped rule or dashboard panel reads, held to the upstream exposition of what
exports it (tests/series_names.py; the catalogues and their sources in tests/fixtures/expositions/).
Names of the exporters this machine runs are checked against their real /metrics by
tests/test_series_names_e2e.py (node-exporter, Prometheus, Alertmanager) and
tests/test_control_plane_series.py (the local cluster's API server, controller manager, scheduler, etcd)."""

from __future__ import annotations

import pytest
from series_names import (
    KSM,
    LIVE_PREFIXES,
    catalogue,
    judge,
    recorded,
    scrape_jobs,
    selector_refs,
    stacks,
    static_catalogues,
    verdicts,
)


def test_every_name_a_rule_or_panel_reads_is_in_an_upstream_exposition():
    problems = sorted({v.problem for v in verdicts() if not v.owner})
    assert problems == [], "\n".join(problems)


def test_names_left_to_the_running_exporters_have_a_test_that_starts_them():
    owners = {v.owner for v in verdicts()}
    assert owners <= {"recorded", "pack", "scrape", "catalogue", "live:e2e", "live:control-plane"}
    assert {test for test, _ in LIVE_PREFIXES.values()} == {"e2e", "control-plane"}


@pytest.mark.parametrize("file", static_catalogues())
def test_each_catalogue_cites_its_upstream_source(file):
    cat = catalogue(file)
    assert "source:" in cat.header and "@" in cat.source, file
    assert len(cat.families) >= 20 or "probes" in file, file
    assert all(
        kind in {"counter", "gauge", "histogram", "summary", "untyped", "info", "stateset"}
        for kind, _ in cat.families.values()
    ), file


@pytest.mark.parametrize(
    ("expr", "metric", "checked"),
    [
        # A job the catalogue of which is the kubelet's.
        ('kubelet_running_podz{job="kubelet"} > 100', "kubelet_running_podz", "kubelet-v1.37.2-metrics.txt"),
        # No job: every catalogue is searched, and no running exporter has the prefix.
        ("kube_pod_status_phasee == 1", "kube_pod_status_phasee", "in no upstream exposition"),
        # A kube-state-metrics name from a collector the stack does not run.
        ("kube_ingress_info", "kube_ingress_info", KSM),
    ],
)
def test_a_misspelled_name_fails_naming_the_rule_the_metric_and_the_catalogue(expr, metric, checked):
    cfg = stacks()["prod"]
    where = "rule cluster.yml / kubernetes.kubelet / KubeletTypo"
    (ref,) = selector_refs("prod", where, expr)
    verdict = judge(ref, cfg, set(scrape_jobs(cfg)), recorded(cfg))
    assert verdict.owner == ""
    assert where in verdict.problem and metric in verdict.problem and checked in verdict.problem, verdict.problem


def test_a_recorded_name_no_rule_records_fails():
    cfg = stacks()["dev"]
    (ref,) = selector_refs("dev", "panel SLOs/slos.json / 'Burn rate'", "slo:sli_error:ratio_rate4h > 1")
    verdict = judge(ref, cfg, set(scrape_jobs(cfg)), recorded(cfg))
    assert verdict.owner == "" and "no rule of this stack records slo:sli_error:ratio_rate4h" in verdict.problem

"""Content packs (configs/packs.py): the package's defaults are application-agnostic, and an
application's content arrives from a pack the stack config names, under the stack config's own values."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load_sections
from observability_stack.configs.models.stack import StackConfig
from observability_stack.configs.packs import merge, provided_by_packs
from observability_stack.configs.render.files import all_files
from tests.prsm_pack import PACK, ROOT, prsm_config


def _pack(root, name="app", pack=None, rules=None, dashboards=None):
    directory = root / name
    directory.mkdir()
    (directory / "pack.yaml").write_text(yaml.safe_dump(pack or {}))
    for file, groups in (rules or {}).items():
        (directory / "rules").mkdir(exist_ok=True)
        (directory / "rules" / file).write_text(yaml.safe_dump(groups))
    for folder, boards in (dashboards or {}).items():
        (directory / "dashboards" / folder).mkdir(parents=True)
        for file, board in boards.items():
            (directory / "dashboards" / folder / file).write_text(json.dumps(board))
    return name


def _problems(sections, root) -> str:
    with pytest.raises(ConfigError) as info:
        load_sections(sections, project_root=str(root))
    return str(info.value)


def test_an_empty_config_renders_nothing_of_any_application():
    cfg, _, _ = load_sections({})
    tree = "\n".join(text for files in all_files(cfg, set()).values() for text in files.values())
    for word in ("prsm", "company.com", "ftns", "wiki."):
        assert word not in tree.lower(), word
    assert cfg.prometheus.scrape_jobs == [] and cfg.slos == [] and cfg.prometheus.rule_files == {}
    # The stack's own monitoring still ships: its rules, and the dashboards of what runs.
    rules = all_files(cfg, set())["prometheus"]
    assert {"rules/stack.yml", "rules/hosts.yml"} <= set(rules) and "rules/slo.yml" not in rules


def test_the_stack_config_goes_over_its_packs_and_a_later_pack_over_an_earlier(tmp_path):
    first = _pack(
        tmp_path,
        "first",
        {
            "prometheus": {"scrape_interval": "30s", "retention": "10d"},
            "alertmanager": {"group_wait": "20s", "repeat_interval": "2h"},
        },
    )
    second = _pack(tmp_path, "second", {"prometheus": {"retention": "20d"}})
    cfg, _, _ = load_sections(
        {"content_packs": [first, second], "alertmanager": {"group_wait": "5s"}}, project_root=str(tmp_path)
    )
    assert (cfg.prometheus.scrape_interval, cfg.prometheus.retention) == ("30s", "20d")
    assert (cfg.alertmanager.group_wait, cfg.alertmanager.repeat_interval) == ("5s", "2h")
    assert merge({"a": [1, 2], "b": {"c": 1, "d": 2}}, {"a": [3], "b": {"d": 4}}) == {"a": [3], "b": {"c": 1, "d": 4}}


def test_a_packs_rule_files_and_dashboard_folders_are_rendered_under_their_names(tmp_path):
    rule = {"alert": "AppDown", "expr": 'up{job="app"} == 0', "for": "5m", "labels": {"severity": "warning"}}
    board = {"title": "App", "uid": "app-overview", "panels": []}
    name = _pack(
        tmp_path,
        rules={"app.yml": {"groups": [{"name": "app", "rules": [rule]}]}},
        dashboards={"App": {"a.json": board}},
    )
    cfg, _, _ = load_sections({"content_packs": [name]}, project_root=str(tmp_path))
    files = all_files(cfg, set(), str(tmp_path))
    assert yaml.safe_load(files["prometheus"]["rules/app.yml"]) == {"groups": [{"name": "app", "rules": [rule]}]}
    assert json.loads(files["grafana"]["dashboards/app/a.json"]) == board
    providers = yaml.safe_load(files["grafana"]["provisioning/dashboards/dashboards.yaml"])["providers"]
    assert {p["folder"] for p in providers} >= {"App", "Observability Stack"}


@pytest.mark.parametrize(
    "build, path, message",
    [
        (lambda root: "missing", "content_packs[0]", "is not a content pack"),
        (lambda root: _pack(root, pack={"secrets": {"x": "y"}}), "content_packs[0]", "a pack cannot set `secrets`"),
        (lambda root: _pack(root, pack={"content_packs": ["x"]}), "content_packs[0]", "cannot set `content_packs`"),
        (lambda root: _pack(root, rules={"a.yml": {"rules": []}}), "content_packs[0]", "only `groups:`"),
        (
            lambda root: _pack(
                root, rules={"stack.yml": {"groups": [{"name": "x", "rules": [{"record": "a", "expr": "1"}]}]}}
            ),
            "prometheus.rule_files.stack.yml",
            "a rule file the stack writes itself",
        ),
        (
            lambda root: _pack(
                root, rules={"a.yml": {"groups": [{"name": "x", "rules": [{"alert": "A", "expr": "up =="}]}]}}
            ),
            "prometheus.rule_files.a.yml[0].rules[0].expr",
            "",
        ),
        (
            lambda root: _pack(root, pack={"alertmanager": {"routes": [{"receiver": "nobody"}]}}),
            "alertmanager.routes[0].receiver",
            "unknown receiver 'nobody'",
        ),
        (
            lambda root: _pack(root, dashboards={"SLOs": {"a.json": {"title": "A", "uid": "a"}}}),
            "grafana.dashboard_folders.SLOs",
            "a folder the stack provisions itself",
        ),
        (
            lambda root: _pack(root, dashboards={"App": {"a.json": {"title": "A"}}}),
            "grafana.dashboard_folders.App",
            "no uid",
        ),
    ],
    ids=[
        "missing",
        "secrets",
        "nested packs",
        "not a rule file",
        "shipped file name",
        "bad PromQL",
        "unknown receiver",
        "shipped folder",
        "dashboard without uid",
    ],
)
def test_a_bad_pack_is_a_config_error_with_its_path(tmp_path, build, path, message):
    text = _problems({"content_packs": [build(tmp_path)]}, tmp_path)
    assert re.search(rf"observability:{re.escape(path)}: [^\n]*{re.escape(message)}", text), text


def test_a_pack_must_be_applied_a_stack_config_built_without_it_is_refused(tmp_path):
    from observability_stack.configs.validate import cross_check

    config = StackConfig.model_validate({"content_packs": [PACK]})
    errors, _ = cross_check(config, set(), str(ROOT))
    assert any(path == "content_packs" and "built without them" in message for path, message in errors)
    assert cross_check(prsm_config(), set(), str(ROOT))[0] == []


def test_which_paths_a_pack_provided():
    provided = frozenset({"alertmanager.receivers", "alertmanager.smtp.from"})
    assert provided_by_packs("alertmanager.receivers[2].slack.webhook_secret", provided)
    assert not provided_by_packs("alertmanager.receivers_extra", provided)
    assert not provided_by_packs("alertmanager.smtp.auth_password_secret", provided)


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("wiki/{runbook}", "not an http(s) URL"),
        ("https://wiki.example.com/{group}", "has no {runbook}"),
        ("https://wiki.example.com/{alert}", "not a pattern of {group} and {runbook}"),
        ("https://wiki.example.com/{runbook", "not a pattern of {group} and {runbook}"),
    ],
)
def test_a_bad_runbook_pattern_is_refused(pattern, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_sections({"common": {"runbook_url_pattern": pattern}})


def test_the_runbook_pattern_links_every_shipped_alert_and_only_then():
    slo = {
        "name": "up",
        "description": "d",
        "objective": 0.999,
        "window": "30d",
        "sli": {"kind": "availability", "selector": 'up{job="a"}'},
    }
    pattern = "https://runbooks.example.com/{group}/{runbook}"
    for with_pattern in (True, False):
        common = {"runbook_url_pattern": pattern} if with_pattern else {}
        cfg, _, _ = load_sections({"common": common, "slos": [slo]})
        files = all_files(cfg, set())["prometheus"]
        alerts = [
            rule
            for name in ("rules/stack.yml", "rules/hosts.yml", "rules/slo.yml")
            for group in yaml.safe_load(files[name])["groups"]
            for rule in group["rules"]
            if "alert" in rule
        ]
        links = {rule["alert"]: rule["annotations"].get("runbook_url") for rule in alerts}
        if not with_pattern:
            assert set(links.values()) == {None}
            continue
        assert links["PrometheusDown"] == "https://runbooks.example.com/observability/prometheusdown"
        assert links["SLOErrorBudgetBurnFast"] == "https://runbooks.example.com/slo/up"
        assert None not in links.values()


def test_smtp_needs_a_sender_once_a_smarthost_is_set():
    with pytest.raises(ConfigError, match=r"alertmanager.smtp: `from` is not set"):
        load_sections({"alertmanager": {"smtp": {"smarthost": "smtp.example.com:587"}}})
    cfg, _, _ = load_sections(
        {"alertmanager": {"smtp": {"smarthost": "smtp.example.com:587", "from": "am@example.com"}}}
    )
    assert cfg.alertmanager.smtp.from_ == "am@example.com" and cfg.alertmanager.smtp.auth_username is None


def test_the_prsm_pack_is_what_this_repositorys_stacks_load():
    from conftest import stack_config

    from observability_stack.configs.load import split_config

    for stack in ("dev", "prod"):
        assert split_config(stack_config(stack))[0]["content_packs"] == [PACK]
    cfg = prsm_config()
    assert [job.job_name for job in cfg.prometheus.scrape_jobs] == ["prsm-api", "prsm-metrics-exporter"]
    assert list(cfg.prometheus.rule_files) == ["prsm.yml"] and len(cfg.slos) == 4
    assert cfg.grafana.dashboard_folders == {"PRSM": f"{PACK}/dashboards/PRSM"}

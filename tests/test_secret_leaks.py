"""No secret value in a repr, str, log line or exception message of the public API.

Each secret has a value no config, name or message could contain by chance; every text the API hands
a person (a repr in a log line, a traceback's exception, a warning) is searched for it."""

from __future__ import annotations

import json
import logging
import traceback

import pulumi
import pytest
from conftest import stack_config
from pulumi.runtime import set_all_config

import observability_stack as obs
from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load_sections
from tools.harness.mockrun import close_event_loop, run_program

VALUES = {
    "slack_webhook_url": "https://hooks.slack.example/T0/B0/leak-slack-3f1c",
    "pagerduty_routing_key": "leak-pagerduty-9d27",
    "grafana_admin_password": "leak-grafana-51ae",
    # Set but used by nothing: the warning about it names it, never its value.
    "unused_token": "leak-unused-77b0",
}
ONLY = {
    "grafana": {"enabled": False},
    "loki": {"enabled": False},
    "promtail": {"enabled": False},
    "jaeger": {"enabled": False},
}


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for name, value in VALUES.items():
            assert value not in text, f"the value of {name} leaks in:\n{text}"


@pytest.mark.parametrize(
    "secrets",
    [
        pytest.param(dict(VALUES), id="by-name"),
        pytest.param({k: pulumi.Output.secret(v) for k, v in VALUES.items()}, id="by-output"),
        pytest.param(obs.Secrets(VALUES), id="as-secrets"),
    ],
)
def test_stack_args_print_names_never_values(secrets):
    args = obs.StackArgs(config=ONLY, secrets=secrets)
    _assert_clean(repr(args), str(args), f"{args}", repr([args]), repr({"args": args}))
    assert "slack_webhook_url" in repr(args)  # what is set stays visible, for debugging


def test_stack_args_from_the_stack_file_print_names_never_values():
    config = stack_config("prod", **{"observability:secrets": dict(VALUES)})
    set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
    try:
        args = obs.StackArgs.from_pulumi_config()
    finally:
        set_all_config({})
    assert set(VALUES) <= set(args.secrets)
    _assert_clean(repr(args), str(args))


def test_secrets_and_loaded_config_print_names_never_values():
    cfg, secrets, warnings = load_sections(ONLY, VALUES)
    _assert_clean(repr(secrets), str(secrets), repr(cfg), *warnings)
    assert any("unused_token" in w for w in warnings), warnings


def test_a_bad_config_fails_without_the_secret_values():
    bad = {**ONLY, "prometheus": {"retention": "forever"}, "alertmanager": {"receivers": [{"name": 3}]}}
    with pytest.raises(ConfigError) as raised:
        load_sections(bad, VALUES)
    _assert_clean(str(raised.value), repr(raised.value), "".join(traceback.format_exception(raised.value)))


def test_a_program_logs_and_fails_without_the_secret_values(capfd, caplog):
    caplog.set_level(logging.DEBUG)  # the mocks' engine sends pulumi.log to the root logger
    config = {f"observability:{k}": v for k, v in ONLY.items()}
    run_program({**config, "observability:secrets": dict(VALUES)})
    with pytest.raises(Exception) as raised:
        run_program({**config, "observability:prometheus": {"retention": "x"}, "observability:secrets": VALUES})
    close_event_loop()
    out, err = capfd.readouterr()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "unused_token" in logged  # the warnings were logged, and searched
    _assert_clean(out, err, logged, str(raised.value), "".join(traceback.format_exception(raised.value)))

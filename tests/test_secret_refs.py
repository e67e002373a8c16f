"""A secret reference is declared once, on its model field (configs/models/secret.py): the walker
finds each with its path, its service and whether the config wrote it; the warnings, the files each
service receives and the `*_file` fields its config says are all derived from that. A toy field
declared on a model subclass, with no other edit, is warned about, delivered and rendered."""

from __future__ import annotations

import textwrap
from typing import Annotated

import pytest
import yaml

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load_sections
from observability_stack.configs.models.alertmanager import Receiver, SlackConfig
from observability_stack.configs.models.secret import SecretRef
from observability_stack.configs.models.stack import stack_model
from observability_stack.configs.render.files import all_files
from observability_stack.configs.secret_walk import references
from tests.prsm_pack import PACK_CONFIG, prsm_config
from tools.harness.mockrun import run_program

CONTAINER = "docker:index/container:Container"
PACK_SECTIONS = {"content_packs": PACK_CONFIG["observability:content_packs"]}


class SlackWithAppToken(SlackConfig):
    """A toy: a second secret on an existing integration, declared here and nowhere else."""

    app_token_secret: Annotated[str, SecretRef(key="app_token_file")] = "slack_app_token"


def toy_sections(**slack) -> dict:
    receiver = Receiver(name="default", slack=SlackWithAppToken(webhook_secret="hook", channel="#c", **slack))
    return {"alertmanager": {"receivers": [receiver], "routes": []}}


def _refs(sections: dict) -> dict[str, tuple[str, str, bool]]:
    config = stack_model().model_validate(sections)  # the walk needs a valid config, not the secrets
    return {ref.path: (ref.name, ref.service, ref.written) for ref in references(config)}


TOKEN = {"bearer_token_secret": "t"}


def test_every_reference_with_its_path_service_and_origin():
    # The PRSM pack's receivers are shipped content, not written config: loaded without their secrets,
    # they only warn (prsm_config would raise otherwise).
    shipped = {ref.path: (ref.name, ref.service, ref.written) for ref in references(prsm_config())}
    assert shipped["alertmanager.receivers[1].pagerduty.routing_key_secret"] == (
        "pagerduty_routing_key",
        "alertmanager",
        False,
    )
    assert shipped["alertmanager.smtp.auth_password_secret"] == ("smtp_password", "alertmanager", False)
    assert shipped["grafana.admin_password_secret"] == ("grafana_admin_password", "grafana", False)
    # S3 keys only with S3 storage, and then they are Loki's.
    assert not any(path.startswith("loki.") for path in shipped)
    own = _refs(
        {
            "alertmanager": {
                "receivers": [{"name": "default", "webhook": {"url": "https://w.example.com", **TOKEN}}],
                "routes": [],
                "deadmans_switch": {"url": "https://hc.example.com", "bearer_token_secret": "hc"},
            },
            "loki": {"storage": {"type": "s3", "s3": {"bucket": "logs"}}},
        }
    )
    assert own["alertmanager.receivers[0].webhook.bearer_token_secret"] == ("t", "alertmanager", True)
    assert own["alertmanager.deadmans_switch.bearer_token_secret"] == ("hc", "alertmanager", True)
    assert own["loki.storage.s3.access_key_secret"] == ("loki_s3_access_key_id", "loki", False)


def test_a_receiver_the_stack_file_writes_over_a_pack_is_written():
    receivers = prsm_config().alertmanager.receivers
    written = [r.model_dump(by_alias=True, exclude_none=True) for r in receivers]
    with pytest.raises(ConfigError) as info:
        load_sections({**PACK_SECTIONS, "alertmanager": {"receivers": written}})
    assert "alertmanager.receivers[1].pagerduty.routing_key_secret: secret 'pagerduty_routing_key' is not set" in str(
        info.value
    )
    # The pack's routes still apply over the written receivers; only what was written is refused.
    cfg, _, warnings = load_sections(PACK_SECTIONS)
    assert any("pagerduty_routing_key" in w and "left out" in w for w in warnings) and cfg.alertmanager.routes


def test_a_toy_secret_field_is_warned_about_refused_and_left_out_when_unset():
    # Its shipped default unset: a warning, and the integration is left out, as the Slack URL's is.
    config, secrets, warnings = load_sections(toy_sections(), {"hook": "https://hooks.example.com/x"})
    assert (
        "observability:alertmanager.receivers[0].slack.app_token_secret: secret 'slack_app_token' is not set, "
        "so that integration is left out (pulumi config set --secret --path "
        "'observability:secrets.slack_app_token' ...)"
    ) in warnings
    rendered = yaml.safe_load(all_files(config, secrets.names())["alertmanager"]["alertmanager.yml"])
    assert "slack_configs" not in rendered["receivers"][0]
    # A name the config writes itself is wanted: unset, it is an error with its path.
    with pytest.raises(ConfigError) as error:
        load_sections(toy_sections(app_token_secret="mine"), {"hook": "https://hooks.example.com/x"})
    assert "alertmanager.receivers[0].slack.app_token_secret: secret 'mine' is not set" in str(error.value)


def test_a_toy_secret_field_is_delivered_and_rendered(tmp_path):
    values = {"hook": "https://hooks.example.com/x", "slack_app_token": "xapp-toy-value"}
    config, secrets, warnings = load_sections(toy_sections(), values)
    assert not [w for w in warnings if "slack_app_token" in w]  # referenced: not taken for a misspelling
    rendered = yaml.safe_load(all_files(config, secrets.names())["alertmanager"]["alertmanager.yml"])
    slack = rendered["receivers"][0]["slack_configs"][0]
    assert slack["app_token_file"] == "/run/secrets/alertmanager/slack_app_token"
    assert slack["api_url_file"] == "/run/secrets/alertmanager/hook"

    # The component mounts what the file points at, and only Alertmanager gets it.
    program = textwrap.dedent(
        f"""
        import sys
        import observability_stack as obs
        toy = sys.modules[{__name__!r}]  # this test module: the toy model is defined once
        config = obs.StackConfig.model_validate(toy.toy_sections())
        stack = obs.ObservabilityStack("obs", obs.StackArgs(config=config, secrets={values!r}))
        """
    )
    (tmp_path / "__main__.py").write_text(program)
    run = run_program({}, program=tmp_path / "__main__.py")
    spec = run.namespace["stack"].services["alertmanager"].spec
    assert sorted(spec.secret_files) == ["hook", "slack_app_token"]
    uploads = [u["file"] for c in run.of_type(CONTAINER) for u in c.inputs.get("uploads", [])]
    assert "/run/secrets/alertmanager/slack_app_token" in uploads
    assert [f for f in uploads if f.endswith("/slack_app_token")] == ["/run/secrets/alertmanager/slack_app_token"]
    assert "xapp-toy-value" not in repr([r.inputs for r in run.records])

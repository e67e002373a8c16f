"""`alertmanager` section: routing tree, receivers, time intervals, inhibitions."""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated

import re2
from pydantic import ConfigDict, Field, field_validator, model_validator

from ..registry import ServiceFacts, service
from .base import Duration, Int, Model
from .expressions import GroupBy, LabelNames, NotificationTemplate
from .secret import SecretRef
from .service import Bytes, Image, RetainedService

# Alertmanager's matcher syntax: label (bare, or quoted for UTF-8 names), operator, quoted or bare value.
_MATCHER = re.compile(
    r'^\s*(?:[a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)+")\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^"\s,{}]*)\s*$'
)
_GO_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|[abfnrtv\\'\"])")
_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


def _go_unquote(quoted: str) -> str:
    """A Go double-quoted string's value (strconv.Unquote), as Alertmanager reads a quoted matcher value."""

    def escape(match: re.Match) -> str:
        code = match.group(0)[1:]
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        if code[0].isdigit():
            return chr(int(code, 8))
        return _SIMPLE_ESCAPES[code]

    return _GO_ESCAPE.sub(escape, quoted[1:-1])


_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _http_url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def _matchers(value: list[str]) -> list[str]:
    for matcher in value:
        match = _MATCHER.match(matcher)
        if not match:
            raise ValueError(f'{matcher!r} is not a matcher (e.g. severity="critical")')
        operator, raw = match.groups()
        if operator in ("=~", "!~"):
            pattern = _go_unquote(raw) if raw.startswith('"') else raw
            try:
                # Alertmanager compiles Go regexps (RE2 syntax), anchored: no lookarounds, no backreferences.
                re2.compile(f"^(?:{pattern})$", _RE2_OPTIONS)
            except re2.error as error:
                reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
                raise ValueError(
                    f"{matcher!r}: the regular expression does not compile (RE2 syntax): {reason}"
                ) from None
    return value


class SlackConfig(Model):
    # Name of the entry in `observability:secrets` holding the webhook URL.
    webhook_secret: Annotated[str, SecretRef(key="api_url_file")]
    channel: str
    title: NotificationTemplate | None = None
    text: NotificationTemplate | None = None
    color: str | None = None
    send_resolved: bool = True

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if not re.match(r"^[#@][\w.\-]{1,80}$", value):
            raise ValueError(f"{value!r} is not a Slack channel (#name or @user)")
        return value


class PagerDutyConfig(Model):
    routing_key_secret: Annotated[str, SecretRef(key="routing_key_file")]
    severity: str = "critical"
    description: NotificationTemplate | None = None
    details: dict[str, NotificationTemplate] = Field(default_factory=dict)
    send_resolved: bool = True
    # Events API endpoint; unset means Alertmanager's default (PagerDuty US). Set for the EU service
    # (https://events.eu.pagerduty.com/v2/enqueue) or a local stand-in in tests.
    url: str | None = None

    _check_url = field_validator("url")(classmethod(lambda cls, v: _http_url(v)))


class EmailConfig(Model):
    to: str
    subject: NotificationTemplate | None = None
    body: NotificationTemplate | None = None
    send_resolved: bool = False

    @field_validator("to")
    @classmethod
    def _address(cls, value: str) -> str:
        if not re.match(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+(,\s*[^@\s,]+@[^@\s,]+\.[^@\s,]+)*$", value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value


class WebhookConfig(Model):
    # Plain config: `url_file` arrived after Alertmanager 0.25, and the config must load in both.
    # Put a token in `bearer_token_secret` (sent as an Authorization header), not in the URL.
    url: str
    bearer_token_secret: Annotated[
        str | None,
        SecretRef(
            key="credentials_file",
            essential=False,
            warning="secret {name!r} is not set: the webhook is called without it ({hint})",
        ),
    ] = None
    send_resolved: bool = True

    _check_url = field_validator("url")(classmethod(lambda cls, v: _http_url(v)))


class DeadmansSwitch(WebhookConfig):
    # The Watchdog's webhook: the same fields, but an unset token has its own message (the heartbeat
    # is what tells the outside world the alert path works).
    bearer_token_secret: Annotated[
        str | None,
        SecretRef(
            key="credentials_file",
            essential=False,
            error="secret {name!r} is not set: the heartbeat would be sent without it ({hint})",
        ),
    ] = None


class Receiver(Model):
    name: str
    slack: SlackConfig | None = None
    pagerduty: PagerDutyConfig | None = None
    email: EmailConfig | None = None
    webhook: WebhookConfig | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a valid receiver name")
        return value


class Route(Model):
    receiver: str
    matchers: list[str] = Field(default_factory=list)
    continue_: bool = Field(False, alias="continue")
    group_by: GroupBy | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    active_time_intervals: list[str] = Field(default_factory=list)
    mute_time_intervals: list[str] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)

    model_config = ConfigDict(**Model.model_config, populate_by_name=True)
    _check_matchers = field_validator("matchers")(classmethod(lambda cls, v: _matchers(v)))


class TimeRange(Model):
    start_time: str
    end_time: str

    @field_validator("start_time", "end_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", value):
            raise ValueError(f"{value!r} is not HH:MM")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.start_time >= self.end_time:  # zero-padded HH:MM compares as text
            raise ValueError(
                f"start_time {self.start_time} is not before end_time {self.end_time} (Alertmanager "
                "refuses it; split a range across midnight in two: 22:00-24:00 and 00:00-06:00)"
            )
        return self


_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def _range(item: str, member) -> tuple[int, int]:
    """Alertmanager's "a:b" or "a" (timeinterval.stringableRangeFromString), each side by `member`."""
    parts = item.lower().split(":")
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"{item!r} is not a value or a start:end range")
    begin, end = member(parts[0]), member(parts[-1])
    return begin, end


def _ordered(value: list[str], member, backwards: str) -> list[str]:
    """Each item a value or a start:end range of `member`s; a range whose end comes first is refused."""
    for item in value:
        begin, end = _range(item, member)
        if begin > end:
            raise ValueError(f"{item!r}: {backwards}")
    return value


def _number(text: str) -> int:
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError(f"{text!r} is not a number")
    return int(text)


class TimeSpec(Model):
    times: list[TimeRange] = Field(default_factory=list)
    weekdays: list[str] = Field(default_factory=list)
    days_of_month: list[str] = Field(default_factory=list)
    months: list[str] = Field(default_factory=list)
    years: list[str] = Field(default_factory=list)
    location: str | None = None

    @field_validator("location")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and value != "Local":
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not an IANA time zone (e.g. America/New_York)") from None
        return value

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[str]) -> list[str]:
        def day(text: str) -> int:
            if text not in _WEEKDAYS:
                raise ValueError(f"{text!r} is not a weekday (e.g. monday:friday)")
            return _WEEKDAYS.index(text)

        # Alertmanager loads it, but a range that runs backwards matches no day at all.
        return _ordered(value, day, "runs backwards (the week starts on sunday) and would match no day")

    @field_validator("days_of_month")
    @classmethod
    def _days_of_month(cls, value: list[str]) -> list[str]:
        for item in value:
            begin, end = _range(item, _number)
            for day in (begin, end):
                if day == 0 or not -31 <= day <= 31:
                    raise ValueError(f"{item!r}: {day} is not a day of the month (1 to 31, or -31 to -1 from the end)")
            if begin < 0 < end:
                raise ValueError(f"{item!r}: the end day must be negative if the start day is")
            if (28 + begin if begin < 0 else begin) > (28 + end if end < 0 else end):
                raise ValueError(f"{item!r}: the end day is always before the start day")
        return value

    @field_validator("months")
    @classmethod
    def _months(cls, value: list[str]) -> list[str]:
        def month(text: str) -> int:
            if text in _MONTHS:
                return _MONTHS.index(text) + 1
            number = _number(text) if re.fullmatch(r"\d+", text) else 0
            if not 1 <= number <= 12:
                raise ValueError(f"{text!r} is not a month (january to december, or 1 to 12)")
            return number

        return _ordered(value, month, "the end month is before the start month")

    @field_validator("years")
    @classmethod
    def _years(cls, value: list[str]) -> list[str]:
        return _ordered(value, _number, "the end year is before the start year")


class TimeInterval(Model):
    name: str
    time_intervals: list[TimeSpec] = Field(min_length=1)


class InhibitRule(Model):
    source_matchers: list[str] = Field(min_length=1)
    target_matchers: list[str] = Field(min_length=1)
    equal: LabelNames = Field(default_factory=list)

    _check = field_validator("source_matchers", "target_matchers")(classmethod(lambda cls, v: _matchers(v)))


class Smtp(Model):
    # No default host: an example one can never deliver, and every failed send counts in
    # alertmanager_notifications_failed_total, which fires the stack's own AlertmanagerNotificationsFailing.
    # E-mail integrations are left out (with a warning) until a smarthost is set.
    smarthost: str | None = None
    # Required with a smarthost: the sender address is the mail domain's, not one the package can guess.
    from_: str | None = Field(None, alias="from")
    auth_username: str | None = None
    auth_password_secret: Annotated[
        str | None,
        SecretRef(
            key="smtp_auth_password_file",
            essential=False,
            needed=lambda alertmanager: alertmanager.sends_email and alertmanager.smtp.auth_username is not None,
            error="secret {name!r} is not set; e-mail is sent without SMTP authentication",
            warning="secret {name!r} is not set; e-mail is sent without SMTP authentication",
        ),
    ] = "smtp_password"
    require_tls: bool = True

    model_config = ConfigDict(**Model.model_config, populate_by_name=True)

    @field_validator("smarthost")
    @classmethod
    def _hostport(cls, value: str | None) -> str | None:
        if value is None:
            return value
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"{value!r} is not host:port with a port in 1-65535")
        return value

    @model_validator(mode="after")
    def _sender(self) -> Smtp:
        if self.smarthost is not None and self.from_ is None:
            raise ValueError("`from` is not set: a smarthost needs the sender address its mail goes out as")
        return self


def _default_inhibitions() -> list[InhibitRule]:
    return [
        InhibitRule(
            source_matchers=['severity="critical"'],
            target_matchers=['severity="warning"'],
            equal=["alertname", "job", "instance"],
        )
    ]


DEADMANS_SWITCH = "deadmans-switch"


@service(
    "alertmanager",
    ServiceFacts(
        port=9093,
        extra_ports={"cluster": 9094},
        config_dir="/etc/alertmanager",
        data_dir="/alertmanager",
        ui=True,
        pages_when_down=True,
    ),
)
class Alertmanager(RetainedService):
    image: Image = Image(repository="prom/alertmanager", tag="v0.35.0")
    retention: Duration = "120h"
    host_port: Int | None = 9093
    resolve_timeout: Duration = "5m"
    smtp: Smtp = Smtp()
    group_by: GroupBy = Field(default_factory=lambda: ["alertname", "severity"])
    group_wait: Duration = "10s"
    group_interval: Duration = "10s"
    repeat_interval: Duration = "1h"
    receiver: str = "default"
    routes: list[Route] = Field(default_factory=list)
    # `default` sends nowhere until you give it an integration: the alerts are in Alertmanager's UI.
    receivers: list[Receiver] = Field(default_factory=lambda: [Receiver(name="default")])
    time_intervals: list[TimeInterval] = Field(default_factory=list)
    inhibit_rules: list[InhibitRule] = Field(default_factory=_default_inhibitions)
    # Where the always-firing Watchdog alert goes (a heartbeat service); a null receiver when unset.
    # Its route comes first in the tree and is not part of `routes`, so editing routes cannot lose it.
    deadmans_switch: DeadmansSwitch | None = None
    # Fail the deploy, instead of warning and dropping the integration, when a shipped receiver's secret is
    # unset (a secret the config names itself fails it anyway: configs/secret_refs.py).
    require_secrets: bool = False
    storage_size: Bytes = "1Gi"

    @property
    def sends_email(self) -> bool:
        """Whether e-mail integrations are rendered: some receiver has one and a smarthost is set."""
        return self.smtp.smarthost is not None and any(r.email for r in self.receivers)

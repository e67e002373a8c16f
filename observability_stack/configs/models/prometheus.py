"""`prometheus` section: scrape jobs, rule groups and storage."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator

from ..registry import ServiceFacts, service
from .base import Duration, Int, Model
from .expressions import LabelName, PromQL, RuleTemplate
from .names import AbsolutePath
from .service import INT64_MAX, Image, Resources, RetainedService

_JOB = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_-]*$")
_TARGET = re.compile(r"^[A-Za-z0-9.\-\[\]:_]+:\d{1,5}$")
# Prometheus reads retention sizes as powers of 1024 (units.Base2Bytes), into an int64 of bytes.
_BASE2_UNITS = {unit: 1024**power for power, unit in enumerate(("B", "KB", "MB", "GB", "TB", "PB", "EB"))}


class ScrapeJob(Model):
    job_name: str
    targets: list[str] = Field(min_length=1)
    metrics_path: AbsolutePath = "/metrics"
    scheme: Literal["http", "https"] = "http"
    scrape_interval: Duration | None = None
    scrape_timeout: Duration | None = None
    labels: dict[LabelName, str] = Field(default_factory=dict)

    @field_validator("job_name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _JOB.match(value):
            raise ValueError(f"{value!r} is not a valid job name")
        return value

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for target in value:
            match = _TARGET.match(target)
            if not match or not 1 <= int(target.rsplit(":", 1)[1]) <= 65535:
                raise ValueError(f"{target!r} is not host:port with a port in 1-65535")
        return value


class Rule(Model):
    alert: str | None = None
    record: str | None = None
    expr: PromQL
    for_: Duration | None = Field(None, alias="for")
    labels: dict[LabelName, RuleTemplate] = Field(default_factory=dict)
    annotations: dict[LabelName, RuleTemplate] = Field(default_factory=dict)

    model_config = ConfigDict(**Model.model_config, populate_by_name=True)

    def as_dict(self) -> dict:
        data = self.model_dump(by_alias=True, exclude_none=True)
        return {key: value for key, value in data.items() if value != {}}


class RuleGroup(Model):
    name: str
    interval: Duration | None = None
    rules: list[Rule] = Field(min_length=1)

    def as_dict(self) -> dict:
        group: dict = {"name": self.name, "rules": [rule.as_dict() for rule in self.rules]}
        if self.interval:
            group["interval"] = self.interval
        return group


# Rule files the stack writes itself (configs/render/rules.py); `rule_files` cannot take their names.
SHIPPED_RULE_FILES = ("stack.yml", "hosts.yml", "cluster.yml", "slo.yml", "user.yml")


class ControlPlane(Model):
    """The controller manager, scheduler and etcd, found as kube-system pods by their `component` label
    (kubeadm's static pods, and most installers'). Each serves metrics on its node's address, which
    kubeadm binds to 127.0.0.1 by default: set `--bind-address=0.0.0.0` (controller manager, scheduler)
    and `--listen-metrics-urls=http://0.0.0.0:2381` (etcd), or turn the component off here, or its
    Down alert fires."""

    # EKS, GKE, AKS and the like run these out of the cluster's reach: nothing of them is scraped and
    # no alert about them can fire. A component set to true below is still scraped.
    managed: bool = False
    # Unset: scraped unless `managed`.
    controller_manager: bool | None = None
    scheduler: bool | None = None
    etcd: bool | None = None
    # etcd's plain-HTTP metrics listener (--listen-metrics-urls); its client port needs client certificates.
    etcd_metrics_port: Int = Field(2381, ge=1, le=65535)

    def scraped(self) -> dict[str, bool]:
        """Component -> whether it is scraped."""
        chosen = {"controller_manager": self.controller_manager, "scheduler": self.scheduler, "etcd": self.etcd}
        return {name: (not self.managed) if value is None else value for name, value in chosen.items()}


class ClusterTargets(Model):
    """What of the cluster Prometheus scrapes on the Kubernetes target (ignored on Docker), each with its
    alerts in rules/cluster.yml; a target left off here raises nothing."""

    # The kubelet of every node: /metrics, /metrics/cadvisor (containers) and /metrics/probes, over
    # HTTPS with Prometheus' service account token.
    kubelet: bool = True
    # Most kubelets serve a self-signed certificate (no serverTLSBootstrap): verifying it fails every
    # scrape. Turn on where the kubelets' serving certificates are signed by the cluster CA.
    kubelet_verify_tls: bool = False
    # The API server behind the `kubernetes` Service in `default`, verified against the cluster CA.
    api_server: bool = True
    # CoreDNS behind the `kube-dns` Service in kube-system (port `metrics`); a cluster without it has no target.
    coredns: bool = True
    control_plane: ControlPlane = ControlPlane()


_RULE_FILE = re.compile(r"^[a-z0-9][a-z0-9_.-]*\.ya?ml$")


def _rule_file_name(name: str) -> str:
    if not _RULE_FILE.match(name):
        raise ValueError(f"{name!r} is not a rule file name (lower-case letters, digits, '.', '_', '-'; .yml)")
    if name in SHIPPED_RULE_FILES:
        raise ValueError(f"{name!r} is a rule file the stack writes itself; name yours otherwise")
    return name


RuleFileName = Annotated[str, AfterValidator(_rule_file_name)]


@service(
    "prometheus",
    ServiceFacts(port=9090, config_dir="/etc/prometheus", data_dir="/prometheus", ui=True, pages_when_down=True),
)
class Prometheus(RetainedService):
    image: Image = Image(repository="prom/prometheus", tag="v3.16.0")
    requests: Resources = Resources(cpu="250m", memory="512Mi")
    limits: Resources = Resources(cpu="1", memory="2Gi")
    retention: Duration = "30d"
    # Also bounds disk use: the oldest blocks go first once the TSDB reaches this size.
    retention_size: str | None = None
    scrape_interval: Duration = "15s"
    evaluation_interval: Duration = "15s"
    external_labels: dict[LabelName, str] = Field(default_factory=dict)
    scrape_jobs: list[ScrapeJob] = Field(default_factory=list)
    # Rendered into rules/user.yml.
    rule_groups: list[RuleGroup] = Field(default_factory=list)
    # Whole rule files by name (a content pack's rules/*.yml arrive here), rendered under rules/.
    rule_files: dict[RuleFileName, list[RuleGroup]] = Field(default_factory=dict)
    cluster: ClusterTargets = ClusterTargets()
    # Annotation-driven pod discovery; on by default on Kubernetes, meaningless on Docker.
    kubernetes_pods: bool | None = None
    host_port: Int | None = 9090

    @field_validator("retention_size")
    @classmethod
    def _retention_size(cls, value: str | None) -> str | None:
        match = re.match(r"^(\d+)(B|KB|MB|GB|TB|PB|EB)$", value or "")
        if value is not None and not match:
            raise ValueError(f"{value!r} is not a size (e.g. 50GB)")
        if match and int(match.group(1)) * _BASE2_UNITS[match.group(2)] > INT64_MAX:
            raise ValueError(f"{value!r} is beyond the largest size Prometheus holds (2^63-1 bytes, just under 8EB)")
        return value

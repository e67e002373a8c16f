"""The whole stack's configuration: `common`, one section per service, and `slos`.

`StackConfig` declares each shipped service's section as a field, in `registry.SERVICES` order, so a
type checker knows `cfg.prometheus.retention`; tests/test_registry.py holds the fields to the
registry. A service registered outside the package (a toy service in a test) gets its section in
`stack_model()`, a subclass built for the services registered now."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr, create_model

from .. import registry
from .alertmanager import Alertmanager
from .alloy import Alloy
from .base import Model
from .cadvisor import Cadvisor
from .common import Common
from .grafana import Grafana
from .jaeger import Jaeger
from .kube_state_metrics import KubeStateMetrics
from .loki import Loki
from .node_exporter import NodeExporter
from .prometheus import Prometheus
from .promtail import Promtail
from .slo import SLO


class StackSettings(Model):
    """The base of every stack config class: what is not a service, and the enabled services."""

    common: Common = Common()
    # Directories (relative to the project) of content packs: an application's scrape jobs, receivers,
    # SLOs, rule files and dashboards (configs/packs.py). This config goes over them.
    content_packs: list[str] = Field(default_factory=list)
    # The config paths whose values came from the packs, once they are applied (configs/load.py).
    _from_packs: frozenset[str] | None = PrivateAttr(None)

    def packs_applied(self, paths: frozenset[str]) -> None:
        self._from_packs = paths

    @property
    def from_packs(self) -> frozenset[str] | None:
        """The paths the content packs provided; None if the packs were never applied to this config."""
        return self._from_packs if self.content_packs else frozenset()

    def section(self, service: str) -> Any:
        """A service's settings: `cfg.section("node-exporter")` is `cfg.node_exporter`."""
        return getattr(self, registry.section(service))

    def enabled(self) -> list[str]:
        """Enabled services that run on the configured target, in the registry's order; of the log
        collectors, only the one `common.log_collector` names."""
        return [name for name in registry.names() if self._runs(name)]

    def _runs(self, name: str) -> bool:
        facts = registry.facts(name)
        if facts.log_collector and name != self.common.log_collector:
            return False
        return self.section(name).enabled and self.common.target in facts.targets


class StackConfig(StackSettings):
    """The whole stack's configuration: `common`, a section per service, and `slos`."""

    prometheus: Prometheus = Prometheus()
    alertmanager: Alertmanager = Alertmanager()
    grafana: Grafana = Grafana()
    loki: Loki = Loki()
    promtail: Promtail = Promtail()
    alloy: Alloy = Alloy()
    jaeger: Jaeger = Jaeger()
    node_exporter: NodeExporter = NodeExporter()
    cadvisor: Cadvisor = Cadvisor()
    kube_state_metrics: KubeStateMetrics = KubeStateMetrics()
    slos: list[SLO] = Field(default_factory=list)


# The shipped services, in order (the registry may hold more: a toy service in a test).
SERVICES = registry.SERVICES
_EXTENDED: dict[int, type[StackConfig]] = {}


def stack_model() -> type[StackConfig]:
    """`StackConfig`, with a section for each service registered beyond the shipped ones."""
    extra = [name for name in registry.names() if name not in SERVICES]
    if not extra:
        return StackConfig
    version = registry.version()
    if version not in _EXTENDED:
        fields: dict[str, Any] = {
            registry.section(name): (registry.registered(name).model, registry.registered(name).model())
            for name in extra
        }
        _EXTENDED.clear()
        _EXTENDED[version] = create_model("StackConfig", __base__=StackConfig, __module__=__name__, **fields)
    return _EXTENDED[version]

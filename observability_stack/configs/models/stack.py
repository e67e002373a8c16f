"""The whole stack's configuration: one section per service plus `common` and `slos`."""

from __future__ import annotations

from pydantic import Field

from .alertmanager import Alertmanager
from .base import Model
from .common import Common
from .grafana import Grafana
from .jaeger import Jaeger
from .loki import Loki
from .prometheus import Prometheus
from .promtail import Promtail
from .slo import SLO, default_slos

SERVICES = ("prometheus", "alertmanager", "grafana", "loki", "promtail", "jaeger")


class StackConfig(Model):
    common: Common = Common()
    prometheus: Prometheus = Prometheus()
    alertmanager: Alertmanager = Alertmanager()
    grafana: Grafana = Grafana()
    loki: Loki = Loki()
    promtail: Promtail = Promtail()
    jaeger: Jaeger = Jaeger()
    slos: list[SLO] = Field(default_factory=default_slos)

    def enabled(self) -> list[str]:
        """Enabled services, in a fixed order."""
        return [name for name in SERVICES if getattr(self, name).enabled]

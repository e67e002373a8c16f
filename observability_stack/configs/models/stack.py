"""The whole stack's configuration: `common`, one section per registered service, and `slos`.

The service sections come from the registry (configs/registry.py): every model module in this package
is imported, and each service model registers itself there. `stack_model()` builds the class, again
whenever a service registers; `StackConfig` is the class for the services this package ships."""

from __future__ import annotations

from typing import Any

from pydantic import Field, create_model

from .. import registry
from .base import Model
from .common import Common
from .slo import SLO, default_slos

registry.import_package(__package__, skip=("stack",))


class StackSettings(Model):
    """The base of every stack config class: what is not a service, and the enabled services."""

    common: Common = Common()

    def section(self, service: str):
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


_BUILT: dict[int, type[StackSettings]] = {}


def stack_model() -> type[StackSettings]:
    """The config class for the services registered now: a field per service, between common and slos."""
    version = registry.version()
    if version not in _BUILT:
        fields: dict[str, Any] = {
            registry.section(name): (registry.registered(name).model, registry.registered(name).model())
            for name in registry.names()
        }
        fields["slos"] = (list[SLO], Field(default_factory=default_slos))
        _BUILT.clear()
        model = create_model("StackConfig", __base__=StackSettings, __module__=__name__, **fields)
        model.__doc__ = "The whole stack's configuration: `common`, a section per service, and `slos`."
        _BUILT[version] = model
    return _BUILT[version]


StackConfig = stack_model()
# The shipped services, in order (the registry may hold more: a toy service in a test).
SERVICES = tuple(registry.names())

"""Secret values from `observability:secrets`, handed out only as Pulumi secret Outputs."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

PLACEHOLDER = "<secret>"


class Secrets:
    """Holds secret values; `get` wraps each in `Output.secret` so it stays secret in state and outputs."""

    def __init__(self, values: Mapping[str, pulumi.Input[str]]):
        self._values = dict(values)

    def values_by_name(self) -> dict[str, pulumi.Input[str]]:
        return dict(self._values)

    def names(self) -> set[str]:
        return set(self._values)

    def get(self, name: str) -> pulumi.Output | None:
        if name not in self._values:
            return None
        return pulumi.Output.secret(self._values[name])

    def __repr__(self) -> str:  # never print values, even in a traceback
        return f"Secrets({sorted(self._values)})"

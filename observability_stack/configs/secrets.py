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
        """The values as given (strings or Outputs)."""
        return dict(self._values)

    def names(self) -> set[str]:
        """The names of the secrets that are set."""
        return set(self._values)

    def get(self, name: str) -> pulumi.Output | None:
        """The value as a secret Output, or None when it is not set."""
        if name not in self._values:
            return None
        return pulumi.Output.secret(self._values[name])

    def __repr__(self) -> str:  # never print values, even in a traceback
        return f"Secrets({sorted(self._values)})"

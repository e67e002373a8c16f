"""One error that lists every problem in a stack config, each with its config path."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

NAMESPACE = "observability"


def format_loc(loc: Sequence[object]) -> str:
    """('alertmanager', 'receivers', 2, 'slack') -> 'alertmanager.receivers[2].slack'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union")) or part == "[key]":
            continue  # pydantic's markers: the key itself is already the last part of the path
        else:
            path += ("." if path else "") + str(part)
    return path


class ConfigError(Exception):
    """Raised before any resource is registered; its text is meant for the person running `pulumi up`."""

    def __init__(self, problems: Iterable[tuple[str, str]]):
        self.problems = sorted(set(problems))
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"{NAMESPACE}:{path}: {message}" for path, message in self.problems]
        noun = "problem" if len(lines) == 1 else "problems"
        return f"invalid stack config ({len(lines)} {noun}):\n  " + "\n  ".join(lines)

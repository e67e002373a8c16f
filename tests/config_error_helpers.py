"""What the bad-input tests share: the problems a config raises, and one case's check."""

from __future__ import annotations

import pytest

from observability_stack.configs.errors import ConfigError
from observability_stack.configs.load import load


def problems(config: dict) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        load(config)
    return info.value.problems


def assert_reported(config: dict, path: str, fragment: str) -> None:
    """`config` fails with a problem at `path` whose message holds `fragment`."""
    found = problems(config)
    matching = [message for where, message in found if where == path]
    assert matching, f"no problem reported at {path}; got {found}"
    assert any(fragment in message for message in matching), matching

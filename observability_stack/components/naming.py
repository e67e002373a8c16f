"""Names of the resources a stack registers: scoped by the stack component's own name.

A URN holds a resource's name and its parents' types, never their names: two stacks in one program
whose children were named by service alone (`prometheus`, `network`) would register the same URNs,
which the engine refuses. Every child is `<stack name>-<name>`. Stacks created before that (0.x, when
the bare name was the resource name) update in place: each child carries an alias to its bare name,
which the engine matches only where the state holds it. The objects' own names (containers,
volumes, Kubernetes metadata) come from `common.name_prefix` and do not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi

# `child(name, **resource_options)` -> the keyword arguments `Names` gives (a target binds the parent).
Child = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Names:
    stack: str
    """The ObservabilityStack's resource name."""

    def scoped(self, name: str) -> str:
        return f"{self.stack}-{name}"

    def __call__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> dict[str, Any]:
        """`resource_name` and `opts` for the child known as `name`, as keyword arguments of any
        resource class (`core.Service(**names("prometheus", opts), spec=...)`)."""
        alias = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=name)])
        return {"resource_name": self.scoped(name), "opts": pulumi.ResourceOptions.merge(opts, alias)}

    def child(self, parent: pulumi.Resource | None, provider: pulumi.ProviderResource | None) -> Child:
        """`child(name, **options)`: the keyword arguments of a resource under `parent`, through
        `provider`, with any further resource options (`retain_on_delete=True`, `depends_on=...`)."""
        return lambda name, **kw: self(name, pulumi.ResourceOptions(parent=parent, provider=provider, **kw))


# What program.py names its stack: a target made without a name scopes its resources by it.
DEFAULT_NAMES = Names("observability")

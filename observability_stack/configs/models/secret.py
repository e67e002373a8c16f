"""Secret references, declared once on the field that holds one: `Annotated[str, SecretRef(...)]`.

A field whose value names an entry in `observability:secrets` says so in its type, with what follows
when it is unset and how its service reads it. Everything else is derived from that declaration
(configs/secret_walk.py): the missing-secret warnings and errors, the files and variables each
service receives, and the `*_file` fields its renderer writes. A new integration that declares its
secret this way cannot be missed in one of those places and silently lose its notifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel


def _always(section: Any) -> bool:
    return True


@dataclass(frozen=True)
class SecretRef:
    # The key the renderer writes the secret's location under (`api_url_file`); empty: none.
    key: str = ""
    # The file's name in the service's secret directory; empty: the secret's own name.
    file: str = ""
    # Delivered as this environment variable instead of a file, rendered as `${VAR}` (for a
    # service that expands its config's environment variables, as Loki does).
    env: str = ""
    # Unset, the integration holding it is left out of the rendered file (a Slack URL); if not
    # essential, the integration is rendered without it (a bearer token).
    essential: bool = True
    # Unset is an error even for the name the stack ships: nothing can stand in for it.
    required: bool = False
    # On the service's section: whether the config refers to it at all (S3 keys with S3 storage);
    # otherwise it is ignored, and a secret of that name counts as unreferenced.
    applies: Callable[[Any], bool] = _always
    # On the service's section: whether the service reads it now (e-mail is sent). Otherwise it is
    # still a referenced name, but neither checked nor delivered.
    needed: Callable[[Any], bool] = _always
    # Messages when it is unset, with {name} and {hint} (how to set it): an error for a name the
    # config wrote itself (configs/secret_refs.py), a warning for a shipped one.
    error: str = "secret {name!r} is not set ({hint})"
    warning: str = "secret {name!r} is not set, so that integration is left out ({hint})"


@cache  # per class: the walk asks for every model it passes
def declared(model: type[BaseModel]) -> dict[str, SecretRef]:
    """The secret-reference fields of a model class, by field name (its own and inherited ones)."""
    refs = {}
    for name, field in model.model_fields.items():
        ref = next((item for item in field.metadata if isinstance(item, SecretRef)), None)
        if ref is not None:
            refs[name] = ref
    return refs

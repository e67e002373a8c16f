"""Every secret reference of a validated config, found from the declarations on the models
(models/secret.py), and what follows from them: the files and variables each service receives, and
what its renderer writes for each. The checks are in secret_refs.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import BaseModel

from . import registry
from .models.secret import SecretRef, declared
from .packs import provided_by_packs
from .secrets import Secrets


@dataclass(frozen=True)
class Reference:
    path: str  # alertmanager.receivers[2].slack.webhook_secret
    name: str  # the secret's name
    ref: SecretRef
    service: str  # the service whose section holds it: the one that receives it
    section: BaseModel
    owner: BaseModel  # the model holding the field, which its renderer turns into an integration
    # The config wrote it (every step of the path set by the user), rather than a shipped default
    # (`smtp_password`, a content pack's receivers): the checks refuse an unset written name.
    written: bool

    @property
    def needed(self) -> bool:
        return self.ref.needed(self.section)

    @property
    def location(self) -> str:
        """Where the service finds it: a file name in its secret directory, or a variable."""
        return self.ref.env or self.ref.file or self.name


def references(cfg: BaseModel) -> Iterator[Reference]:
    """Every reference in the services' sections, in the config's order. A value a content pack
    provided is not `written`: a pack's receivers are shipped content, as the package's defaults are."""
    from_packs = getattr(cfg, "from_packs", None) or frozenset()
    for service in registry.names():
        key = registry.section(service)
        section = getattr(cfg, key, None)
        if section is not None:
            for ref in _walk(section, key, key in cfg.model_fields_set, (service, section)):
                if ref.written and provided_by_packs(ref.path, from_packs):
                    ref = dataclasses.replace(ref, written=False)
                yield ref


def _walk(model: BaseModel, path: str, written: bool, where: tuple[str, BaseModel]) -> Iterator[Reference]:
    refs = declared(type(model))
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        here = f"{path}.{field.alias or name}"
        set_here = written and name in model.model_fields_set
        ref = refs.get(name)
        if ref is None:
            yield from _values(value, here, set_here, where)
        elif value is not None and ref.applies(where[1]):
            yield Reference(here, value, ref, where[0], where[1], model, set_here)


def _values(value: Any, path: str, written: bool, where: tuple[str, BaseModel]) -> Iterator[Reference]:
    if isinstance(value, BaseModel):
        yield from _walk(value, path, written, where)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _values(item, f"{path}[{index}]", written, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _values(item, f"{path}.{key}", written, where)


Delivered = dict[str, pulumi.Output]


def delivered(cfg: BaseModel, service: str, secrets: Secrets) -> tuple[Delivered, Delivered]:
    """(secret files by name, secret environment variables) the service receives: every reference in
    its section that it needs now and that is set. Sorted: the targets list them in this order."""
    files: Delivered = {}
    env: Delivered = {}
    names = secrets.names()
    for ref in references(cfg):
        if ref.service == service and ref.needed and ref.name in names:
            value = secrets.get(ref.name)
            assert value is not None  # set: its name is among the secrets'
            (env if ref.ref.env else files)[ref.location] = value
    return dict(sorted(files.items())), dict(sorted(env.items()))


class SecretFields:
    """What a renderer writes for each secret reference of one model, with the secrets that are set:
    {key: the file's path, or `${VAR}`}. Delivery (above) gives the service exactly these."""

    def __init__(self, cfg: BaseModel, secrets: set[str], secret_dir: str):
        self._secrets, self._dir = secrets, secret_dir
        self._by_owner: dict[int, list[Reference]] = {}
        for ref in references(cfg):
            if ref.needed:
                self._by_owner.setdefault(id(ref.owner), []).append(ref)

    def of(self, model: BaseModel) -> dict[str, str] | None:
        """None when an essential secret of the model is unset: the renderer leaves it out."""
        fields = {}
        for ref in self._by_owner.get(id(model), []):
            if ref.name not in self._secrets:
                if ref.ref.essential:
                    return None
            elif ref.ref.key:
                fields[ref.ref.key] = "${" + ref.ref.env + "}" if ref.ref.env else f"{self._dir}/{ref.location}"
        return fields

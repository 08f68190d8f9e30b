"""Small helpers shared by the patch modules (no moto patches here)."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from moto.ecs.models import TaskDefinition


def utc(ts: float) -> _dt.datetime:
    """Epoch seconds -> aware UTC datetime (what moto's serializer turns into ECS's
    epoch-seconds timestamps)."""
    return _dt.datetime.fromtimestamp(ts, tz=_dt.UTC)


def container_defs(td: TaskDefinition) -> list[dict[str, Any]]:
    """A task definition's container definitions: the registered JSON objects (with the
    defaults moto and taskdefs.py add). moto builds the list without an annotation, so
    its values are typed `object`."""
    return cast(list[dict[str, Any]], td.container_definitions)


def set_fields(model: object, **fields: Any) -> None:
    """Set attributes a moto model does not declare: moto's serializer reads a response's
    members from the model's attributes by (snake_case) name."""
    for name, value in fields.items():
        setattr(model, name, value)


def patch(owner: object, name: str, replacement: Any) -> None:
    """Replace `owner.name` (a moto class, method or function) with the plugin's. Fails
    loudly when moto has no such attribute (the patch would silently do nothing)."""
    if not hasattr(owner, name):
        raise RuntimeError(f"deckhand emulator: moto has no {getattr(owner, '__name__', owner)}.{name} to patch")
    setattr(owner, name, replacement)


def add(owner: object, name: str, implementation: Any) -> None:
    """Give a moto class a method it lacks (an ECS operation moto 5.2.5 does not
    implement). Fails loudly when moto already has one (it would be silently replaced)."""
    if hasattr(owner, name):
        raise RuntimeError(f"deckhand emulator: moto already has {getattr(owner, '__name__', owner)}.{name}")
    setattr(owner, name, implementation)

"""Small helpers shared by the patch modules (no moto patches here)."""

from __future__ import annotations

import copy
import datetime as _dt
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from moto.ecs.models import TaskDefinition


def utc(ts: float) -> _dt.datetime:
    """Epoch seconds -> aware UTC datetime (what moto's serializer turns into ECS's
    epoch-seconds timestamps)."""
    return _dt.datetime.fromtimestamp(ts, tz=_dt.UTC)


def deep_merge(base: dict[str, Any], update: dict[str, Any] | None) -> dict[str, Any]:
    """`base` with `update` merged in, nested dicts merged key by key; copies both."""
    out = copy.deepcopy(base)
    for key, value in (update or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


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

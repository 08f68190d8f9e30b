"""Small helpers shared by the ECS patch modules (no moto patches here)."""

from __future__ import annotations

import copy
import datetime as _dt
from typing import Any


def utc(ts: float) -> _dt.datetime:
    """Epoch seconds -> aware UTC datetime (what moto's serializer turns into ECS's
    epoch-seconds timestamps)."""
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc)


def deep_merge(base: dict[str, Any], update: dict[str, Any] | None) -> dict[str, Any]:
    """`base` with `update` merged in, nested dicts merged key by key; copies both."""
    out = copy.deepcopy(base)
    for key, value in (update or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out

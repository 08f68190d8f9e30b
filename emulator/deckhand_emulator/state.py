"""In-memory plugin state: call log, faults, task rules, config. Reset by /moto-api/reset.

Locking: `backend_lock` serialises every request that reaches moto (moto's backends
are not thread-safe). `lock` guards the plugin data below and is always taken after
`backend_lock` when both are needed, never the other way round.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

DEFAULT_CONFIG: dict[str, Any] = {
    "taskRunSeconds": 1.0,
    "rolloutSeconds": 1.0,
    "crashingImageMarkers": ["crash"],
}

FAULT_KINDS = ("throttle", "error500", "custom")


class BadRequest(Exception):
    """Raised by admin handlers; turned into HTTP 400 {"error": message}."""


def _number(body: dict[str, Any], key: str, allow_negative: bool = False) -> float:
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"{key} must be a number")
    if value < 0 and not allow_negative:
        raise BadRequest(f"{key} must be >= 0")
    return float(value)


def _string_list(body: dict[str, Any], key: str) -> list[str]:
    value = body[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"{key} must be a list of strings")
    return list(value)


def _opt_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{key} must be a string")
    return value


class PluginState:
    def __init__(self) -> None:
        self.backend_lock = threading.RLock()
        self.lock = threading.RLock()
        self._local = threading.local()
        self.seq = 0  # never reset: seq numbers stay unique for the process's life
        self.next_id = 0
        self.reset()

    # ---- whole-state reset ------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.calls: list[dict[str, Any]] = []
            self.faults: list[dict[str, Any]] = []
            self.task_rules: list[dict[str, Any]] = []
            self.config: dict[str, Any] = copy.deepcopy(DEFAULT_CONFIG)
            # accessKey -> partial config that overrides `config` for that key
            self.key_config: dict[str, dict[str, Any]] = {}

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # ---- the access key of the request being served (thread-local) ---------
    @property
    def current_access_key(self) -> str | None:
        return getattr(self._local, "access_key", None)

    @current_access_key.setter
    def current_access_key(self, value: str | None) -> None:
        self._local.access_key = value

    # ---- call log ---------------------------------------------------------
    def log_call(self, operation: str, access_key: str | None, params: Any) -> dict[str, Any]:
        with self.lock:
            self.seq += 1
            record = {
                "seq": self.seq,
                "operation": operation,
                "accessKey": access_key,
                "params": params,
                "status": None,
            }
            self.calls.append(record)
            return record

    def set_call_status(self, record: dict[str, Any], status: int) -> None:
        with self.lock:
            record["status"] = status

    def get_calls(self, access_key: str | None, operation: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(c)
                for c in self.calls
                if (access_key is None or c["accessKey"] == access_key)
                and (operation is None or c["operation"] == operation)
            ]

    def reset_calls(self, access_key: str | None) -> int:
        with self.lock:
            before = len(self.calls)
            if access_key is None:
                self.calls = []
            else:
                self.calls = [c for c in self.calls if c["accessKey"] != access_key]
            return before - len(self.calls)

    # ---- faults -----------------------------------------------------------
    def add_fault(self, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            raise BadRequest(f"kind must be one of {list(FAULT_KINDS)}")
        operation = _opt_str(body, "operation") or "*"
        count = body.get("count")
        every = body.get("every")
        if (count is None) == (every is None):
            raise BadRequest("give exactly one of count (next N calls) or every (every K-th call)")
        for key, value in (("count", count), ("every", every)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise BadRequest(f"{key} must be an integer >= 1")
        fault: dict[str, Any] = {
            "accessKey": _opt_str(body, "accessKey"),
            "operation": operation,
            "kind": kind,
            "count": count,
            "every": every,
        }
        if kind == "custom":
            status = body.get("httpStatus", 400)
            if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
                raise BadRequest("httpStatus must be an integer in 400..599")
            fault["httpStatus"] = status
            fault["errorType"] = _opt_str(body, "errorType") or "ClientException"
            fault["message"] = _opt_str(body, "message") or "injected"
        with self.lock:
            fault["id"] = self._new_id()
            fault["matched"] = 0  # matching calls seen
            fault["fired"] = 0  # calls failed by this fault
            self.faults.append(fault)
            return dict(fault)

    def list_faults(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(f) for f in self.faults]

    def clear_faults(self, access_key: str | None) -> int:
        with self.lock:
            before = len(self.faults)
            if access_key is None:
                self.faults = []
            else:
                self.faults = [f for f in self.faults if f["accessKey"] != access_key]
            return before - len(self.faults)

    def take_fault(self, operation: str, access_key: str | None) -> dict[str, Any] | None:
        """Decide whether this call fails. Faults are checked in creation order; each
        matching fault counts the call, and the first one that fires wins (faults after
        it do not see the call). Spent `count` faults are dropped."""
        with self.lock:
            for fault in self.faults:
                if fault["accessKey"] is not None and fault["accessKey"] != access_key:
                    continue
                if fault["operation"] not in ("*", operation):
                    continue
                fault["matched"] += 1
                if fault["count"] is not None:
                    fire = fault["fired"] < fault["count"]
                else:
                    fire = fault["matched"] % fault["every"] == 0
                if fire:
                    fault["fired"] += 1
                    if fault["count"] is not None and fault["fired"] >= fault["count"]:
                        self.faults.remove(fault)
                    return dict(fault)
            return None

    # ---- task rules ---------------------------------------------------------
    def add_task_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        known = {"accessKey", "commandContains", "imageContains", "exitCode", "runSeconds", "stoppedReason"}
        unknown = set(body) - known
        if unknown:
            raise BadRequest(f"unknown task-rule fields: {sorted(unknown)}")
        exit_code = body.get("exitCode", 0)
        if isinstance(exit_code, bool) or not isinstance(exit_code, int):
            raise BadRequest("exitCode must be an integer")
        rule: dict[str, Any] = {
            "accessKey": _opt_str(body, "accessKey"),
            "commandContains": _opt_str(body, "commandContains"),
            "imageContains": _opt_str(body, "imageContains"),
            "exitCode": exit_code,
            "runSeconds": _number(body, "runSeconds", allow_negative=True) if body.get("runSeconds") is not None else None,
            "stoppedReason": _opt_str(body, "stoppedReason"),
        }
        with self.lock:
            rule["id"] = self._new_id()
            self.task_rules.append(rule)
            return dict(rule)

    def list_task_rules(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.task_rules]

    def clear_task_rules(self, access_key: str | None) -> int:
        with self.lock:
            before = len(self.task_rules)
            if access_key is None:
                self.task_rules = []
            else:
                self.task_rules = [r for r in self.task_rules if r["accessKey"] != access_key]
            return before - len(self.task_rules)

    def rules_for(self, access_key: str | None) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.task_rules if r["accessKey"] in (None, access_key)]

    # ---- config -----------------------------------------------------------
    def update_config(self, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        access_key = _opt_str(body, "accessKey")
        unknown = set(body) - set(DEFAULT_CONFIG) - {"accessKey"}
        if unknown:
            raise BadRequest(f"unknown config fields: {sorted(unknown)}")
        update: dict[str, Any] = {}
        for key in ("taskRunSeconds", "rolloutSeconds"):
            if key in body:
                update[key] = _number(body, key)
        if "crashingImageMarkers" in body:
            update["crashingImageMarkers"] = _string_list(body, "crashingImageMarkers")
        with self.lock:
            if access_key is None:
                self.config.update(update)
            else:
                self.key_config.setdefault(access_key, {}).update(update)
            return self.effective_config(access_key)

    def reset_config(self, access_key: str | None) -> dict[str, Any]:
        with self.lock:
            if access_key is None:
                self.config = copy.deepcopy(DEFAULT_CONFIG)
                self.key_config = {}
            else:
                self.key_config.pop(access_key, None)
            return self.effective_config(access_key)

    def effective_config(self, access_key: str | None) -> dict[str, Any]:
        with self.lock:
            cfg = copy.deepcopy(self.config)
            if access_key is not None:
                cfg.update(copy.deepcopy(self.key_config.get(access_key, {})))
            return cfg

    def current_config(self) -> dict[str, Any]:
        return self.effective_config(self.current_access_key)


STATE = PluginState()

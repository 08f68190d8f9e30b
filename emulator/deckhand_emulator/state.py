"""In-memory plugin state: call log, faults, task rules, config, and the CloudWatch Logs
output of one-off tasks still to be written. Reset by /moto-api/reset.

Everything is typed (dataclasses); `to_json()` builds the dict an admin endpoint
answers with, so the JSON (field names and order) is defined in one place per type.
Methods hand out snapshots (copies, or frozen objects) so that callers can serialise
them outside the lock.

Locking: `backend_lock` serialises every request that reaches moto (moto's backends
are not thread-safe). `lock` guards the plugin data below and is always taken after
`backend_lock` when both are needed, never the other way round.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Literal, Protocol

FaultKind = Literal["throttle", "error500", "custom"]
FAULT_KINDS: tuple[FaultKind, ...] = ("throttle", "error500", "custom")

# Admin-API names of the config fields, in the order they are answered.
CONFIG_FIELDS = (
    "taskRunSeconds",
    "rolloutSeconds",
    "stageSeconds",
    "minuteSeconds",
    "crashingImageMarkers",
    "oomImageMarkers",
    "unpullableImageMarkers",
)
# Admin-API config field -> EmulatorConfig attribute, for the image-marker lists.
_MARKER_FIELDS = {
    "crashingImageMarkers": "crashing_image_markers",
    "oomImageMarkers": "oom_image_markers",
    "unpullableImageMarkers": "unpullable_image_markers",
}


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


# ---- records ------------------------------------------------------------------


@dataclass
class CallRecord:
    """One ECS request in the call log; `status` is None while it is being served."""

    seq: int
    operation: str
    access_key: str | None
    params: Any
    status: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "operation": self.operation,
            "accessKey": self.access_key,
            "params": self.params,
            "status": self.status,
        }


@dataclass
class Fault:
    """An injected failure: the next `count` matching calls, or every `every`-th one."""

    id: int
    access_key: str | None  # None = any key (the seeder's excepted)
    operation: str  # "*" = any ECS operation
    kind: FaultKind
    count: int | None
    every: int | None
    # kind "custom" only:
    http_status: int | None = None
    error_type: str | None = None
    message: str | None = None
    matched: int = 0  # matching calls seen
    fired: int = 0  # calls failed by this fault

    def matches(self, operation: str, access_key: str | None, exact: bool = False) -> bool:
        if self.access_key is not None and self.access_key != access_key:
            return False
        return self.operation == operation or (self.operation == "*" and not exact)

    def wire_error(self) -> tuple[int, str, str]:
        """(HTTP status, __type, message) of the error answered instead of the call."""
        if self.kind == "throttle":
            return 400, "ThrottlingException", "Rate exceeded"
        if self.kind == "error500":
            return 500, "ServerException", "injected"
        assert self.http_status is not None and self.error_type is not None and self.message is not None
        return self.http_status, self.error_type, self.message

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "accessKey": self.access_key,
            "operation": self.operation,
            "kind": self.kind,
            "count": self.count,
            "every": self.every,
        }
        if self.kind == "custom":
            out["httpStatus"] = self.http_status
            out["errorType"] = self.error_type
            out["message"] = self.message
        out["id"] = self.id
        out["matched"] = self.matched
        out["fired"] = self.fired
        return out


@dataclass(frozen=True)
class TaskRule:
    """How a RunTask task ends: exit code, run time, stoppedReason and awslogs output
    (`log_lines`) for the tasks whose containers match (see README, "One-off tasks and
    task rules")."""

    id: int
    access_key: str | None  # None = any key
    command_contains: str | None
    image_contains: str | None
    exit_code: int
    run_seconds: float | None  # None = config taskRunSeconds; -1 = never stops
    stopped_reason: str | None  # None or "" = "Essential container in task exited"
    # Written to the matching containers' awslogs streams when the task stops.
    log_lines: tuple[str, ...] = ()

    def matches(self, image: str | None, command: list[Any]) -> bool:
        """Each given condition holds for this container (image, effective command)."""
        if self.image_contains is not None and self.image_contains not in (image or ""):
            return False
        return self.command_contains is None or any(self.command_contains in str(part) for part in command)

    def to_json(self) -> dict[str, Any]:
        return {
            "accessKey": self.access_key,
            "commandContains": self.command_contains,
            "imageContains": self.image_contains,
            "exitCode": self.exit_code,
            "runSeconds": self.run_seconds,
            "stoppedReason": self.stopped_reason,
            "logLines": list(self.log_lines),
            "id": self.id,
        }


@dataclass(frozen=True)
class ConfigOverrides:
    """A partial config (None = not given): a POST /config body, or the overrides
    kept for one access key."""

    task_run_seconds: float | None = None
    rollout_seconds: float | None = None
    stage_seconds: float | None = None
    minute_seconds: float | None = None
    crashing_image_markers: tuple[str, ...] | None = None
    oom_image_markers: tuple[str, ...] | None = None
    unpullable_image_markers: tuple[str, ...] | None = None

    def merged(self, newer: ConfigOverrides) -> ConfigOverrides:
        return dataclasses.replace(self, **newer._given())

    def _given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class EmulatorConfig:
    """Timing and image-marker config, read when a task starts / an update is made
    (caller's key). An image containing a marker makes a service deployment fail; the
    kind of marker decides how its tasks stop (see service_tasks.py)."""

    task_run_seconds: float = 1.0
    rollout_seconds: float = 1.0
    # Service deployments (service_deployments.py): how long each short lifecycle stage
    # (and PENDING, ROLLBACK_REQUESTED) lasts, and how long one minute of a bake time
    # (bakeTimeInMinutes, step / canary bake) takes on the emulator's clock.
    stage_seconds: float = 0.1
    minute_seconds: float = 0.1
    crashing_image_markers: tuple[str, ...] = ("crash",)  # exit code 1
    oom_image_markers: tuple[str, ...] = ("oom",)  # exit code 137, OutOfMemoryError
    unpullable_image_markers: tuple[str, ...] = ("unpushed", "missing")  # CannotPullContainerError

    def with_overrides(self, overrides: ConfigOverrides) -> EmulatorConfig:
        return dataclasses.replace(self, **overrides._given())

    def to_json(self) -> dict[str, Any]:
        return {
            "taskRunSeconds": self.task_run_seconds,
            "rolloutSeconds": self.rollout_seconds,
            "stageSeconds": self.stage_seconds,
            "minuteSeconds": self.minute_seconds,
            "crashingImageMarkers": list(self.crashing_image_markers),
            "oomImageMarkers": list(self.oom_image_markers),
            "unpullableImageMarkers": list(self.unpullable_image_markers),
        }


DEFAULT_CONFIG = EmulatorConfig()


class PendingTaskLogs(Protocol):
    """A one-off task's awslogs output not yet written (tasks.TaskLogs)."""

    def flush_if_stopped(self) -> bool:
        """Write the events if the task has stopped; True once written (then dropped)."""
        ...


# ---- the state ----------------------------------------------------------------


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
            self.calls: list[CallRecord] = []
            # STS AssumeRole requests: who asked for which role, session and external id.
            self.assumed_roles: list[dict[str, str | None]] = []
            self.faults: list[Fault] = []
            self.task_rules: list[TaskRule] = []
            self.config: EmulatorConfig = DEFAULT_CONFIG
            # accessKey -> overrides of `config` for that key
            self.key_config: dict[str, ConfigOverrides] = {}
            # One-off tasks whose log events are written when they stop (under backend_lock).
            self.pending_task_logs: list[PendingTaskLogs] = []

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

    # ---- one clock reading per request (thread-local) -----------------------
    def begin_request(self) -> None:
        """Fix "now" for the request being served, so that everything one
        response shows of a task (its status, its containers' exit codes) is
        read at the same instant: a task never shows STOPPED beside a
        container without an exit code because its stop fell between two reads."""
        self._local.now = time.time()

    def end_request(self) -> None:
        self._local.now = None

    def now(self) -> float:
        """The request's clock reading, or the time outside a request."""
        now = getattr(self._local, "now", None)
        return time.time() if now is None else now

    # ---- call log ---------------------------------------------------------
    def log_call(self, operation: str, access_key: str | None, params: Any) -> CallRecord:
        with self.lock:
            self.seq += 1
            record = CallRecord(seq=self.seq, operation=operation, access_key=access_key, params=params)
            self.calls.append(record)
            return record

    def set_call_status(self, record: CallRecord | None, status: int) -> None:
        if record is None:  # not logged (the seeder's calls)
            return
        with self.lock:
            record.status = status

    def log_assume_role(self, access_key: str | None, params: dict[str, str]) -> None:
        with self.lock:
            self.assumed_roles.append(
                {
                    "accessKey": access_key,
                    "roleArn": params.get("RoleArn"),
                    "roleSessionName": params.get("RoleSessionName"),
                    "externalId": params.get("ExternalId"),
                }
            )

    def get_assumed_roles(self, access_key: str | None) -> list[dict[str, str | None]]:
        with self.lock:
            return [dict(r) for r in self.assumed_roles if access_key is None or r["accessKey"] == access_key]

    def get_calls(self, access_key: str | None, operation: str | None = None) -> list[CallRecord]:
        with self.lock:
            return [
                copy.copy(c)
                for c in self.calls
                if (access_key is None or c.access_key == access_key)
                and (operation is None or c.operation == operation)
            ]

    def reset_calls(self, access_key: str | None) -> int:
        with self.lock:
            before = len(self.calls)
            if access_key is None:
                self.calls = []
            else:
                self.calls = [c for c in self.calls if c.access_key != access_key]
            return before - len(self.calls)

    # ---- faults -----------------------------------------------------------
    def add_fault(self, body: dict[str, Any]) -> Fault:
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
        access_key = _opt_str(body, "accessKey")
        http_status = error_type = message = None
        if kind == "custom":
            http_status = body.get("httpStatus", 400)
            if isinstance(http_status, bool) or not isinstance(http_status, int) or not 400 <= http_status <= 599:
                raise BadRequest("httpStatus must be an integer in 400..599")
            error_type = _opt_str(body, "errorType") or "ClientException"
            message = _opt_str(body, "message") or "injected"
        with self.lock:
            fault = Fault(
                id=self._new_id(),
                access_key=access_key,
                operation=operation,
                kind=kind,
                count=count,
                every=every,
                http_status=http_status,
                error_type=error_type,
                message=message,
            )
            self.faults.append(fault)
            return copy.copy(fault)

    def list_faults(self) -> list[Fault]:
        with self.lock:
            return [copy.copy(f) for f in self.faults]

    def clear_faults(self, access_key: str | None) -> int:
        with self.lock:
            before = len(self.faults)
            if access_key is None:
                self.faults = []
            else:
                self.faults = [f for f in self.faults if f.access_key != access_key]
            return before - len(self.faults)

    def take_fault(self, operation: str, access_key: str | None, exact: bool = False) -> Fault | None:
        """Decide whether this call fails. Faults are checked in creation order; each
        matching fault counts the call, and the first one that fires wins (faults after
        it do not see the call). Spent `count` faults are dropped. `exact`: only faults
        naming `operation` itself (not "*", which means any ECS operation)."""
        with self.lock:
            for fault in self.faults:
                if not fault.matches(operation, access_key, exact):
                    continue
                fault.matched += 1
                if fault.count is not None:
                    fire = fault.fired < fault.count
                else:
                    assert fault.every is not None
                    fire = fault.matched % fault.every == 0
                if fire:
                    fault.fired += 1
                    if fault.count is not None and fault.fired >= fault.count:
                        self.faults.remove(fault)
                    return copy.copy(fault)
            return None

    # ---- task rules ---------------------------------------------------------
    def add_task_rule(self, body: dict[str, Any]) -> TaskRule:
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        known = {"accessKey", "commandContains", "imageContains", "exitCode", "runSeconds", "stoppedReason", "logLines"}
        unknown = set(body) - known
        if unknown:
            raise BadRequest(f"unknown task-rule fields: {sorted(unknown)}")
        exit_code = body.get("exitCode", 0)
        if isinstance(exit_code, bool) or not isinstance(exit_code, int):
            raise BadRequest("exitCode must be an integer")
        access_key = _opt_str(body, "accessKey")
        command_contains = _opt_str(body, "commandContains")
        image_contains = _opt_str(body, "imageContains")
        run_seconds = _number(body, "runSeconds", allow_negative=True) if body.get("runSeconds") is not None else None
        stopped_reason = _opt_str(body, "stoppedReason")
        log_lines = tuple(_string_list(body, "logLines")) if body.get("logLines") is not None else ()
        with self.lock:
            rule = TaskRule(
                id=self._new_id(),
                access_key=access_key,
                command_contains=command_contains,
                image_contains=image_contains,
                exit_code=exit_code,
                run_seconds=run_seconds,
                stopped_reason=stopped_reason,
                log_lines=log_lines,
            )
            self.task_rules.append(rule)
            return rule

    def list_task_rules(self) -> list[TaskRule]:
        with self.lock:
            return list(self.task_rules)

    def clear_task_rules(self, access_key: str | None) -> int:
        with self.lock:
            before = len(self.task_rules)
            if access_key is None:
                self.task_rules = []
            else:
                self.task_rules = [r for r in self.task_rules if r.access_key != access_key]
            return before - len(self.task_rules)

    def rules_for(self, access_key: str | None) -> list[TaskRule]:
        with self.lock:
            return [r for r in self.task_rules if r.access_key in (None, access_key)]

    # ---- config -----------------------------------------------------------
    def update_config(self, body: dict[str, Any]) -> EmulatorConfig:
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        access_key = _opt_str(body, "accessKey")
        unknown = set(body) - set(CONFIG_FIELDS) - {"accessKey"}
        if unknown:
            raise BadRequest(f"unknown config fields: {sorted(unknown)}")
        update = ConfigOverrides(
            task_run_seconds=_number(body, "taskRunSeconds") if "taskRunSeconds" in body else None,
            rollout_seconds=_number(body, "rolloutSeconds") if "rolloutSeconds" in body else None,
            stage_seconds=_number(body, "stageSeconds") if "stageSeconds" in body else None,
            minute_seconds=_number(body, "minuteSeconds") if "minuteSeconds" in body else None,
            **{
                attr: tuple(_string_list(body, field)) if field in body else None
                for field, attr in _MARKER_FIELDS.items()
            },
        )
        with self.lock:
            if access_key is None:
                self.config = self.config.with_overrides(update)
            else:
                self.key_config[access_key] = self.key_config.get(access_key, ConfigOverrides()).merged(update)
            return self.effective_config(access_key)

    def reset_config(self, access_key: str | None) -> EmulatorConfig:
        with self.lock:
            if access_key is None:
                self.config = DEFAULT_CONFIG
                self.key_config = {}
            else:
                self.key_config.pop(access_key, None)
            return self.effective_config(access_key)

    def effective_config(self, access_key: str | None) -> EmulatorConfig:
        with self.lock:
            if access_key is None or access_key not in self.key_config:
                return self.config
            return self.config.with_overrides(self.key_config[access_key])

    def current_config(self) -> EmulatorConfig:
        return self.effective_config(self.current_access_key)

    # ---- one-off task logs (callers hold backend_lock) ------------------------
    def add_pending_task_logs(self, pending: PendingTaskLogs) -> None:
        with self.lock:
            self.pending_task_logs.append(pending)

    def flush_task_logs(self) -> None:
        """Write the log events of every one-off task that has stopped by now. Called
        under backend_lock before each request reaches moto, so a stopped task's output
        is in CloudWatch Logs by the time any request can observe the stop."""
        with self.lock:
            pending = list(self.pending_task_logs)
        done: set[int] = set()
        for p in pending:
            try:
                if p.flush_if_stopped():
                    done.add(id(p))
            except Exception:  # never fail the request that happened to trigger it
                traceback.print_exc(file=sys.stderr)
                done.add(id(p))
        if done:
            with self.lock:
                self.pending_task_logs = [p for p in self.pending_task_logs if id(p) not in done]


STATE = PluginState()

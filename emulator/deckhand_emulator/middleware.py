"""WSGI middleware around moto's app: ECS call log, fault injection, `/_deckhand/*`
admin endpoints, plugin reset on `POST /moto-api/reset`, and writing the CloudWatch
Logs events of one-off tasks that have stopped before each request reaches moto.
Target: moto 5.2.5."""

from __future__ import annotations

import io
import json
import re
import sys
import traceback
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from . import PINNED_MOTO_VERSION, SEED_ACCESS_KEY
from .state import STATE, BadRequest

ECS_TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/")

StartResponse = Callable[..., Any]


def access_key_of(environ: dict[str, Any]) -> str | None:
    match = _CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else None


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    # Hand moto a fresh, fully buffered copy.
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    return body


def _json_response(
    start_response: StartResponse,
    status: int,
    payload: Any,
    extra_headers: list[tuple[str, str]] | None = None,
    content_type: str = "application/json",
) -> list[bytes]:
    body = json.dumps(payload, default=str).encode()
    reason = {
        200: "OK",
        400: "Bad Request",
        404: "Not Found",
        405: "Method Not Allowed",
        500: "Internal Server Error",
    }.get(status, "Error")
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    headers += extra_headers or []
    start_response(f"{status} {reason}", headers)
    return [body]


def _aws_error(start_response: StartResponse, status: int, error_type: str, message: str) -> list[bytes]:
    return _json_response(
        start_response,
        status,
        {"__type": error_type, "message": message},
        extra_headers=[("x-amzn-ErrorType", error_type), ("x-amzn-RequestId", str(uuid.uuid4()))],
        content_type="application/x-amz-json-1.1",
    )


class DeckhandMiddleware:
    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/_deckhand/") or path == "/_deckhand":
            return self._admin(environ, start_response, path, method)
        target = environ.get("HTTP_X_AMZ_TARGET", "") or ""
        if target.startswith(ECS_TARGET_PREFIX):
            return self._ecs(environ, start_response, target[len(ECS_TARGET_PREFIX) :])
        if path.rstrip("/") == "/moto-api/reset" and method == "POST":
            with STATE.backend_lock:
                result = self._call_moto(environ, start_response)
                STATE.reset()
            return result
        if "/sts/aws4_request" in environ.get("HTTP_AUTHORIZATION", ""):
            refused = self._sts(environ, start_response)
            if refused is not None:
                return refused
        with STATE.backend_lock:
            STATE.flush_task_logs()
            # The caller's config applies to ECS changes other services make (the
            # desiredCount Application Auto Scaling clamps scales over rolloutSeconds).
            STATE.current_access_key = access_key_of(environ)
            STATE.begin_request()
            try:
                return self._call_moto(environ, start_response)
            finally:
                STATE.current_access_key = None
                STATE.end_request()

    @staticmethod
    def _sts(environ: dict[str, Any], start_response: StartResponse) -> list[bytes] | None:
        """Record an STS AssumeRole (query protocol: a form body) before moto answers
        it, or refuse it when a fault names AssumeRole (e.g. a custom AccessDenied,
        as a role whose trust policy does not allow the caller)."""
        form = parse_qs(_read_body(environ).decode("utf-8", "replace"))
        params = {k: v[0] for k, v in form.items() if v}
        if params.get("Action") != "AssumeRole":
            return None
        access_key = access_key_of(environ)
        STATE.log_assume_role(access_key, params)
        fault = STATE.take_fault("AssumeRole", access_key, exact=True)
        if fault is None:
            return None
        status, code, message = fault.wire_error()
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>Sender</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        ).encode()
        start_response(f"{status} Error", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    # ---- moto ---------------------------------------------------------------
    def _call_moto(
        self, environ: dict[str, Any], start_response: StartResponse, status_box: list[int] | None = None
    ) -> list[bytes]:
        """Run moto's app to completion (inside the caller's lock) and buffer its body."""

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            if status_box is not None:
                status_box.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            app_iter = self.app(environ, recording_start_response)
            try:
                return [b"".join(app_iter)]
            finally:
                close = getattr(app_iter, "close", None)
                if close:
                    close()
        except NotImplementedError as exc:  # an operation moto lacks: fail fast, no retries
            if status_box is not None:
                status_box.append(400)
            return _aws_error(
                start_response,
                400,
                "UnsupportedFeatureException",
                f"not supported by the deckhand emulator (moto {PINNED_MOTO_VERSION}): {exc}",
            )
        except Exception as exc:  # moto bug or unpatched edge: answer like ECS would
            traceback.print_exc(file=sys.stderr)
            if status_box is not None:
                status_box.append(500)
            return _aws_error(start_response, 500, "ServerException", f"emulator error: {exc!r}")

    def _ecs(self, environ: dict[str, Any], start_response: StartResponse, operation: str) -> Iterable[bytes]:
        body = _read_body(environ)
        try:
            params: Any = json.loads(body) if body else {}
        except ValueError:
            params = body.decode("utf-8", "replace")
        access_key = access_key_of(environ)
        internal = access_key == SEED_ACCESS_KEY
        record = None if internal else STATE.log_call(operation, access_key, params)

        fault = None if internal else STATE.take_fault(operation, access_key)
        if fault is not None:
            status, error_type, message = fault.wire_error()
            STATE.set_call_status(record, status)
            return _aws_error(start_response, status, error_type, message)

        status_box: list[int] = []
        with STATE.backend_lock:
            STATE.flush_task_logs()
            STATE.current_access_key = access_key
            STATE.begin_request()
            try:
                result = self._call_moto(environ, start_response, status_box)
            finally:
                STATE.current_access_key = None
                STATE.end_request()
        if record is not None:
            STATE.set_call_status(record, status_box[0] if status_box else 500)
        return result

    # ---- /_deckhand/* ---------------------------------------------------------
    def _admin(self, environ: dict[str, Any], start_response: StartResponse, path: str, method: str) -> Iterable[bytes]:
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        access_key = query.get("accessKey") or None
        route = path[len("/_deckhand") :].rstrip("/") or "/"
        try:
            raw = _read_body(environ)
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                raise BadRequest("body is not valid JSON") from None
            if isinstance(body, dict) and access_key is None and isinstance(body.get("accessKey"), str):
                body_key = body["accessKey"]
            else:
                body_key = access_key

            if route == "/health" and method == "GET":
                return _json_response(start_response, 200, {"ok": True, "motoVersion": PINNED_MOTO_VERSION})

            if route == "/calls" and method == "GET":
                return _json_response(
                    start_response,
                    200,
                    {"calls": [c.to_json() for c in STATE.get_calls(access_key, query.get("operation"))]},
                )
            if route == "/assumed-roles" and method == "GET":
                return _json_response(start_response, 200, {"assumedRoles": STATE.get_assumed_roles(access_key)})
            if (route == "/calls/reset" and method == "POST") or (route == "/calls" and method == "DELETE"):
                return _json_response(start_response, 200, {"removed": STATE.reset_calls(body_key)})

            if route == "/faults":
                if method == "GET":
                    return _json_response(start_response, 200, {"faults": [f.to_json() for f in STATE.list_faults()]})
                if method == "POST":
                    return _json_response(start_response, 200, {"fault": STATE.add_fault(body).to_json()})
                if method == "DELETE":
                    return _json_response(start_response, 200, {"removed": STATE.clear_faults(body_key)})

            if route == "/task-rules":
                if method == "GET":
                    return _json_response(
                        start_response, 200, {"rules": [r.to_json() for r in STATE.list_task_rules()]}
                    )
                if method == "POST":
                    return _json_response(start_response, 200, {"rule": STATE.add_task_rule(body).to_json()})
                if method == "DELETE":
                    return _json_response(start_response, 200, {"removed": STATE.clear_task_rules(body_key)})

            if route == "/config":
                if method == "GET":
                    return _json_response(start_response, 200, STATE.effective_config(access_key).to_json())
                if method == "POST":
                    return _json_response(start_response, 200, STATE.update_config(body).to_json())
                if method == "DELETE":
                    return _json_response(start_response, 200, STATE.reset_config(body_key).to_json())

            if route == "/seed" and method == "POST":
                from .seeding import SeedError, seed

                if not isinstance(body, dict):
                    raise BadRequest("body must be a JSON object")
                host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
                try:
                    # Not under any lock: the seeder calls this server over HTTP.
                    return _json_response(start_response, 200, seed(body, f"http://{host}"))
                except SeedError as exc:
                    raise BadRequest(str(exc)) from exc

            if route == "/reset" and method == "POST":
                from moto.moto_api._internal.models import moto_api_backend

                with STATE.backend_lock:
                    moto_api_backend.reset()
                    STATE.reset()
                return _json_response(start_response, 200, {"status": "ok"})

            return _json_response(
                start_response, 404, {"error": f"no route {method} /_deckhand{route if route != '/' else ''}"}
            )
        except BadRequest as exc:
            return _json_response(start_response, 400, {"error": str(exc)})
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            return _json_response(start_response, 500, {"error": repr(exc)})

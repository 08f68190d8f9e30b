#!/usr/bin/env python3
"""deckhand's local ECS emulator: moto's server with the deckhand plugin patched in.

Usage: .venv/bin/python emulator/server.py [--host 127.0.0.1] [--port 0] [--parent-pid PID] [--verbose]

Prints exactly one line to stdout, `READY http://HOST:PORT`, once the server answers
HTTP (stdout then points at stderr), then serves (threaded) until SIGTERM/SIGINT, or
until --parent-pid exits.
With --port 0 the OS picks a free port. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# moto reads these when it builds a Service; the plugin computes the counts itself.
for _var in ("MOTO_ECS_SERVICE_RUNNING", "MOTO_ECS_SERVICE_FAILED_TASKS"):
    os.environ.pop(_var, None)

from deckhand_emulator import SEED_ACCESS_KEY, check_moto_version  # noqa: E402


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="deckhand local ECS emulator (moto + plugin)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default 0)")
    parser.add_argument(
        "--parent-pid", type=int, default=None, help="exit when this process no longer exists (checked every second)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a dead but unreaped parent is a zombie: treat it as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _warm_up(base_url: str) -> None:
    """Load moto's ECS and EC2 backends now rather than on a test's first call.
    Signed with the seed key, so it is neither logged nor faulted."""
    request = urllib.request.Request(
        base_url + "/",
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={SEED_ACCESS_KEY}/20260101/us-east-1/ecs/aws4_request, "
            "SignedHeaders=host;x-amz-target, Signature=0",
        },
        method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=30).read()
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends

        from deckhand_emulator.state import STATE

        with STATE.backend_lock:
            ec2_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    except Exception as exc:  # warm-up is an optimisation only
        print(f"deckhand emulator: warm-up failed: {exc!r}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    check_moto_version()

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from deckhand_emulator import ecs_patches
    from deckhand_emulator.middleware import DeckhandMiddleware

    ecs_patches.apply()

    class RequestHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if args.verbose:
                super().log_request(code, size)

    app = DeckhandMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True, request_handler=RequestHandler)
    port = server.socket.getsockname()[1]
    os.environ["MOTO_PORT"] = str(port)  # moto uses it when it calls itself
    host = args.host if args.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    base_url = f"http://{host}:{port}"

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    serve_thread = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    serve_thread.start()

    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base_url + "/_deckhand/health", timeout=2) as resp:
                if json.load(resp).get("ok"):
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            print("deckhand emulator: server did not answer within 30 s", file=sys.stderr)
            return 1
        time.sleep(0.02)

    try:
        sys.stdout.write(f"READY {base_url}\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        pass
    # The READY line is the only stdout output: anything printed later (moto prints a
    # few diagnostics) goes to stderr, so a parent that stops reading stdout after READY
    # can never block the server on a full pipe.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    threading.Thread(target=_warm_up, args=(base_url,), name="warm-up", daemon=True).start()

    parent = args.parent_pid
    while not stop.wait(1.0):
        if parent is not None and not _pid_alive(parent):
            print(f"deckhand emulator: parent {parent} is gone, exiting", file=sys.stderr)
            break

    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

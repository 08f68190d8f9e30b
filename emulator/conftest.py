"""pytest setup of the emulator's self-test (test_emulator.py).

- `emulator`: one server for the whole session, started on a free port, stopped
  (SIGTERM) at the end; `start_emulator` starts more (each exits with this process).
- Tests marked `run_last` (they wipe or stop the shared server) run after all others,
  in file order.
- Every server's stderr goes to one log file; when a test failed, the log is shown at
  the end of the run (with its path).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

SERVER = Path(__file__).resolve().parent / "server.py"
RUN_LAST = "run_last"
_SERVER_LOG_PATH = pytest.StashKey[Path]()


@dataclass(frozen=True)
class Emulator:
    """A running emulator server."""

    proc: subprocess.Popen[str]
    url: str  # http://127.0.0.1:PORT
    startup_seconds: float  # from start to its READY line

    def stop(self) -> None:
        """SIGTERM, then kill if it has not exited within 10 s."""
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


StartEmulator = Callable[[], Emulator]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{RUN_LAST}: run after all other tests (it wipes or stops the shared server)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: the run_last tests move to the end and keep their order.
    items.sort(key=lambda item: item.get_closest_marker(RUN_LAST) is not None)


@pytest.fixture(scope="session")
def server_log(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IO[str]]:
    """The file every server started by the tests writes its stderr to."""
    path = tmp_path_factory.mktemp("emulator") / "server-stderr.log"
    request.config.stash[_SERVER_LOG_PATH] = path
    with path.open("a") as log:
        yield log


@pytest.fixture(scope="session")
def start_emulator(server_log: IO[str]) -> StartEmulator:
    """Starts a server (`--port 0`, exits with this process) and waits for READY."""

    def start() -> Emulator:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0", "--parent-pid", str(os.getpid())],
            stdout=subprocess.PIPE,
            stderr=server_log,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        elapsed = time.monotonic() - started
        if not line.startswith("READY http://127.0.0.1:"):
            proc.kill()
            proc.wait()
            raise RuntimeError(f"server did not print READY (got {line!r}); its stderr is in {server_log.name}")
        return Emulator(proc=proc, url=line.split()[1], startup_seconds=elapsed)

    return start


@pytest.fixture(scope="session")
def emulator(start_emulator: StartEmulator) -> Iterator[Emulator]:
    """The server the tests share."""
    server = start_emulator()
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """After a failure, the servers' stderr (the session's servers have stopped by now)."""
    path = config.stash.get(_SERVER_LOG_PATH, None)
    failed = terminalreporter.stats.get("failed") or terminalreporter.stats.get("error")
    if path is None or not failed or not path.is_file():
        return
    text = path.read_text(errors="replace")
    if text.strip():
        terminalreporter.section(f"emulator server stderr ({path})")
        terminalreporter.write(text if text.endswith("\n") else text + "\n")

"""The federated demo's processes: starting and stopping them, and waiting on them stage by stage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx

from comity.errors import ComityError

T = TypeVar("T")

_CHILD_ENV_DROPPED = (
    "COMITY_HOME",
    "COMITY_DATABASE_URL",
    "COMITY_NODE_JURISDICTION",
    "COMITY_BASE_URL",
    "COMITY_LOG_ORIGIN",
)


class FederatedDemoError(ComityError):
    """The federated demo could not complete a stage; the message says which and why."""

    status = 500
    title = "Federated demo failed"
    type_slug = "federated-demo-failed"

    def __init__(self, stage: str, detail: str) -> None:
        super().__init__(f"stage {stage!r}: {detail}")
        self.stage = stage
        self.reason = detail


class StageTimeout(FederatedDemoError):
    """A stage did not complete within its time limit."""


# -- processes -----------------------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CHILD_ENV_DROPPED}
    env.setdefault("COMITY_LOG_LEVEL", "WARNING")
    return env


def start_process(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``comity ARGS`` with this interpreter, its output appended to ``log_path``."""
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603 (this interpreter, the demo's own arguments)
            [sys.executable, "-m", "comity.cli.main", *args],
            env=_child_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Processes:
    """The running processes; each wait checks they are still alive, so a crash is named at once."""

    def __init__(self) -> None:
        self.named: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}

    def add(self, name: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.named[name] = (process, log_path)

    def check(self, stage: str) -> None:
        for name, (process, log_path) in self.named.items():
            if process.poll() is not None:
                raise FederatedDemoError(
                    stage,
                    f"the {name} process exited with code {process.returncode}; its log ({log_path}):\n"
                    + _tail(log_path),
                )

    def stop_all(self) -> None:
        for process, _ in self.named.values():
            _stop(process)


def wait_for(processes: Processes, stage: str, what: str, probe: Callable[[], T | None], timeout: float) -> T:
    """Poll ``probe`` until it returns something; raise :class:`StageTimeout` naming the stage."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while True:
        processes.check(stage)
        try:
            found = probe()
        except (httpx.HTTPError, FederatedDemoError) as exc:
            found, last_error = None, str(exc)
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            suffix = f" (last: {last_error[:300]})" if last_error else ""
            raise StageTimeout(stage, f"timed out after {timeout:g}s waiting for {what}{suffix}")
        time.sleep(0.2)


def healthy(url: str) -> bool | None:
    """True once the server at ``url`` answers ``/healthz`` with 200 (None until then)."""
    try:
        return True if httpx.get(url + "/healthz", timeout=2).status_code == 200 else None
    except httpx.TransportError:
        return None

"""The worker in a background thread of another process (``comity serve --config FILE``).

The thread ticks every job every ``interval`` seconds, like ``comity worker``, and stops cleanly: the
server asks it to stop when it shuts down, and the thread finishes the tick it is in (each job's own
transactions commit or roll back) before :meth:`BackgroundWorker.stop` returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from types import TracebackType

from comity.web.container import Container
from comity.worker.jobs import Job, run_forever

log = logging.getLogger("comity.worker")


class BackgroundWorker:
    """A daemon thread that runs the node's periodic jobs until :meth:`stop`."""

    def __init__(
        self, container: Container, *, interval: float, extra: Mapping[str, Job] | None = None
    ) -> None:
        self.container = container
        self.interval = interval
        self.extra = dict(extra or {})
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="comity-worker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        log.info("worker started", extra={"interval": self.interval, "extra_jobs": sorted(self.extra)})
        try:
            run_forever(self.container, interval=self.interval, stop=self._stop, extra=self.extra)
        except Exception:  # tick() already isolates jobs; anything else is logged, never silently lost
            log.exception("worker thread stopped on an error")
        log.info("worker stopped")

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop after its current tick and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> BackgroundWorker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

"""A registry of periodic jobs and of outbox deliverers, filled by the features at import time.

A job is a function ``(container) -> int`` returning how many things it did (lapses applied, messages
delivered...). Each job runs its own transactions; a job that raises is logged and the others still run.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from comity.outbox.service import BATCHING_SWEEP, SINGLE_SWEEP, BatchDeliverer, Deliverer, deliver_due
from comity.web.container import Container

log = logging.getLogger("comity.worker")

Job = Callable[[Container], int]
DelivererFactory = Callable[[Container], Deliverer]

_JOBS: dict[str, Job] = {}
_DELIVERERS: dict[str, DelivererFactory] = {}

#: Feature modules that register jobs or deliverers when imported.
JOB_MODULES: tuple[str, ...] = (
    "comity.assistance_requests.jobs",
    "comity.measures.jobs",
    "comity.notices.jobs",
    "comity.translog.jobs",
    "comity.custody.jobs",
    "comity.federation.jobs",
    "comity.federation.pseudonyms",
)


def register_job(name: str) -> Callable[[Job], Job]:
    """Decorator: run ``fn`` on every worker tick under ``name``."""

    def _register(fn: Job) -> Job:
        _JOBS[name] = fn
        return fn

    return _register


def register_deliverer(channel: str, factory: DelivererFactory) -> None:
    """Declare how messages of ``channel`` are carried."""
    _DELIVERERS[channel] = factory


def jobs() -> dict[str, Job]:
    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(_JOBS)


@register_job("outbox")
def deliver_outbox(container: Container) -> int:
    """Deliver due outbox messages through the registered deliverers."""
    jobs()  # make sure every feature registered its deliverers
    deliverers = {channel: factory(container) for channel, factory in _DELIVERERS.items()}
    batching = [channel for channel, d in deliverers.items() if isinstance(d, BatchDeliverer)]
    delivered = 0
    # First the batching channels with a long sweep, then whatever else is due (one by one, a short sweep;
    # a message of a channel without deliverer is claimed there and fails with its reason).
    sweeps: tuple[tuple[list[str] | None, int], ...] = ((batching, BATCHING_SWEEP), (None, SINGLE_SWEEP))
    for channels, limit in sweeps:
        if channels == []:
            continue
        result = deliver_due(
            container.sessions,
            clock=container.clock,
            deliverers=deliverers,
            limit=limit,
            channels=channels,
        )
        delivered += result.delivered + result.failed
    return delivered


@dataclass
class TickReport:
    done: dict[str, int]
    errors: dict[str, str]


def tick(
    container: Container, *, only: tuple[str, ...] = (), extra: Mapping[str, Job] | None = None
) -> TickReport:
    """Run every registered job once (or only those named), and the ``extra`` jobs of this run (e.g. the
    witnessing a node's config file asks for)."""
    report = TickReport(done={}, errors={})
    for name, job in sorted((jobs() | dict(extra or {})).items()):
        if only and name not in only:
            continue
        try:
            report.done[name] = job(container)
        except Exception as exc:  # one failing job must not stop the others; it is logged and reported
            log.exception("worker job %s failed", name)
            report.errors[name] = f"{type(exc).__name__}: {exc}"
    return report


def run_forever(
    container: Container,
    *,
    interval: float = 1.0,
    stop: threading.Event | None = None,
    extra: Mapping[str, Job] | None = None,
) -> None:
    """Tick every ``interval`` seconds until interrupted (or until ``stop`` is set)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        started = time.monotonic()
        report = tick(container, extra=extra)
        if any(report.done.values()) or report.errors:
            log.info("worker tick", extra={"done": report.done, "errors": report.errors})
        stop.wait(max(0.0, interval - (time.monotonic() - started)))

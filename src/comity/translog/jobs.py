"""Worker jobs of the transparency log: integrate committed audit events and sign a checkpoint."""

from __future__ import annotations

from comity.errors import NotFound
from comity.translog import service
from comity.web.container import Container
from comity.worker.jobs import register_job


def integrate_once(container: Container, *, limit: int) -> service.IntegrationResult:
    """One batch in its own transaction, signed by the node's log key when the node has one."""
    with container.transaction() as session:
        try:
            signer: service.CheckpointSigner | None = service.node_log_signer(
                session, settings=container.settings, clock=container.clock
            )
        except NotFound:
            signer = None  # a node without a signing key still integrates; it signs once it has one
    with container.transaction() as session:
        return service.integrate_pending(session, clock=container.clock, signer=signer, limit=limit)


def drain(container: Container, *, limit: int = service.DEFAULT_BATCH) -> service.IntegrationResult:
    """Integrate until no full batch is left (a backlog is drained before the worker sleeps)."""
    result = integrate_once(container, limit=limit)
    total = result.integrated
    while result.integrated == limit:
        result = integrate_once(container, limit=limit)
        total += result.integrated
    return service.IntegrationResult(
        total, result.tree_size, result.root_hash, result.checkpoint, result.skipped
    )


@register_job("translog")
def integrate_job(container: Container) -> int:
    """Worker tick: bring the log up to date with every committed audit event."""
    return drain(container).integrated

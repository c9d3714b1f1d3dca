"""Worker jobs of notices: send deferred notices when their deferral ends, confirm delivered ones.

Importing this module also registers the ``email`` and ``platform`` deliverers.
"""

from __future__ import annotations

from comity.notices import delivery as _delivery  # noqa: F401  (registers the deliverers)
from comity.notices import service
from comity.web.container import Container
from comity.worker.jobs import register_job


@register_job("notices.deferral_end")
def release(container: Container) -> int:
    """Send every notice whose judge-approved deferral has ended."""
    with container.transaction() as session:
        return service.release_due(session, clock=container.clock)


@register_job("notices.delivery")
def confirm(container: Container) -> int:
    """Mark notices sent once their channel confirmed hand-over (or failed once it gave up)."""
    with container.transaction() as session:
        return service.sync_deliveries(session, clock=container.clock)

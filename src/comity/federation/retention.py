"""Purging the content of received messages once it has done its work, keeping what replay protection
and the record need.

A received message holds personal data twice: its sealed bytes (which this node can open) and the opened
body. Once the message was handled (its feature copied what it needed into its own tables, which have
their own retention and legal holds) and its expiry is past (so the sender's signature would be refused
as expired anyway), the content has no further use at the border: after ``retention`` the bytes and the
body are erased. What stays is the tombstone: message id, digest, sender, type, times and the signed
receipt this node answered with, which is all that deduplication (same digest), replay protection (same
id) and the delivery record need. Messages not handled (pending or given up) are never purged: an
administrator may still requeue them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from comity.audit import service as audit
from comity.clock import Clock
from comity.federation.model import ReceivedMessage
from comity.identity.principal import SYSTEM_ACTOR
from comity.transport.message import DEFAULT_MAX_SKEW
from comity.web.container import Container
from comity.worker.jobs import register_job

#: How long the content of a handled message is kept after its expiry (an operational choice, not law).
DEFAULT_RETENTION = timedelta(days=30)
#: The body left in place of a purged one.
PURGED_BODY: dict[str, bool] = {"purged": True}
#: Messages purged per transaction.
BATCH = 500


def purge_handled(container: Container, *, clock: Clock, retention: timedelta = DEFAULT_RETENTION) -> int:
    """Erase the content of handled messages expired more than ``retention`` ago; returns how many."""
    cutoff = clock.now() - retention - DEFAULT_MAX_SKEW
    done = 0
    while True:
        with container.transaction() as session:
            rows = session.scalars(
                select(ReceivedMessage)
                .where(
                    ReceivedMessage.retrieved_at.is_not(None),
                    ReceivedMessage.expires_at < cutoff,
                    ReceivedMessage.data != b"",
                )
                .order_by(ReceivedMessage.expires_at)
                .limit(BATCH)
                .with_for_update()
            ).all()
            for row in rows:
                row.data = b""
                row.body = dict(PURGED_BODY)
                audit.record(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    tag="federation:message:purged",
                    subject_type="federation_message",
                    subject_id=row.message_id,
                    details={"sender": row.sender, "type": row.kind, "digest": row.digest},
                )
        done += len(rows)
        if len(rows) < BATCH:
            return done


@register_job("federation.retention")
def retention_job(container: Container) -> int:
    """Worker tick: purge the content of handled, long-expired received messages."""
    return purge_handled(container, clock=container.clock)

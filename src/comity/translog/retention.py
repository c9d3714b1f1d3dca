"""Forgetting who acted: deleting the salts of actor commitments, leaving tombstones.

The log keeps only ``HMAC(salt, actor)``; once the salt is gone (and the audit event's actor purged by
the retention run), the commitment can neither be opened nor brute-forced, and the log still verifies.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from comity.audit.model import AuditEvent
from comity.clock import Clock
from comity.translog.model import ActorSaltRow


def forget_actors(session: Session, *, clock: Clock, audit_event_ids: Iterable[str]) -> int:
    """Delete the commitment salts of these audit events (tombstones stay); return how many were purged."""
    ids = list(audit_event_ids)
    if not ids:
        return 0
    seqs = select(AuditEvent.seq).where(AuditEvent.id.in_(ids)).scalar_subquery()
    result = session.execute(
        update(ActorSaltRow)
        .where(ActorSaltRow.audit_seq.in_(seqs), ActorSaltRow.salt.is_not(None))
        .values(salt=None, purged_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def actor_salt(session: Session, *, audit_event_id: str) -> bytes | None:
    """The salt that opens an event's actor commitment (None if not integrated yet or purged)."""
    salt = session.scalar(
        select(ActorSaltRow.salt)
        .join(AuditEvent, AuditEvent.seq == ActorSaltRow.audit_seq)
        .where(AuditEvent.id == audit_event_id)
    )
    return None if salt is None else bytes(salt)

"""Writing and reading audit events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.access import oversees
from comity.audit.model import TAG_PATTERN, AuditEvent
from comity.clock import Clock
from comity.errors import Forbidden
from comity.identity.principal import Principal
from comity.ids import new_id

#: Keys whose presence in details would smuggle personal data into the trail.
_FORBIDDEN_DETAIL_KEYS = frozenset({"name", "email", "address", "phone", "identifier", "identifiers"})


def record(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    tag: str,
    subject_type: str,
    subject_id: str,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits or rolls back with the change).

    ``tag`` is ``source:subject:action``; ``details`` hold ids and hashes only.
    """
    if not TAG_PATTERN.match(tag):
        raise ValueError(f"audit tag {tag!r} is not source:subject:action")
    payload = dict(details or {})
    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(payload)
    if leaked:
        raise ValueError(f"audit details may not carry personal data fields: {sorted(leaked)}")
    event = AuditEvent(
        id=new_id("evt"),
        occurred_at=clock.now(),
        actor=actor,
        tag=tag,
        subject_type=subject_type,
        subject_id=subject_id,
        details=payload,
    )
    session.add(event)
    return event


def events_for(session: Session, *, subject_type: str, subject_id: str) -> Sequence[AuditEvent]:
    """The trail of one subject, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.seq)
    )
    return session.scalars(stmt).all()


def list_events(session: Session, *, after_seq: int = 0, limit: int = 100) -> Sequence[AuditEvent]:
    """A page of the whole trail in order, for auditors and the transparency log."""
    stmt = select(AuditEvent).where(AuditEvent.seq > after_seq).order_by(AuditEvent.seq).limit(limit)
    return session.scalars(stmt).all()


def require_trail_reader(principal: Principal, *, node_jurisdiction: str) -> None:
    """Refuse (403) anyone but the oversight and node administrators of this node's jurisdiction."""
    if not oversees(principal, node_jurisdiction):
        raise Forbidden(
            f"the audit trail of this node is read by the oversight of {node_jurisdiction} and the node's "
            "administrators"
        )

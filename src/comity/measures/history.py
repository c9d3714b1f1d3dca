"""Audit events for measures and notices, chained into a running digest kept on the row.

Each state change writes its audit event in the caller's transaction (``from``/``to`` in the details) and
folds the event into ``row.audit_digest``. The invariant audit recomputes the digest from the stored
events: an event edited or deleted afterwards no longer matches (history rewritten), and a status that
differs from the last event's ``to`` was changed without an audit event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy.orm import Session

from comity.audit import service as audit
from comity.audit.model import AuditEvent
from comity.clock import Clock
from comity.signing.payload import canonical_json


class Chained(Protocol):
    id: str
    audit_digest: str


def fold(previous: str, event_id: str, tag: str, actor: str, details: Mapping[str, Any]) -> str:
    """The next digest: SHA-256 over the previous digest and the event's id, tag, actor and details."""
    material = canonical_json([previous, event_id, tag, actor, dict(details)])
    return hashlib.sha256(material).hexdigest()


def digest_of(events: Iterable[AuditEvent]) -> str:
    """The digest a row should carry, recomputed from its stored events in order."""
    value = ""
    for event in events:
        value = fold(value, event.id, event.tag, event.actor, event.details or {})
    return value


def record_change(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    source: str,
    subject_type: str,
    row: Chained,
    action: str,
    before: str | None,
    after: str | None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Write the audit event of one change of ``row`` and fold it into the row's digest.

    ``before``/``after`` are the statuses around the change (``None`` where the status did not change).
    """
    payload: dict[str, Any] = dict(details or {})
    if after is not None:
        payload["from"] = before
        payload["to"] = after
    event = audit.record(
        session,
        clock=clock,
        actor=actor,
        tag=f"{source}:{subject_type}:{action}",
        subject_type=subject_type,
        subject_id=row.id,
        details=payload,
    )
    row.audit_digest = fold(row.audit_digest or "", event.id, event.tag, event.actor, payload)
    return event

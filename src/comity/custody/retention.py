"""Retention: destroy evidence past its retention date unless held, leaving tombstones.

For each item whose ``retention_until`` has passed and that is not yet purged: if any legal hold or hold
source gives a reason, it is left untouched. Otherwise, in one transaction per item, the node signs a
``destroyed`` custody event with its node key (unless an officer already destroyed the item), the personal
data of the item and of its custody records is erased with the salts of their commitments, and a tombstone
(hash, ``purged_at``, ``purge_reason``) remains. The bytes are deleted from the store after that commit.
Signed envelopes and audit events hold ids and hashes only, so the transparency log still verifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from comity.audit import service as audit
from comity.audit.model import AuditEvent
from comity.clock import Clock, ensure_utc
from comity.custody import holds
from comity.custody.actors import node_actor
from comity.custody.events import lock_item
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.custody.service import delete_unreferenced, destroy, sweep_destroyed_bytes
from comity.custody.states import CustodyState
from comity.custody.store import EvidenceStore
from comity.db import transaction
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys.keystore import Keystore
from comity.translog import service as translog

#: States from which the node may destroy an item (in transit, the item is with someone else).
_DESTROYABLE = frozenset({CustodyState.OPEN, CustodyState.SEALED, CustodyState.RETURNED})
#: What replaces the actor of a purged custody audit event.
PURGED_ACTOR = "purged"


@dataclass(frozen=True, slots=True)
class RetentionOutcome:
    """What retention did (or, in a dry run, would do) to one item."""

    evidence_id: str
    sha256: str
    case_id: str
    retention_until: datetime
    outcome: str  # purged | held | skipped
    reasons: tuple[str, ...] = ()


@dataclass
class RetentionReport:
    """Every item past retention and its outcome."""

    dry_run: bool
    at: datetime
    outcomes: list[RetentionOutcome] = field(default_factory=list)
    swept: int = 0  # blobs of destroyed items deleted late (after an interrupted run)

    def count(self, outcome: str) -> int:
        """How many items had ``outcome``."""
        return sum(1 for o in self.outcomes if o.outcome == outcome)


def due_items(session: Session, *, at: datetime) -> list[str]:
    """Ids of items past retention and not yet purged, oldest retention first."""
    stmt = (
        select(EvidenceItem.id)
        .where(EvidenceItem.retention_until <= at, EvidenceItem.purged_at.is_(None))
        .order_by(EvidenceItem.retention_until, EvidenceItem.id)
    )
    return list(session.scalars(stmt))


def _outcome(item: EvidenceItem, outcome: str, reasons: list[str]) -> RetentionOutcome:
    return RetentionOutcome(
        evidence_id=item.id,
        sha256=item.sha256,
        case_id=item.case_id,
        retention_until=item.retention_until,
        outcome=outcome,
        reasons=tuple(reasons),
    )


def purge_item(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    jurisdiction: str,
    evidence_id: str,
    dry_run: bool = False,
) -> RetentionOutcome:
    """Apply retention to one item in the caller's transaction (see the module docstring)."""
    item = lock_item(session, evidence_id)
    now = ensure_utc(clock.now())
    reasons = holds.hold_reasons(session, item, at=now)
    if reasons:
        return _outcome(item, "held", reasons)
    state = CustodyState(item.state)
    if state is not CustodyState.DESTROYED and state not in _DESTROYABLE:
        return _outcome(item, "skipped", [f"the item is {state.value}: destroy it once received"])
    reason = f"retention ended {item.retention_until.date().isoformat()}"
    if dry_run:
        return _outcome(item, "purged", [reason])
    if state is not CustodyState.DESTROYED:
        actor = node_actor(session, clock=clock, keystore=keystore, jurisdiction=jurisdiction)
        destroy(session, clock=clock, actor=actor, item=item, note=None)
    item.source = None
    item.filename = None
    item.description = None
    item.personal_salt = None
    item.purged_at = now
    item.purge_reason = reason
    session.execute(
        update(CustodyEvent)
        .where(CustodyEvent.evidence_id == item.id)
        .values(note=None, note_salt=None, purged_at=now)
    )
    # Who handled the item is personal data too: the log forgets the salts of the actor commitments of its
    # custody audit events, after which the audit rows' actor names can go without breaking the log.
    trail = select(CustodyEvent.audit_event_id).where(CustodyEvent.evidence_id == item.id)
    translog.forget_actors(session, clock=clock, audit_event_ids=session.scalars(trail).all())
    session.execute(update(AuditEvent).where(AuditEvent.id.in_(trail)).values(actor=PURGED_ACTOR))
    audit.record(
        session,
        clock=clock,
        actor=SYSTEM_ACTOR,
        tag="custody:evidence:purged",
        subject_type="evidence",
        subject_id=item.id,
        details={"evidence_sha256": item.sha256, "case": item.case_id},
    )
    return _outcome(item, "purged", [reason])


def run(
    sessions: sessionmaker[Session],
    *,
    clock: Clock,
    keystore: Keystore,
    store: EvidenceStore,
    jurisdiction: str,
    dry_run: bool = False,
) -> RetentionReport:
    """Apply retention to every due item, one transaction each; bytes are deleted after each commit."""
    at = ensure_utc(clock.now())
    report = RetentionReport(dry_run=dry_run, at=at)
    with transaction(sessions) as session:
        due = due_items(session, at=at)
    for evidence_id in due:
        with transaction(sessions) as session:
            outcome = purge_item(
                session,
                clock=clock,
                keystore=keystore,
                jurisdiction=jurisdiction,
                evidence_id=evidence_id,
                dry_run=dry_run,
            )
        report.outcomes.append(outcome)
        if outcome.outcome == "purged" and not dry_run:
            with transaction(sessions) as session:
                delete_unreferenced(session, store=store, sha256=outcome.sha256)
    if not dry_run:
        with transaction(sessions) as session:
            report.swept = sweep_destroyed_bytes(session, store=store)
    return report

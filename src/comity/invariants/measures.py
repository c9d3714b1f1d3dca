"""The due-process invariants of measures and notices (DESIGN §3), as checks over the database.

Each check reads rows only and reports one violation per subject; the rules are the very functions the
service enforces (``measures.rules``), so a row written around the service (raw SQL, a bug, a restore) is
found by the same reasoning that would have refused it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit.model import AuditEvent
from comity.invariants.registry import Violation, register_invariant
from comity.kinds import AuthorityType
from comity.measures.history import digest_of
from comity.measures.model import EFFECTIVE_STATUSES, Measure, MeasureStatus
from comity.measures.rules import competent, is_human_actor, missing_elements
from comity.notices.model import Notice, NoticeKind, NoticeStatus

_NOT_SUBMITTED = frozenset({MeasureStatus.DRAFT.value, MeasureStatus.WITHDRAWN.value})
_AUTHORISED = frozenset({MeasureStatus.AUTHORISED.value, MeasureStatus.ANNOUNCED.value}) | EFFECTIVE_STATUSES


def _measures(session: Session) -> list[Measure]:
    return list(session.scalars(select(Measure).order_by(Measure.created_at, Measure.id)))


def _subject(measure: Measure) -> str:
    return f"measure:{measure.id}"


@register_invariant("measure_legal_elements")
def legal_elements(session: Session, now: datetime) -> Iterator[Violation]:
    """No measure without legal basis, justification, proportionality, authority, end or review date."""
    for m in _measures(session):
        if m.status == MeasureStatus.DRAFT.value or (m.status in _NOT_SUBMITTED and not m.policy_decision):
            continue  # never submitted: a draft may lack anything
        missing = missing_elements(m, for_validation=m.status in EFFECTIVE_STATUSES)
        if missing:
            yield Violation(
                "measure_legal_elements", _subject(m), "missing: " + ", ".join(e.path for e in missing)
            )


@register_invariant("measure_notice")
def notice_given(session: Session, now: datetime) -> Iterator[Violation]:
    """No measure affecting a person without a notice, or a judge-approved deferral with an end date."""
    notices: dict[str, list[Notice]] = defaultdict(list)
    for notice in session.scalars(select(Notice).where(Notice.kind == NoticeKind.MEASURE_NOTICE.value)):
        notices[notice.measure_id].append(notice)
    for m in _measures(session):
        if m.status not in EFFECTIVE_STATUSES or not m.affects_person:
            continue
        found = notices.get(m.id, [])
        if not found:
            yield Violation(
                "measure_notice", _subject(m), "the measure took effect but no notice was written"
            )
            continue
        for n in found:
            if n.status == NoticeStatus.DEFERRED.value and (
                not is_human_actor(n.deferral_approved_by)
                or n.deferred_until is None
                or not is_human_actor(m.notice_deferral_approved_by)
            ):
                yield Violation(
                    "measure_notice",
                    _subject(m),
                    f"notice {n.id} is deferred without a judge's approval and an end date",
                )


@register_invariant("prior_notice")
def prior_notice(session: Session, now: datetime) -> Iterator[Violation]:
    """No measure affecting a person without prior notice, unless a judge accepted why it was skipped."""
    for m in _measures(session):
        if m.status not in EFFECTIVE_STATUSES or not m.affects_person:
            continue
        skipped = is_human_actor(m.prior_notice_skip_approved_by) and bool(
            (m.prior_notice_skip_reason or "").strip()
        )
        told = (
            m.prior_notice_sent_at is not None
            and m.prior_notice_reply_until is not None
            and m.issued_at is not None
            and m.issued_at >= m.prior_notice_reply_until
        )
        if not (skipped or told):
            yield Violation(
                "prior_notice",
                _subject(m),
                "issued without a prior notice whose reply period ran, and no judge accepted skipping it",
            )


def _type(value: object) -> str | None:
    return str(value) if value else None


@register_invariant("competent_authority")
def competent_authority(session: Session, now: datetime) -> Iterator[Violation]:
    """No measure by an authority the regime does not make competent, nor without required validation."""
    for m in _measures(session):
        if m.status not in _AUTHORISED:
            continue
        problems = []
        decision = m.policy_decision or {}
        asked = m.policy_request or {}
        if decision.get("allowed") is not True:
            problems.append("no policy decision allowing it is kept")
        if _type(asked.get("issuer")) != m.issuer_authority_type:
            problems.append(
                f"decision asked for issuer {asked.get('issuer')}, measure says {m.issuer_authority_type}"
            )
        if _type(asked.get("validated_by")) != _type(m.validator_authority_type):
            problems.append(
                f"decision asked with validator {asked.get('validated_by')}, "
                f"measure says {m.validator_authority_type}"
            )
        if m.requires_validation and not m.validating_organisation:
            problems.append("the regime requires validation and none is recorded")
        holders = [AuthorityType(t) for t in (m.issuer_authority_type, m.validator_authority_type) if t]
        if not competent(holders, regime=m.regime, kind=m.kind, step=m.step, data_category=m.data_category):
            problems.append(f"{'/'.join(h.value for h in holders)} is not competent for a {m.step} {m.kind}")
        if problems:
            yield Violation("competent_authority", _subject(m), "; ".join(problems))


@register_invariant("provisional_review")
def provisional_review(session: Session, now: datetime) -> Iterator[Violation]:
    """No provisional measure outlives its review deadline unconfirmed."""
    stmt = select(Measure).where(
        Measure.status == MeasureStatus.ISSUED.value,
        Measure.provisional.is_(True),
        Measure.confirmed_at.is_(None),
    )
    for m in session.scalars(stmt):
        deadline = m.review_deadline or m.lapses_at
        if deadline is None or deadline < now:
            yield Violation(
                "provisional_review",
                _subject(m),
                f"provisional, unconfirmed and still in force past its review deadline {deadline}",
            )


@register_invariant("human_decision")
def human_decision(session: Session, now: datetime) -> Iterator[Violation]:
    """No measure decided solely by an automated score: a person decided and a person authorised."""
    for m in _measures(session):
        if m.status == MeasureStatus.DRAFT.value:
            continue
        if not is_human_actor(m.decided_by):
            yield Violation("human_decision", _subject(m), f"decided by {m.decided_by!r}, not a person")
        elif m.status in _AUTHORISED and not is_human_actor(m.authorised_by):
            yield Violation("human_decision", _subject(m), f"authorised by {m.authorised_by!r}, not a person")


def _events(session: Session, prefix: str) -> dict[str, list[AuditEvent]]:
    grouped: dict[str, list[AuditEvent]] = defaultdict(list)
    stmt = select(AuditEvent).where(AuditEvent.tag.like(f"{prefix}%")).order_by(AuditEvent.seq)
    for event in session.scalars(stmt):
        grouped[event.subject_id].append(event)
    return grouped


def _rows(session: Session) -> Iterator[tuple[str, Measure | Notice, list[AuditEvent]]]:
    measure_events = _events(session, "measures:measure:")
    for m in _measures(session):
        yield f"measure:{m.id}", m, measure_events.get(m.id, [])
    notice_events = _events(session, "notices:notice:")
    for n in session.scalars(select(Notice).order_by(Notice.created_at, Notice.id)):
        yield f"notice:{n.id}", n, notice_events.get(n.id, [])


@register_invariant("audit_trail")
def audit_trail(session: Session, now: datetime) -> Iterator[Violation]:
    """No state change without an audit event: the last recorded transition ends in the current status."""
    for subject, row, events in _rows(session):
        transitions = [e for e in events if "to" in (e.details or {})]
        last = transitions[-1].details["to"] if transitions else None
        if last != row.status:
            yield Violation(
                "audit_trail",
                subject,
                f"status is {row.status!r} but the audit trail's last transition ends in {last!r}",
            )


@register_invariant("history_rewritten")
def history_rewritten(session: Session, now: datetime) -> Iterator[Violation]:
    """No history rewritten: the stored events still fold into the digest written with them."""
    for subject, row, events in _rows(session):
        if digest_of(events) != row.audit_digest:
            yield Violation(
                "history_rewritten",
                subject,
                f"its {len(events)} audit events do not match the digest recorded with them: an event was "
                "altered or removed",
            )

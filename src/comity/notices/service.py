"""Notice use cases: write a notice with the measure that causes it, hold it while a judge-approved
deferral runs, release it when the deferral ends, and confirm it once its channel confirmed hand-over.

Called inside the measure service's transactions (``create_notice``) and by the worker (``release_due``,
``sync_deliveries``). Audit events are ``notices:notice:*``; details never carry the recipient.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.agreements.service import current_context
from comity.clock import Clock
from comity.errors import Forbidden
from comity.identity.model import Organisation
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.ids import new_id
from comity.kinds import Role
from comity.measures.history import record_change
from comity.measures.model import LadderStep, Measure
from comity.notices import access
from comity.notices.model import Channel, Notice, NoticeAction, NoticeKind, NoticeStatus, next_notice_status
from comity.outbox import service as outbox
from comity.outbox.model import OutboxMessage, OutboxStatus
from comity.signing.payload import canonical_json

SUBJECT = "notice"
#: The platform relays at its own pace: retry (with capped backoff) for about two days before alerting.
PLATFORM_MAX_ATTEMPTS = 60
#: Where a jurisdiction's profile is unavailable, Comity states this period (and says it is a default).
DEFAULT_CHALLENGE_DAYS = 30


def _change(
    session: Session,
    clock: Clock,
    actor: str,
    notice: Notice,
    action: NoticeAction,
    after: NoticeStatus,
    **details: Any,
) -> None:
    before = notice.status if action is not NoticeAction.CREATE else None
    notice.status = after.value
    record_change(
        session,
        clock=clock,
        actor=actor,
        source="notices",
        subject_type=SUBJECT,
        row=notice,
        action=action.value if action is not NoticeAction.CREATE else "created",
        before=before,
        after=after.value,
        details={"measure_id": notice.measure_id, "kind": notice.kind, "channel": notice.channel, **details},
    )


def _redress(session: Session, measure: Measure, given_at: datetime) -> dict[str, Any]:
    """How and until when to challenge the measure in court (issuing state's profile; e-Evidence Art. 18)."""
    profile = current_context(session).jurisdictions.get(measure.issuing_jurisdiction)
    days = profile.challenge_period_days if profile else DEFAULT_CHALLENGE_DAYS
    basis = (profile.challenge_period_basis if profile else "") or "the issuing state's law"
    redress: dict[str, Any] = {
        "court": f"the competent court of {measure.issuing_jurisdiction}",
        "challenge_period_days": days,
        "challenge_until": (given_at + timedelta(days=days)).isoformat(),
        "period_basis": basis,
        "remedies_source": "Regulation (EU) 2023/1543 Art. 18; Regulation (EU) 2022/2065 Art. 9(2)(a)(v)",
    }
    if LadderStep(measure.step) is LadderStep.VOLUNTARY_REQUEST:
        redress["platform"] = (
            "the platform's internal complaint handling and out-of-court dispute settlement "
            "(Regulation (EU) 2022/2065 Arts 20-21)"
        )
    return redress


def notice_content(
    session: Session, measure: Measure, *, kind: NoticeKind, given_at: datetime
) -> dict[str, Any]:
    """What the person is told (DSA Art. 9(2), 9(5), 10(2), 10(5); e-Evidence Arts 13, 18)."""
    issuer = session.get(Organisation, measure.issuing_organisation)
    decision = measure.policy_decision or {}
    criteria = {
        "offence": measure.offence,
        "proportionality": dict(measure.proportionality or {}),
        "rules_applied": [
            {"rule": r.get("rule"), "source": r.get("source")}
            for r in decision.get("reasons", [])
            if r.get("satisfied")
        ],
    }
    content: dict[str, Any] = {
        "notice_kind": kind.value,
        "measure_id": measure.id,
        "measure": measure.kind,
        "step": measure.step,
        "provisional": measure.provisional,
        "legal_basis": measure.legal_basis,
        "reasons": measure.justification,
        "territorial_scope": list(measure.territorial_scope or []),
        "criteria": criteria,
        "issuing_authority": {
            "organisation": measure.issuing_organisation,
            "name": issuer.name if issuer else measure.issuing_organisation,
            "jurisdiction": measure.issuing_jurisdiction,
        },
        "starts_at": measure.starts_at.isoformat() if measure.starts_at else None,
        "ends_at": measure.ends_at.isoformat() if measure.ends_at else None,
        "review_at": measure.review_at.isoformat() if measure.review_at else None,
        "redress": _redress(session, measure, given_at),
        "sources": [
            "Regulation (EU) 2022/2065 Art. 9(2), 9(5), 10(2), 10(5)",
            "Regulation (EU) 2023/1543 Arts 13, 18",
        ],
    }
    if kind is NoticeKind.PRIOR_NOTICE:
        content["intended"] = True
        content["reply_until"] = (
            measure.prior_notice_reply_until.isoformat() if measure.prior_notice_reply_until else None
        )
    return content


def _payload(notice: Notice, target: str | None) -> tuple[bytes, str]:
    """The bytes the channel carries: JSON for the platform relay (with the target so it can reach the
    account holder), a plain-text letter for e-mail."""
    if notice.channel == Channel.PLATFORM.value:
        body = {"notice_id": notice.id, "target": target, **notice.content}
        return canonical_json(body), "application/json"
    c = notice.content
    redress = c.get("redress", {})
    lines = [
        f"Notice {notice.id} about measure {c.get('measure_id')} ({c.get('measure')})",
        "",
        "This measure is intended (you may reply before it takes effect)."
        if c.get("intended")
        else "This measure was taken.",
        f"Legal basis: {c.get('legal_basis')}",
        f"Reasons: {c.get('reasons')}",
        f"Territorial scope: {', '.join(c.get('territorial_scope') or [])}",
        f"Issuing authority: {c.get('issuing_authority', {}).get('name')}",
        f"Criteria applied: {canonical_json(c.get('criteria', {})).decode('utf-8')}",
        f"You may challenge it before {redress.get('court')} until {redress.get('challenge_until')} "
        f"({redress.get('challenge_period_days')} days; {redress.get('period_basis')}).",
    ]
    if c.get("reply_until"):
        lines.append(f"You may reply until {c['reply_until']}.")
    return ("\n".join(lines) + "\n").encode("utf-8"), "text/plain; charset=utf-8"


def _send(session: Session, clock: Clock, actor: str, notice: Notice, target: str | None) -> None:
    payload, content_type = _payload(notice, target)
    message = outbox.enqueue(
        session,
        clock=clock,
        actor=actor,
        channel=notice.channel,
        destination=notice.recipient,
        kind=f"notice.{notice.kind}",
        payload=payload,
        subject_type=SUBJECT,
        subject_id=notice.id,
        content_type=content_type,
        idempotency_key=f"notice:{notice.id}:{notice.audit_digest[:16]}",
        max_attempts=PLATFORM_MAX_ATTEMPTS if notice.channel == Channel.PLATFORM.value else 8,
    )
    notice.outbox_message_id = message.id


def create_notice(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    measure: Measure,
    kind: NoticeKind,
    target: str | None,
) -> Notice:
    """Write the notice of ``measure`` in the caller's transaction: queued at once, or held while a
    judge-approved deferral runs (measure notices only; a prior notice is never deferred)."""
    now = clock.now()
    deferred = (
        kind is NoticeKind.MEASURE_NOTICE
        and measure.notice_deferral_approved_by is not None
        and measure.notice_deferral_until is not None
        and measure.notice_deferral_until > now
    )
    given_at = measure.notice_deferral_until if deferred and measure.notice_deferral_until else now
    channel = Channel(measure.notice_channel)
    recipient = measure.notice_email if channel is Channel.EMAIL and measure.notice_email else None
    if recipient is None:
        channel, recipient = Channel.PLATFORM, measure.addressee_organisation
    content = notice_content(session, measure, kind=kind, given_at=given_at)
    notice = Notice(
        id=new_id("ntc"),
        measure_id=measure.id,
        kind=kind.value,
        channel=channel.value,
        recipient=recipient,
        status=NoticeStatus.DEFERRED.value,
        content=content,
        challenge_until=given_at + timedelta(days=int(content["redress"]["challenge_period_days"])),
        deferred_until=measure.notice_deferral_until if deferred else None,
        deferral_reason=measure.notice_deferral_reason if deferred else None,
        deferral_approved_by=measure.notice_deferral_approved_by if deferred else None,
        outbox_message_id=None,
        sent_at=None,
        delivery_evidence={},
        created_at=now,
        audit_digest="",
    )
    session.add(notice)
    session.flush()
    status = NoticeStatus.DEFERRED if deferred else NoticeStatus.SENDING
    _change(session, clock, actor, notice, NoticeAction.CREATE, status)
    if not deferred:
        _send(session, clock, actor, notice, target)
    return notice


def release_due(session: Session, *, clock: Clock, limit: int = 500) -> int:
    """Send every notice whose deferral has ended (worker job); returns how many went out."""
    now = clock.now()
    stmt = (
        select(Notice)
        .where(Notice.status == NoticeStatus.DEFERRED.value, Notice.deferred_until <= now)
        .order_by(Notice.deferred_until)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    released = 0
    for notice in session.scalars(stmt).all():
        _change(session, clock, SYSTEM_ACTOR, notice, NoticeAction.RELEASE, NoticeStatus.SENDING)
        measure = session.get(Measure, notice.measure_id)
        _send(session, clock, SYSTEM_ACTOR, notice, _target_of(session, measure))
        released += 1
    return released


def _target_of(session: Session, measure: Measure | None) -> str | None:
    if measure is None or measure.target_id is None:
        return None
    from comity.cases.model import CaseTarget

    target = session.get(CaseTarget, measure.target_id)
    return target.identifier if target else None


def sync_deliveries(session: Session, *, clock: Clock, limit: int = 500) -> int:
    """Mark notices sent once their channel confirmed hand-over, or failed when it gave up (worker job)."""
    rows = session.execute(
        select(Notice, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == Notice.outbox_message_id)
        .where(
            Notice.status == NoticeStatus.SENDING.value,
            OutboxMessage.status.in_([OutboxStatus.DELIVERED.value, OutboxStatus.FAILED.value]),
        )
        .limit(limit)
    ).all()
    for notice, message in rows:
        if message.status == OutboxStatus.DELIVERED.value:
            notice.sent_at = message.delivered_at
            notice.delivery_evidence = dict(message.evidence or {})
            _change(
                session,
                clock,
                SYSTEM_ACTOR,
                notice,
                NoticeAction.CONFIRM,
                NoticeStatus.SENT,
                message_id=message.id,
            )
        else:
            _change(
                session,
                clock,
                SYSTEM_ACTOR,
                notice,
                NoticeAction.FAIL,
                NoticeStatus.FAILED,
                message_id=message.id,
            )
    return len(rows)


def resend(session: Session, *, clock: Clock, principal: Principal, notice_id: str) -> Notice:
    """Send a failed notice again (an officer who leads or investigates the measure's case)."""
    notice = access.notice_access(
        session, clock=clock, principal=principal, notice_id=notice_id, edit=True
    ).obj
    after = next_notice_status(notice.id, notice.status, NoticeAction.RESEND)
    _change(session, clock, principal.actor, notice, NoticeAction.RESEND, after)
    _send(
        session, clock, principal.actor, notice, _target_of(session, session.get(Measure, notice.measure_id))
    )
    return notice


def list_notices(
    session: Session, *, principal: None, measure_id: str | None = None, limit: int = 200
) -> Sequence[Notice]:
    """Every notice, newest first, for the node operator's CLI (callers use ``notices.access``)."""
    stmt = select(Notice)
    if measure_id is not None:
        stmt = stmt.where(Notice.measure_id == measure_id)
    return session.scalars(stmt.order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)).all()


def require_platform(principal: Principal) -> None:
    """Platform endpoints serve platforms only."""
    if principal.role is not Role.PLATFORM:
        raise Forbidden("only a platform picks up what is addressed to it")

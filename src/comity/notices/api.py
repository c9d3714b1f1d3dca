"""Notices over HTTP: list and read (with delivery status), ask for and approve a deferral, resend a failed
notice; the platform's inbox (fetch what is addressed to it, acknowledge pick-up); published statements of
reasons (no personal data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from comity.access import Basis, Granted
from comity.identity.principal import Principal
from comity.kinds import Role
from comity.measures import service as measures
from comity.measures.schemas import MeasureOut, NoticeDeferralIn, ReasonIn, measure_out
from comity.notices import access, delivery, service
from comity.notices.model import Notice, StatementOfReasons
from comity.notices.sor import published
from comity.outbox.model import OutboxMessage
from comity.web.container import Container
from comity.web.deps import get_container, public, require

router = APIRouter(tags=["notices"])

_READERS = require(Role.OFFICER, Role.JUDGE, Role.PLATFORM, Role.AUDITOR, Role.ADMINISTRATOR)
_OFFICER = require(Role.OFFICER)
_JUDGE = require(Role.JUDGE)
_PLATFORM = require(Role.PLATFORM)


def notice_json(notice: Notice, *, with_recipient: bool, content: bool = True) -> dict[str, Any]:
    """A notice with its delivery status; the recipient only for those who handle it; ``content=False``
    (oversight): its status and times, never what it says."""
    body: dict[str, Any] = {
        "id": notice.id,
        "measure_id": notice.measure_id,
        "kind": notice.kind,
        "channel": notice.channel,
        "status": notice.status,
        "content": notice.content if content else None,
        "challenge_until": notice.challenge_until,
        "deferred_until": notice.deferred_until,
        "deferral_approved": notice.deferral_approved_by is not None,
        "sent_at": notice.sent_at,
        "delivery_evidence": notice.delivery_evidence,
        "created_at": notice.created_at,
    }
    if with_recipient and content:
        body["recipient"] = notice.recipient
    return body


def _granted_json(granted: Granted[Notice], principal: Principal) -> dict[str, Any]:
    grant = granted.grant
    # Officers of the case handle the notice (they see its recipient); the platform relays it.
    handles = principal.role is Role.OFFICER and grant.basis in (Basis.MEMBERSHIP, Basis.MIRROR)
    return notice_json(granted.obj, with_recipient=handles, content=grant.sees_content)


@router.get("/notices")
def list_notices(
    measure_id: str | None = Query(None, max_length=40),
    principal: Principal = Depends(_READERS),
    container: Container = Depends(get_container),
) -> list[dict[str, Any]]:
    """Notices you may see, newest first."""
    with container.transaction() as session:
        rows = access.visible_notices(
            session, clock=container.clock, principal=principal, measure_id=measure_id
        )
        return [_granted_json(g, principal) for g in rows]


@router.get("/notices/{notice_id}")
def show_notice(
    notice_id: str, principal: Principal = Depends(_READERS), container: Container = Depends(get_container)
) -> dict[str, Any]:
    """One notice and its delivery status."""
    with container.transaction() as session:
        granted = access.notice_access(
            session, clock=container.clock, principal=principal, notice_id=notice_id
        )
        return _granted_json(granted, principal)


@router.post("/notices/{notice_id}/resend")
def resend(
    notice_id: str, principal: Principal = Depends(_OFFICER), container: Container = Depends(get_container)
) -> dict[str, Any]:
    """Send a failed notice again."""
    with container.transaction() as session:
        notice = service.resend(session, clock=container.clock, principal=principal, notice_id=notice_id)
        return notice_json(notice, with_recipient=True)


@router.post("/measures/{measure_id}/notice-deferral", response_model=MeasureOut)
def request_deferral(
    measure_id: str,
    body: NoticeDeferralIn,
    principal: Principal = Depends(_OFFICER),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """Ask that the notice be deferred until a date (a judge decides; bounded by the agreement)."""
    with container.transaction() as session:
        m = measures.request_notice_deferral(
            session, clock=container.clock, principal=principal, measure_id=measure_id, data=body
        )
        return measure_out(m, measures.allowed_actions(m, container.clock.now()))


@router.post("/measures/{measure_id}/notice-deferral/approve", response_model=MeasureOut)
def approve_deferral(
    measure_id: str,
    body: ReasonIn,
    principal: Principal = Depends(_JUDGE),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """A judge approves the requested deferral."""
    with container.transaction() as session:
        m = measures.approve_notice_deferral(
            session, clock=container.clock, principal=principal, measure_id=measure_id, note=body.reason
        )
        return measure_out(m, measures.allowed_actions(m, container.clock.now()))


def _message_json(message: OutboxMessage) -> dict[str, Any]:
    text = message.payload.decode("utf-8", "replace")
    return {
        "message_id": message.id,
        "kind": message.kind,
        "subject_type": message.subject_type,
        "subject_id": message.subject_id,
        "content_type": message.content_type,
        "payload": text,
        "created_at": message.created_at,
    }


@router.get("/platform/inbox")
def inbox(
    include_acknowledged: bool = False,
    principal: Principal = Depends(_PLATFORM),
    container: Container = Depends(get_container),
) -> list[dict[str, Any]]:
    """Orders (signed envelopes) and notices made available to your platform and not yet acknowledged."""
    with container.transaction() as session:
        rows = delivery.inbox(session, principal=principal, include_acknowledged=include_acknowledged)
        return [_message_json(m) for m in rows]


@router.post("/platform/inbox/{message_id}/ack")
def acknowledge(
    message_id: str, principal: Principal = Depends(_PLATFORM), container: Container = Depends(get_container)
) -> dict[str, Any]:
    """Acknowledge picking a message up (idempotent): this is the relay's delivery confirmation."""
    with container.transaction() as session:
        ack = delivery.acknowledge(session, clock=container.clock, principal=principal, message_id=message_id)
        return {"message_id": ack.message_id, "acknowledged_at": ack.acknowledged_at}


@router.get("/statements-of-reasons", dependencies=[Depends(public)])
def statements(
    limit: int = Query(100, ge=1, le=1000), container: Container = Depends(get_container)
) -> list[dict[str, Any]]:
    """Published statements of reasons (DSA Transparency Database v2 fields; no personal data)."""
    with container.transaction() as session:
        rows = session.scalars(
            select(StatementOfReasons).order_by(StatementOfReasons.submitted_at.desc()).limit(limit)
        ).all()
        return [{"id": r.id, "statement": published(r.statement)} for r in rows]

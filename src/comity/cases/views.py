"""Read models of case files (API, pages, CLI): the file, its summary, deadlines and timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from comity.assistance_requests import service as requests_service
from comity.assistance_requests.model import TERMINAL, Status
from comity.cases import service
from comity.cases.model import Case, CaseMember, CaseOffence, CaseTarget, JointTeam
from comity.cases.schemas import (
    CaseDetail,
    CaseSummary,
    DeadlineEntry,
    MemberRead,
    OffenceRead,
    TargetRead,
    TeamRead,
    TimelineEntry,
)
from comity.errors import ComityError
from comity.keys.keystore import Keystore
from comity.web.container import Container

#: The node-wide secret that keys target hashes (never leaves the keystore).
MATCHING_SECRET = ("comity-case-matching", 1)


def matching_key(container: Container) -> bytes:
    """The node's key for hashing target identifiers (for matching cases without exposing identifiers)."""
    return Keystore.for_settings(container.settings).secret_for(*MATCHING_SECRET)


def case_detail(session: Session, case: Case, *, with_identifiers: bool = True) -> CaseDetail:
    """The whole case file; identifiers only where the reader may see personal data."""
    from sqlalchemy import select

    def rows(model: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.case_id == case.id).order_by(model.id)))

    targets = [
        TargetRead(
            id=t.id,
            kind=t.kind,
            identifier=t.identifier if with_identifiers else None,
            data_category=t.data_category,
            identifier_hash=t.identifier_hash,
            platform=t.platform,
            added_at=t.added_at,
        )
        for t in rows(CaseTarget)
    ]
    return CaseDetail(
        id=case.id,
        title=case.title,
        status=case.status,
        jurisdictions=service.jurisdictions(session, case),
        summary=case.summary,
        lead_jurisdiction=case.lead_jurisdiction,
        jurisdictional_links=[str(x) for x in case.jurisdictional_links],
        opened_by=case.opened_by,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        close_reason=case.close_reason,
        reopen_count=case.reopen_count,
        offences=[OffenceRead.model_validate(o, from_attributes=True) for o in rows(CaseOffence)],
        targets=targets,
        members=[MemberRead.model_validate(m, from_attributes=True) for m in rows(CaseMember)],
        teams=[TeamRead.model_validate(t, from_attributes=True) for t in rows(JointTeam)],
    )


def summary(session: Session, case: Case) -> CaseSummary:
    """id, title, status and jurisdictions of a case."""
    return CaseSummary(
        id=case.id, title=case.title, status=case.status, jurisdictions=service.jurisdictions(session, case)
    )


def deadlines(session: Session, case_id: str) -> list[DeadlineEntry]:
    """Open deadlines of the case's requests, soonest first."""
    sources = {
        "due_at": "addressee's deadline (e-Evidence Art. 10; agreement)",
        "review_ends_at": "executing state's review window (Art. 10(2), 10(4), 12)",
        "preservation_ends_at": "preservation period (Art. 11(1); Budapest Art. 29(7))",
        "ex_post_due_at": "ex-post validation (Art. 4(5))",
    }
    out: list[DeadlineEntry] = []
    for request in requests_service.requests_of_case(session, case_id):
        if Status(request.status) in TERMINAL:
            continue
        for name, source in sources.items():
            value: datetime | None = getattr(request, name)
            if value is None or (name == "ex_post_due_at" and request.validated_at is not None):
                continue
            out.append(DeadlineEntry(request_id=request.id, kind=name, due_at=value, source=source))
    return sorted(out, key=lambda d: d.due_at)


def _sent(session: Session, request_id: str) -> list[TimelineEntry]:
    """Delivery evidence of what this node sent to a peer about a request: ACCEPTED, DELIVERED, RETRIEVED."""
    from sqlalchemy import select

    from comity.federation.outbound import CHANNEL
    from comity.federation.receipts import evidence_from_envelope
    from comity.outbox.model import OutboxMessage
    from comity.signing.envelope import Envelope

    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == CHANNEL,
            OutboxMessage.subject_type == "assistance_request",
            OutboxMessage.subject_id == request_id,
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    out: list[TimelineEntry] = []
    for row in rows:
        message_id = (row.idempotency_key or "").removeprefix("federation:")
        base = {"request_id": request_id, "message_type": row.kind}
        kept = row.evidence or {}
        receipt = kept.get("receipt") if isinstance(kept.get("receipt"), dict) else None
        for index, raw in enumerate(receipt.get("evidence", []) if receipt else []):
            try:
                evidence = evidence_from_envelope(Envelope.from_obj(raw), f"evidence[{index}]")
            except (ComityError, ValueError, TypeError, KeyError):
                continue  # verified when stored; an unreadable one is not shown rather than guessed
            out.append(
                TimelineEntry(
                    at=evidence.at,
                    actor=f"node:{evidence.recipient}",
                    tag=f"federation:message:{evidence.kind.value}",
                    subject_type="federation_message",
                    subject_id=message_id,
                    details={**base, "evidence": evidence.kind.value, "digest": evidence.digest},
                )
            )
        retrieval = kept.get("retrieval")
        if isinstance(retrieval, dict) and retrieval.get("at"):
            out.append(
                TimelineEntry(
                    at=datetime.fromisoformat(str(retrieval["at"])),
                    actor=f"node:{retrieval.get('by', row.destination)}",
                    tag="federation:message:retrieved",
                    subject_type="federation_message",
                    subject_id=message_id,
                    details={**base, "evidence": "retrieved"},
                )
            )
    return out


def _received(session: Session, request_id: str) -> list[TimelineEntry]:
    """Messages received from the peer about a request (the steps they carried name them)."""
    from comity.federation.model import ReceivedMessage

    out: list[TimelineEntry] = []
    for step in requests_service.steps_of(session, request_id):
        message_id = (step.details or {}).get("message_id")
        if not step.actor.startswith("node:") or not isinstance(message_id, str):
            continue
        message = session.get(ReceivedMessage, message_id)
        if message is None:
            continue
        out.append(
            TimelineEntry(
                at=message.received_at,
                actor=f"node:{message.sender}",
                tag="federation:message:received",
                subject_type="federation_message",
                subject_id=message.message_id,
                details={
                    "request_id": request_id,
                    "message_type": message.kind,
                    "digest": message.digest,
                    "step": str(step.seq),
                },
            )
        )
    return out


def timeline(session: Session, case_id: str) -> list[TimelineEntry]:
    """The case's audit trail, with its requests' steps and, for federated requests, the messages
    exchanged with the peer node (delivery and retrieval evidence of what was sent, what was received)."""
    requests = requests_service.requests_of_case(session, case_id)
    extra = [("assistance_request", r.id) for r in requests]
    entries = [
        TimelineEntry(
            at=e.occurred_at, actor=e.actor, tag=e.tag, subject_type=e.subject_type, subject_id=e.subject_id
        )
        for e in service.timeline(session, case_id, extra_subjects=extra)
    ]
    federated = [r for r in requests if r.federated_with is not None]
    if not federated:
        return entries
    for request in federated:
        entries.extend(_sent(session, request.id))
        entries.extend(_received(session, request.id))
    return sorted(entries, key=lambda e: e.at)  # stable: the trail's own order among equal instants

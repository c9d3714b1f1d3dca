"""The mirror of a request on the executing node, built from the request the issuing node transmitted.

The issuing node transmits a request to a peer node (``transmission``); here, on the executing node, the
``assistance_request`` handler builds its **mirror** under the same ids as the issuing node (case,
offence, targets, request): the remote issuing authority as an organisation of its jurisdiction, a case
whose ``origin_node`` is the issuing node, and the request with ``mirror`` set, in the status the issuing
node moved it to, with the deadlines as sent. Its first step, ``receive``, is recorded with this node's own
policy decision. The steps taken afterwards travel both ways (``federated``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.assistance_requests.federated import message_facts, required_text
from comity.assistance_requests.model import RECEIVE, AssistanceRequest, Procedure, Status
from comity.assistance_requests.service import ask_engine, record_step
from comity.assistance_requests.transmission import MESSAGE_KIND
from comity.audit import service as audit
from comity.cases.model import Case, CaseOffence, CaseStatus, CaseTarget
from comity.clock import Clock
from comity.errors import Conflict
from comity.federation.dispatch import HandlerContext, register_handler
from comity.federation.model import ReceivedMessage
from comity.identity.model import Organisation
from comity.ids import new_id
from comity.kinds import AuthorityType, OrganisationKind

#: What a mirrored target's identifier says when the agreement did not let the identifier travel.
WITHHELD_PREFIX = "(withheld by "


def withheld_identifier(sender: str, category: str) -> str:
    """The placeholder stored as the identifier of a target whose value the issuing node did not send."""
    return f"{WITHHELD_PREFIX}{sender}: {category} data not shared under the agreement)"


def _instant(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise Conflict(f"not an instant: {str(value)[:40]!r}") from None


def _issuing_organisation(
    session: Session, *, clock: Clock, sender: str, name: str, authority_type: AuthorityType
) -> Organisation:
    """The organisation standing for the remote issuing authority (one per name and jurisdiction)."""
    found = session.scalars(
        select(Organisation)
        .where(
            Organisation.name == name,
            Organisation.jurisdiction == sender,
            Organisation.kind == OrganisationKind.AUTHORITY.value,
        )
        .order_by(Organisation.created_at, Organisation.id)
        .limit(1)
    ).first()
    if found is not None:
        return found
    org = Organisation(
        id=new_id("org"),
        name=name[:200],
        kind=OrganisationKind.AUTHORITY.value,
        jurisdiction=sender,
        authority_type=authority_type.value,
        created_at=clock.now(),
    )
    session.add(org)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor=f"node:{sender}",
        tag="identity:organisation:mirrored",
        subject_type="organisation",
        subject_id=org.id,
        details={"jurisdiction": sender, "authority_type": authority_type.value},
    )
    return org


def _local_addressee(session: Session, name: Any, jurisdiction: str) -> str | None:
    if not isinstance(name, str) or not name:
        return None
    return session.scalars(
        select(Organisation.id)
        .where(
            Organisation.name == name,
            Organisation.jurisdiction == jurisdiction,
            Organisation.kind == OrganisationKind.PLATFORM.value,
        )
        .order_by(Organisation.created_at, Organisation.id)
        .limit(1)
    ).first()


def _mirror_case(
    session: Session, *, clock: Clock, sender: str, facts: Mapping[str, Any], org: Organisation
) -> Case:
    case_id = required_text(facts, "case_id")
    request_id = required_text(facts, "request_id")
    case = session.get(Case, case_id)
    if case is not None:
        if case.origin_node != sender:
            raise Conflict(f"case {case_id} exists on this node and is not a mirror of {sender}'s")
        return case
    now = clock.now()
    links = facts.get("jurisdictional_links")
    case = Case(
        id=case_id,
        title=f"Request {request_id} from {sender}",
        summary="",
        lead_jurisdiction=sender,
        lead_organisation_id=org.id,
        jurisdictional_links=[str(link) for link in links] if isinstance(links, list) else [],
        status=CaseStatus.OPEN.value,
        opened_by=f"node:{sender}",
        opened_at=now,
        closed_at=None,
        close_reason=None,
        reopen_count=0,
        origin_node=sender,
    )
    session.add(case)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor=f"node:{sender}",
        tag="cases:case:mirrored",
        subject_type="case",
        subject_id=case.id,
        details={"origin_node": sender, "request_id": request_id, "to": CaseStatus.OPEN.value},
    )
    return case


def _mirror_offence(
    session: Session, *, clock: Clock, sender: str, facts: Mapping[str, Any], case: Case
) -> CaseOffence:
    offence_id = required_text(facts, "offence_id")
    offence = session.get(CaseOffence, offence_id)
    if offence is not None:
        if offence.case_id != case.id:
            raise Conflict(f"offence {offence_id} exists on this node in another case")
        return offence
    offence = CaseOffence(
        id=offence_id,
        case_id=case.id,
        taxonomy_code=required_text(facts, "offence"),
        jurisdiction=sender,
        statute=required_text(facts, "statute"),
        added_by=f"node:{sender}",
        added_at=clock.now(),
    )
    session.add(offence)
    return offence


def _mirror_targets(
    session: Session,
    *,
    clock: Clock,
    sender: str,
    facts: Mapping[str, Any],
    data: Mapping[str, Any],
    case: Case,
) -> list[str]:
    """The targets under the issuing node's ids; identifiers where they came, a placeholder elsewhere."""
    listed = facts.get("targets")
    if not isinstance(listed, list):
        return []
    # The data carry, per category and kind, the identifiers in the order of the targets listed.
    remaining: dict[tuple[str, str], list[str]] = {}
    for category, fields in data.items():
        if not isinstance(fields, dict):
            continue
        for kind, values in fields.items():
            if isinstance(values, list):
                remaining[(str(category), str(kind))] = [str(v) for v in values]
            elif isinstance(values, str):
                remaining[(str(category), str(kind))] = [values]
    ids: list[str] = []
    for entry in listed:
        if not isinstance(entry, dict):
            continue
        target_id = required_text(entry, "target_id")
        kind = required_text(entry, "kind")
        category = str(entry.get("category") or "")
        values = remaining.get((category, kind))
        identifier = values.pop(0) if values else withheld_identifier(sender, category or "its")
        target = session.get(CaseTarget, target_id)
        if target is not None:
            if target.case_id != case.id:
                raise Conflict(f"target {target_id} exists on this node in another case")
        else:
            session.add(
                CaseTarget(
                    id=target_id,
                    case_id=case.id,
                    kind=kind,
                    identifier=identifier[:500],
                    data_category=category or "subscriber",
                    identifier_hash=str(entry.get("hash") or "")[:64],
                    platform=None,
                    added_by=f"node:{sender}",
                    added_at=clock.now(),
                )
            )
        ids.append(target_id)
    return ids


@register_handler(MESSAGE_KIND)
def receive_request(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    """Build (once) the mirror of a request the issuing node transmitted to this one."""
    try:
        _receive_request(session, context, message)
    except (ValueError, TypeError, KeyError) as exc:  # a malformed message: retried, then an alert
        raise Conflict(f"request message {message.message_id} is malformed: {exc}") from None


def _receive_request(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    facts = message_facts(message)
    sender = message.sender
    request_id = required_text(facts, "request_id")
    if facts.get("from_state") != sender or facts.get("to_state") != context.node:
        raise Conflict(f"request {request_id} is not from {sender} to {context.node}")
    existing = session.get(AssistanceRequest, request_id)
    if existing is not None:
        if existing.mirror and existing.federated_with == sender:
            return  # received before (a re-queued or resent message): one mirror only
        raise Conflict(f"request {request_id} exists on this node and is not a mirror of {sender}'s")
    try:
        procedure = Procedure(required_text(facts, "procedure"))
        status = Status(required_text(facts, "status"))
        authority = AuthorityType(
            str(facts.get("issuer_authority_type") or facts.get("issuer_authority") or "")
        )
        issuer_authority = AuthorityType(required_text(facts, "issuer_authority"))
    except ValueError as exc:
        raise Conflict(f"request {request_id}: {exc}") from None
    clock = context.clock
    now = clock.now()
    org = _issuing_organisation(
        session,
        clock=clock,
        sender=sender,
        name=str(facts.get("issuer_organisation") or f"{sender} issuing authority"),
        authority_type=authority,
    )
    case = _mirror_case(session, clock=clock, sender=sender, facts=facts, org=org)
    offence = _mirror_offence(session, clock=clock, sender=sender, facts=facts, case=case)
    data = message.body.get("data") if isinstance(message.body.get("data"), dict) else {}
    target_ids = _mirror_targets(session, clock=clock, sender=sender, facts=facts, data=data or {}, case=case)
    created_at = _instant(facts.get("created_at")) or now
    request = AssistanceRequest(
        id=request_id,
        case_id=case.id,
        procedure=procedure.value,
        regime=required_text(facts, "regime"),
        measure=required_text(facts, "measure"),
        data_category=facts.get("data_category"),
        emergency=bool(facts.get("emergency")),
        agreement_id=message.agreement_id,
        agreement_version=int(facts.get("agreement_version") or message.agreement_version),
        offence_id=offence.id,
        offence_code=offence.taxonomy_code,
        statute=offence.statute,
        from_state=sender,
        to_state=context.node,
        addressee_organisation_id=_local_addressee(
            session, facts.get("addressee_organisation"), context.node
        ),
        target_ids=target_ids,
        time_from=_instant(facts.get("time_from")),
        time_to=_instant(facts.get("time_to")),
        committed_in_issuing=facts.get("committed_in_issuing"),
        person_resides_in_issuing=facts.get("person_resides_in_issuing"),
        issuer_authority=issuer_authority.value,
        validated_by_authority=facts.get("validated_by_authority"),
        validated_at=_instant(facts.get("validated_at")),
        status=status.value,
        notify_executing_state=bool(facts.get("notify_executing_state")),
        suspensive=bool(facts.get("suspensive")),
        transmitted_at=_instant(facts.get("transmitted_at")) or now,
        due_at=_instant(facts.get("due_at")),
        review_ends_at=_instant(facts.get("review_ends_at")),
        preservation_ends_at=_instant(facts.get("preservation_ends_at")),
        ex_post_due_at=_instant(facts.get("ex_post_due_at")),
        extension_count=0,
        grounds=[],
        grounds_partial=None,
        non_execution_reasons=[],
        created_by=f"node:{sender}",
        created_at=min(created_at, now),
        updated_at=now,
        step_count=0,
        federated_with=sender,
        mirror=True,
    )
    from comity.assistance_requests.model import in_machine

    if not in_machine(procedure, None, RECEIVE, status.value):
        raise Conflict(f"request {request_id} cannot arrive {status.value} under {procedure.value}")
    session.add(request)
    session.flush()
    # This node's own view of the request (recorded, not blocking: its officers review it and may refuse).
    resolution = ask_engine(session, request, now=now)
    record_step(
        session,
        clock=clock,
        actor=f"node:{sender}",
        request=request,
        action=RECEIVE,
        from_status=None,
        resolution=resolution,
        details={
            "message_id": message.message_id,
            "digest": message.digest,
            "agreement_id": message.agreement_id,
            "agreement_version": message.agreement_version,
            "target_ids": target_ids,
            "addressee_mapped": request.addressee_organisation_id is not None,
        },
    )


__all__ = [
    "WITHHELD_PREFIX",
    "receive_request",
    "withheld_identifier",
]

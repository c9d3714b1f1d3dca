"""Sending a request to the executing jurisdiction: egress gate (minimise, mark, sign) then the outbox.

The message carries the request's facts (ids, codes, deadlines) and, as data, the targets' identifiers
under their data category. Categories the agreement does not cover are withheld before the gate (the
executing side then has the target ids and keyed hashes only) and the step records which were withheld;
within a covered category the gate keeps only the agreement's shareable fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from comity.agreements.model import Agreement
from comity.assistance_requests.model import AssistanceRequest
from comity.cases.model import CaseTarget
from comity.clock import Clock
from comity.errors import Conflict, NotFound
from comity.keys.keystore import Keystore
from comity.keys.queries import signer_for
from comity.kinds import DataCategory
from comity.outbox import service as outbox
from comity.policy.schemas import iso_instant
from comity.signing.keys import KeyPurpose
from comity.transport.egress import EgressGate, Outbound
from comity.transport.inprocess import InProcessNetwork
from comity.transport.tlp import Tlp

#: The outbox channel of messages to other jurisdictions' nodes.
CHANNEL = "jurisdiction"
MESSAGE_KIND = "assistance_request"


def _body(
    session: Session, request: AssistanceRequest, agreement: Agreement
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
    facts: dict[str, Any] = {
        "request_id": request.id,
        "case_id": request.case_id,
        "procedure": request.procedure,
        "regime": request.regime,
        "measure": request.measure,
        "data_category": request.data_category,
        "emergency": request.emergency,
        "offence": request.offence_code,
        "statute": request.statute,
        "from_state": request.from_state,
        "to_state": request.to_state,
        "addressee_organisation_id": request.addressee_organisation_id,
        "time_from": iso_instant(request.time_from),
        "time_to": iso_instant(request.time_to),
        "notify_executing_state": request.notify_executing_state,
        "due_at": iso_instant(request.due_at),
        "review_ends_at": iso_instant(request.review_ends_at),
        "preservation_ends_at": iso_instant(request.preservation_ends_at),
        "targets": [],
    }
    data: dict[str, dict[str, Any]] = {}
    withheld: set[str] = set()
    for target_id in request.target_ids:
        target = session.get(CaseTarget, target_id)
        if target is None:  # targets are never deleted while a request names them
            continue
        facts["targets"].append({"target_id": target.id, "kind": target.kind, "hash": target.identifier_hash})
        category = DataCategory(target.data_category)
        if category not in agreement.data_categories:
            withheld.add(category.value)
            continue
        values = data.setdefault(category.value, {}).setdefault(target.kind, [])
        values.append(target.identifier)
    return facts, data, sorted(withheld)


def enqueue_request(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    request: AssistanceRequest,
    agreement: Agreement,
    keystore: Keystore,
) -> Mapping[str, Any]:
    """Minimise, sign and queue the request for its executing jurisdiction, in the caller's transaction.

    Returns what the step records: message id, digest, fields kept/dropped (names only), withheld categories.
    """
    facts, data, withheld = _body(session, request, agreement)
    try:
        signer = signer_for(
            session,
            keystore=keystore,
            purpose=KeyPurpose.NODE_SIGNING,
            jurisdiction=request.from_state,
            at=clock.now(),
        )
    except NotFound as exc:
        # The request exists; what is missing is this node's key: a state to fix, not an unknown id.
        raise Conflict(
            f"cannot sign for {request.from_state}: {exc.detail}; register a node signing key"
        ) from exc
    # ``prepare`` never touches the transport (the outbox worker carries the bytes); the gate still wants one.
    gate = EgressGate(
        node=request.from_state,
        signer=signer,
        clock=clock,
        secrets=keystore,
        transport=InProcessNetwork().transport(request.from_state),
    )
    item = Outbound(
        kind=MESSAGE_KIND, recipient=request.to_state, tlp=Tlp.AMBER_STRICT, facts=facts, data=data
    )
    prepared = gate.prepare(item, agreement=agreement)
    message = outbox.enqueue(
        session,
        clock=clock,
        actor=actor,
        channel=CHANNEL,
        destination=request.to_state,
        kind=MESSAGE_KIND,
        payload=prepared.data,
        subject_type="assistance_request",
        subject_id=request.id,
        idempotency_key=f"{request.id}:transmit",
    )
    return {
        "message_id": prepared.message_id,
        "outbox_id": message.id,
        "digest": prepared.digest,
        "kept": list(prepared.minimisation.kept),
        "dropped": list(prepared.minimisation.dropped),
        "withheld_categories": withheld,
    }

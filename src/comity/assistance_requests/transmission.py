"""Sending a request to the executing jurisdiction: egress gate (minimise, mark, sign) then the outbox.

The message carries the request's facts (ids, codes, deadlines) and, as data, the targets' identifiers
under their data category. Categories the agreement does not cover are withheld before the gate (the
executing side then has the target ids and keyed hashes only) and the step records which were withheld;
within a covered category the gate keeps only the agreement's shareable fields.

Where the executing state is an active peer in this node's federation directory the message goes to that
node through ``comity.federation.outbound.send`` (sealed to its encryption key, outbox channel
``federation``) with what it needs to build its mirror (case links, offence id, the issuing organisation
and the addressee by name, the status and deadlines set here), and the request is marked
``federated_with`` it. Otherwise both sides live on this node: the in-process ``jurisdiction`` channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from comity.agreements.model import Agreement
from comity.assistance_requests.model import AssistanceRequest, Status
from comity.cases.model import Case, CaseTarget
from comity.clock import Clock
from comity.errors import Conflict, NotFound
from comity.federation.errors import UnknownPeer
from comity.identity.model import Organisation
from comity.keys.keystore import Keystore
from comity.keys.queries import signer_for
from comity.kinds import DataCategory
from comity.outbox import service as outbox
from comity.policy.schemas import iso_instant
from comity.signing.keys import KeyPurpose
from comity.transport.egress import EgressGate, Outbound, Prepared
from comity.transport.inprocess import InProcessNetwork
from comity.transport.tlp import Tlp

#: The outbox channel of messages to other jurisdictions' nodes.
CHANNEL = "jurisdiction"
MESSAGE_KIND = "assistance_request"


def peer_for(session: Session, request: AssistanceRequest) -> str | None:
    """The peer node holding the executing side of ``request`` (None: it lives on this node too)."""
    from comity.federation.directory import active_peer

    try:
        return active_peer(session, request.to_state).jurisdiction
    except UnknownPeer:
        return None


def _mirror_facts(session: Session, request: AssistanceRequest, status: Status | None) -> dict[str, Any]:
    """What the executing node needs to build its mirror (ids, codes, names of organisations, instants)."""
    case = session.get(Case, request.case_id)
    assert case is not None  # a request's case is never deleted
    issuer = session.get(Organisation, case.lead_organisation_id)
    addressee = (
        session.get(Organisation, request.addressee_organisation_id)
        if request.addressee_organisation_id
        else None
    )
    return {
        "status": (status or Status(request.status)).value,
        "jurisdictional_links": [str(link) for link in case.jurisdictional_links],
        "offence_id": request.offence_id,
        "agreement_version": request.agreement_version,
        "issuer_organisation": issuer.name if issuer else "",
        "issuer_authority_type": issuer.authority_type if issuer else request.issuer_authority,
        "issuer_authority": request.issuer_authority,
        "addressee_organisation": addressee.name if addressee else None,
        "validated_by_authority": request.validated_by_authority,
        "validated_at": iso_instant(request.validated_at),
        "committed_in_issuing": request.committed_in_issuing,
        "person_resides_in_issuing": request.person_resides_in_issuing,
        "suspensive": request.suspensive,
        "created_at": iso_instant(request.created_at),
        "transmitted_at": iso_instant(request.transmitted_at),
        "ex_post_due_at": iso_instant(request.ex_post_due_at),
    }


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
        facts["targets"].append(
            {
                "target_id": target.id,
                "kind": target.kind,
                "category": target.data_category,
                "hash": target.identifier_hash,
            }
        )
        category = DataCategory(target.data_category)
        if category not in agreement.data_categories:
            withheld.add(category.value)
            continue
        values = data.setdefault(category.value, {}).setdefault(target.kind, [])
        values.append(target.identifier)
    return facts, data, sorted(withheld)


def _recorded(prepared: Prepared, outbox_id: str, withheld: list[str]) -> dict[str, Any]:
    """What the transmit step records of the message: ids, digest, field names kept/dropped, withheld."""
    return {
        "message_id": prepared.message_id,
        "outbox_id": outbox_id,
        "digest": prepared.digest,
        "kept": list(prepared.minimisation.kept),
        "dropped": list(prepared.minimisation.dropped),
        "withheld_categories": withheld,
    }


def enqueue_request(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    request: AssistanceRequest,
    agreement: Agreement,
    keystore: Keystore,
    status: Status | None = None,
) -> Mapping[str, Any]:
    """Minimise, sign and queue the request for its executing jurisdiction, in the caller's transaction.

    ``status`` is the status the transmission moves the request to (sent to a peer node for its mirror).
    Returns what the step records: message id, digest, fields kept/dropped (names only), withheld
    categories, and the peer node when it went over federation.
    """
    facts, data, withheld = _body(session, request, agreement)
    peer = peer_for(session, request)
    if peer is not None:
        return _send_to_peer(
            session,
            clock=clock,
            actor=actor,
            request=request,
            agreement=agreement,
            keystore=keystore,
            facts={**facts, **_mirror_facts(session, request, status)},
            data=data,
            withheld=withheld,
            peer=peer,
        )
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
    return _recorded(prepared, message.id, withheld)


def _send_to_peer(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    request: AssistanceRequest,
    agreement: Agreement,
    keystore: Keystore,
    facts: dict[str, Any],
    data: dict[str, dict[str, Any]],
    withheld: list[str],
    peer: str,
) -> Mapping[str, Any]:
    from comity.federation import outbound

    item = Outbound(kind=MESSAGE_KIND, recipient=peer, tlp=Tlp.AMBER_STRICT, facts=facts, data=data)
    try:
        prepared, message = outbound.send(
            session,
            clock=clock,
            actor=actor,
            keystore=keystore,
            node=request.from_state,
            item=item,
            agreement_id=agreement.id,
            subject_type="assistance_request",
            subject_id=request.id,
        )
    except NotFound as exc:
        raise Conflict(f"cannot send to the node of {peer}: {exc.detail}") from exc
    request.federated_with = peer
    return {**_recorded(prepared, message.id, withheld), "federated_with": peer}

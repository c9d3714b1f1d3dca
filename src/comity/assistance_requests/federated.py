"""Requests whose two sides live on two nodes: the steps each node takes, sent to and applied on the other.

The issuing node transmits a request to a peer node (``transmission``); the executing node builds its
mirror (``mirror``). Afterwards every step a local user takes on a federated request is sent to the peer as
a ``request_step`` message (``announce_step``, called by ``service.step`` in the step's transaction), and
the peer applies it through the same step functions with the peer node as principal (``access`` lets it
take exactly the actions of the side it hosts). A step that came from the peer is never sent back. If the
machine or the policy engine refuses the step here, the handler raises: the dispatcher retries, then gives
up with an alert, because the two nodes then disagree about the request and someone must look.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from comity.assistance_requests import steps
from comity.assistance_requests.model import (
    Action,
    AssistanceRequest,
    ExecutingGround,
    NonExecutionReason,
    RequestStep,
)
from comity.assistance_requests.service import SUBJECT, get_request
from comity.clock import Clock
from comity.errors import Conflict, NotFound
from comity.federation.dispatch import HandlerContext, peer_principal, register_handler
from comity.federation.errors import UnknownPeer
from comity.federation.model import ReceivedMessage
from comity.identity.principal import Principal
from comity.keys.keystore import Keystore
from comity.kinds import AuthorityType
from comity.transport.egress import Outbound
from comity.transport.tlp import Tlp

#: Message type of a step taken on one node, to be applied on the other.
STEP_KIND = "request_step"
#: ``session.info`` key: the node's keystore and jurisdiction, for sending steps (set by the API).
NODE_INFO = "comity.requests.node"
#: ``session.info`` key: the received message a step is being applied for (its id and digest are recorded).
INCOMING_INFO = "comity.requests.incoming"


def bind_node(session: Session, *, keystore: Keystore, node: str) -> None:
    """Tell the steps of this transaction which keystore and node sign the messages they send."""
    session.info[NODE_INFO] = (keystore, node)


def _node_keystore(session: Session) -> Keystore:
    bound = session.info.get(NODE_INFO)
    if bound is not None:
        keystore: Keystore = bound[0]
        return keystore
    from comity.config import get_settings  # one node per process (CLI, worker): its own settings

    return Keystore.for_settings(get_settings())


def local_side(request: AssistanceRequest) -> str:
    """The jurisdiction whose node holds this copy of the request."""
    return request.to_state if request.mirror else request.from_state


# --- sending steps -----------------------------------------------------------------------------------


def announce_step(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    request: AssistanceRequest,
    step: RequestStep,
    facts: Mapping[str, Any],
) -> None:
    """Queue ``step`` (taken here by a local user) for the peer holding the request's other side."""
    from comity.federation import outbound

    peer = request.federated_with
    if peer is None or principal.node is not None or step.action == Action.TRANSMIT.value:
        return  # not federated, a step that came from the peer (never echoed), or the request itself
    body: dict[str, Any] = {
        "request_id": request.id,
        "action": step.action,
        "from_status": step.from_status,
        "to_status": step.to_status,
        "seq": step.seq,
        **{k: v for k, v in facts.items() if v is not None},
    }
    try:
        outbound.send(
            session,
            clock=clock,
            actor=principal.actor,
            keystore=_node_keystore(session),
            node=local_side(request),
            item=Outbound(kind=STEP_KIND, recipient=peer, tlp=Tlp.AMBER_STRICT, facts=body),
            agreement_id=request.agreement_id,
            subject_type=SUBJECT,
            subject_id=request.id,
        )
    except UnknownPeer as exc:
        # Taking the step here alone would leave the two nodes disagreeing: refuse it (nothing is written).
        raise Conflict(
            f"request {request.id} is shared with the node of {peer}, which this node cannot reach "
            f"({exc.detail}): the step would not be mirrored"
        ) from exc


def incoming(session: Session) -> dict[str, Any]:
    """The received message a step is applied for (details of that step), or nothing."""
    found: dict[str, Any] | None = session.info.get(INCOMING_INFO)
    return dict(found) if found else {}


@contextmanager
def _applying(session: Session, message: ReceivedMessage, **extra: Any) -> Iterator[None]:
    session.info[INCOMING_INFO] = {"message_id": message.message_id, "digest": message.digest, **extra}
    try:
        yield
    finally:
        session.info.pop(INCOMING_INFO, None)


# --- reading a peer's message -------------------------------------------------------------------------


def message_facts(message: ReceivedMessage) -> dict[str, Any]:
    """The ``facts`` object of a received message; :class:`Conflict` when it carries none."""
    facts = message.body.get("facts") if isinstance(message.body, dict) else None
    if not isinstance(facts, dict):
        raise Conflict(f"message {message.message_id} carries no facts")
    return facts


def required_text(facts: Mapping[str, Any], key: str) -> str:
    """The non-empty string ``facts[key]``; :class:`Conflict` when the message lacks it."""
    value = facts.get(key)
    if not isinstance(value, str) or not value:
        raise Conflict(f"the message lacks {key}")
    return value


# --- receiving: steps ------------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def apply_step(
    session: Session, *, clock: Clock, principal: Principal, request_id: str, facts: Mapping[str, Any]
) -> AssistanceRequest:
    """Take the step ``facts`` describe, as ``principal`` (the peer node), through the step functions."""
    try:
        action = Action(required_text(facts, "action"))
    except ValueError:
        raise Conflict(f"unknown step {str(facts.get('action'))[:40]!r}") from None
    note = str(facts.get("note") or "")
    common: dict[str, Any] = {"clock": clock, "principal": principal, "request_id": request_id}
    try:
        match action:
            case Action.SUBMIT:
                return steps.submit(session, note=note, **common)
            case Action.VALIDATE:
                authority = facts.get("validator_authority")
                validator = dataclasses.replace(
                    principal, authority_type=AuthorityType(authority) if authority else None
                )
                return steps.validate(session, clock=clock, principal=validator, request_id=request_id)
            case Action.REJECT_VALIDATION:
                return steps.reject_validation(session, note=note, **common)
            case Action.ISSUE:
                return steps.issue(session, **common)
            case Action.ACCEPT:
                return steps.accept(session, **common)
            case Action.RAISE_GROUNDS:
                return steps.raise_grounds(
                    session,
                    grounds=[ExecutingGround(g) for g in _strings(facts.get("grounds"))],
                    partial=bool(facts.get("partial")),
                    note=note,
                    **common,
                )
            case Action.ASK_CLARIFICATION:
                return steps.ask_clarification(session, note=note, **common)
            case Action.CLARIFY:
                return steps.clarify(session, note=note, **common)
            case Action.CONFIRM_PRESERVED:
                return steps.confirm_preserved(session, **common)
            case Action.DELIVER:
                return steps.deliver(session, note=note, **common)
            case Action.NOT_EXECUTED:
                return steps.not_executed(
                    session,
                    reasons=[NonExecutionReason(r) for r in _strings(facts.get("reasons"))],
                    note=note,
                    **common,
                )
            case Action.EXTEND:
                return steps.extend(session, **common)
            case Action.CONFIRM_PRODUCTION:
                other = facts.get("production_request_id")
                known = isinstance(other, str) and session.get(AssistanceRequest, other) is not None
                return steps.confirm_production(
                    session, production_request_id=other if known else None, **common
                )
            case Action.WITHDRAW:
                return steps.withdraw(session, note=note, **common)
            case Action.CLOSE:
                return steps.close(session, **common)
            case _:  # transmit travels as the request itself; lapse is each node's own
                raise Conflict(f"{action.value} is not a step a peer sends")
    except ValueError as exc:  # a ground or reason this node does not know
        raise Conflict(f"step {action.value} of request {request_id}: {exc}") from None


@register_handler(STEP_KIND)
def receive_step(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    """Apply a step the peer node took on a request shared with it; its result must match the peer's."""
    facts = message_facts(message)
    request_id = required_text(facts, "request_id")
    try:
        request = get_request(session, request_id)
    except NotFound:
        raise NotFound(f"step for request {request_id}, not (yet) on this node") from None
    if request.federated_with != message.sender:
        raise Conflict(f"request {request_id} is not shared with {message.sender}")
    principal = peer_principal(message.sender)
    with _applying(session, message, peer_seq=facts.get("seq")):
        apply_step(session, clock=context.clock, principal=principal, request_id=request_id, facts=facts)
    expected = facts.get("to_status")
    if expected is not None and request.status != expected:
        raise Conflict(
            f"request {request_id}: {facts.get('action')} led to {expected} on {message.sender} but to "
            f"{request.status} here"
        )


__all__ = [
    "INCOMING_INFO",
    "NODE_INFO",
    "STEP_KIND",
    "announce_step",
    "apply_step",
    "bind_node",
    "incoming",
    "local_side",
    "message_facts",
    "receive_step",
    "required_text",
]

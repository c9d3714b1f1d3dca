"""The steps of a request, one use case each (keyword-only; the caller owns the transaction).

Each wraps ``service.step`` with what the step itself changes: validation facts, deadlines from the
engine's decision, grounds, Annex III reasons, preservation periods.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from comity.agreements.service import current_context
from comity.assistance_requests import transmission
from comity.assistance_requests.model import (
    Action,
    AssistanceRequest,
    ExecutingGround,
    NonExecutionReason,
    Procedure,
    Status,
)
from comity.assistance_requests.service import check_grounds, get_request, machine_of, note_hash, step
from comity.clock import Clock
from comity.errors import FieldError, InvalidInput, NotFound
from comity.identity.principal import Principal
from comity.keys.keystore import Keystore
from comity.kinds import ActionKind
from comity.policy.service import Resolution


def _ex_post_due(resolution: Resolution) -> datetime | None:
    for obligation in resolution.decision.obligations:
        if obligation.kind == "ex_post_validation":
            if obligation.due is not None:
                return obligation.due
            if obligation.within is not None:
                return resolution.action.at + obligation.within if resolution.action.at else None
    return None


def submit(
    session: Session, *, clock: Clock, principal: Principal, request_id: str, note: str = ""
) -> AssistanceRequest:
    """Submit a draft to the validating authority (a judge or prosecutor of the issuing state)."""
    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.SUBMIT,
        tolerate_issuer=True,
        details={"note_sha256": note_hash(note)},
        announce={"note": note},
    )


def validate(session: Session, *, clock: Clock, principal: Principal, request_id: str) -> AssistanceRequest:
    """Validate: issues a submitted request, or validates an emergency one ex post (Art. 4(5)).

    The engine decides whether the validator's authority type suffices for the regime and data category.
    """

    def apply(request: AssistanceRequest, resolution: Resolution, now: datetime) -> Status | None:
        request.validated_by_authority = authority
        request.validated_at = now
        return None

    authority = principal.authority_type.value if principal.authority_type else None

    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.VALIDATE,
        validated_by=principal.authority_type,
        apply=apply,
        details={"validator_authority": authority},
        announce={"validator_authority": authority},
    )


def reject_validation(
    session: Session, *, clock: Clock, principal: Principal, request_id: str, note: str = ""
) -> AssistanceRequest:
    """The validator refuses to validate: the request goes back to draft."""
    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.REJECT_VALIDATION,
        details={"note_sha256": note_hash(note)},
        announce={"note": note},
    )


def issue(session: Session, *, clock: Clock, principal: Principal, request_id: str) -> AssistanceRequest:
    """Issue without separate validation: a competent issuer, or an emergency (validation within 48 h)."""

    def apply(request: AssistanceRequest, resolution: Resolution, now: datetime) -> Status | None:
        request.ex_post_due_at = _ex_post_due(resolution) if request.emergency else None
        return None

    return step(
        session, clock=clock, principal=principal, request_id=request_id, action=Action.ISSUE, apply=apply
    )


def transmit(
    session: Session, *, clock: Clock, principal: Principal, request_id: str, keystore: Keystore
) -> AssistanceRequest:
    """Send the issued request (signed, minimised) through the outbox; deadlines start at receipt.

    On one node the in-process deliverer hands it over at once, so receipt is taken as the transmission
    time (a later receipt could only move deadlines later).
    """
    record: dict[str, object] = {}

    def apply(request: AssistanceRequest, resolution: Resolution, now: datetime) -> Status | None:
        decision = resolution.decision
        limits = decision.limits
        request.transmitted_at = now
        request.notify_executing_state = decision.notify_executing_state
        request.suspensive = decision.suspensive
        request.due_at = limits.deadline_at
        request.review_ends_at = limits.review_window_ends_at
        request.preservation_ends_at = limits.preservation_ends_at
        agreement = next(a for a in current_context(session).agreements if a.id == request.agreement_id)
        reviewed = decision.notify_executing_state or request.procedure == Procedure.ASSISTANCE.value
        status = Status.EXECUTING_STATE_REVIEWING if reviewed else Status.TRANSMITTED
        targets = machine_of(request)[Status.ISSUED][Action.TRANSMIT]
        status = status if status in targets else targets[0]  # what ``step`` will move it to
        record.update(
            transmission.enqueue_request(
                session,
                clock=clock,
                actor=principal.actor,
                request=request,
                agreement=agreement,
                keystore=keystore,
                status=status,
            )
        )
        return status

    request = step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.TRANSMIT,
        apply=apply,
        details=record,
    )
    return request


def accept(session: Session, *, clock: Clock, principal: Principal, request_id: str) -> AssistanceRequest:
    """Executing state: no grounds for refusal (an early confirmation lets the addressee hand over now)."""
    return step(session, clock=clock, principal=principal, request_id=request_id, action=Action.ACCEPT)


def raise_grounds(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    request_id: str,
    grounds: list[ExecutingGround],
    partial: bool,
    note: str = "",
) -> AssistanceRequest:
    """Executing state raises grounds for refusal, for all of the data or part of it (Art. 12)."""
    grounds = [ExecutingGround(g) for g in grounds]  # values from callers that hold plain strings

    def apply(request: AssistanceRequest, resolution: Resolution, now: datetime) -> Status | None:
        check_grounds(request, resolution, grounds)
        request.grounds = sorted({g.value for g in grounds})
        request.grounds_partial = partial
        return None

    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.RAISE_GROUNDS,
        apply=apply,
        details={
            "grounds": sorted({g.value for g in grounds}),
            "partial": partial,
            "note_sha256": note_hash(note),
        },
        announce={"grounds": sorted({g.value for g in grounds}), "partial": partial, "note": note},
    )


def ask_clarification(
    session: Session, *, clock: Clock, principal: Principal, request_id: str, note: str = ""
) -> AssistanceRequest:
    """Executing state asks the issuing authority for more information."""
    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.ASK_CLARIFICATION,
        details={"note_sha256": note_hash(note)},
        announce={"note": note},
    )


def clarify(
    session: Session, *, clock: Clock, principal: Principal, request_id: str, note: str = ""
) -> AssistanceRequest:
    """The issuing side answers a clarification; the executing state resumes its review."""
    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.CLARIFY,
        details={"note_sha256": note_hash(note)},
        announce={"note": note},
    )


def confirm_preserved(
    session: Session, *, clock: Clock, principal: Principal, request_id: str
) -> AssistanceRequest:
    """Addressee: the data are preserved (ETSI ``datapreserved``)."""
    return step(
        session, clock=clock, principal=principal, request_id=request_id, action=Action.CONFIRM_PRESERVED
    )


def deliver(
    session: Session, *, clock: Clock, principal: Principal, request_id: str, note: str = ""
) -> AssistanceRequest:
    """Addressee hands the data over (or the executing state executes the measure)."""
    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.DELIVER,
        details={"note_sha256": note_hash(note)},
        announce={"note": note},
    )


def not_executed(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    request_id: str,
    reasons: list[NonExecutionReason],
    note: str = "",
) -> AssistanceRequest:
    """Addressee cannot execute, for the Annex III reasons given."""
    reasons = [NonExecutionReason(r) for r in reasons]

    def apply(request: AssistanceRequest, resolution: Resolution, now: datetime) -> Status | None:
        request.non_execution_reasons = sorted({r.value for r in reasons})
        return None

    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.NOT_EXECUTED,
        apply=apply,
        details={"reasons": sorted({r.value for r in reasons}), "note_sha256": note_hash(note)},
        announce={"reasons": sorted({r.value for r in reasons}), "note": note},
    )


def extend(session: Session, *, clock: Clock, principal: Principal, request_id: str) -> AssistanceRequest:
    """Extend a preservation once by 30 days (e-Evidence Art. 11(1), Annex VI), before it lapses."""

    def apply(request: AssistanceRequest, resolution: Resolution, now: datetime) -> Status | None:
        ends = resolution.decision.limits.preservation_ends_at
        if ends is None or (
            request.preservation_ends_at is not None and ends <= request.preservation_ends_at
        ):
            raise InvalidInput(
                "no later end", [FieldError("preservation_ends_at", "the extension adds no time")]
            )
        request.preservation_ends_at = ends
        request.extension_count += 1
        return None

    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.EXTEND,
        apply=apply,
        measure=ActionKind.PRESERVATION_EXTENSION,
    )


def confirm_production(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    request_id: str,
    production_request_id: str | None = None,
) -> AssistanceRequest:
    """A subsequent production request was issued (Annex V; Budapest Art. 29(7)): keep the data until then."""
    if production_request_id is not None:
        original = get_request(session, request_id)
        try:
            other = get_request(session, production_request_id)
        except NotFound:
            other = None
        if other is None or other.case_id != original.case_id or other.measure != ActionKind.PRODUCTION.value:
            raise InvalidInput(
                "not a production request of this case", [FieldError("production_request_id", "unknown here")]
            )

    def apply(request: AssistanceRequest, resolution: Resolution, now: datetime) -> Status | None:
        request.preservation_ends_at = None  # Art. 11(2): as long as necessary to produce
        return None

    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.CONFIRM_PRODUCTION,
        apply=apply,
        details={"production_request_id": production_request_id},
        announce={"production_request_id": production_request_id},
    )


def withdraw(
    session: Session, *, clock: Clock, principal: Principal, request_id: str, note: str = ""
) -> AssistanceRequest:
    """The issuing authority withdraws the request (or ends a preservation, Art. 11(3))."""
    return step(
        session,
        clock=clock,
        principal=principal,
        request_id=request_id,
        action=Action.WITHDRAW,
        details={"note_sha256": note_hash(note)},
        announce={"note": note},
    )


def close(session: Session, *, clock: Clock, principal: Principal, request_id: str) -> AssistanceRequest:
    """Close a request that has run its course (delivered, not executed, refused, production confirmed)."""
    return step(session, clock=clock, principal=principal, request_id=request_id, action=Action.CLOSE)


def lapse(session: Session, *, clock: Clock, request_id: str) -> AssistanceRequest:
    """The node lapses a preservation whose period ended (worker)."""
    return step(session, clock=clock, principal=None, request_id=request_id, action=Action.LAPSE)

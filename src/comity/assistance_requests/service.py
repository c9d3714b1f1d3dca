"""Cross-border request use cases: create a draft, then take steps through its procedure's machine.

Every step, in one transaction: check the caller (``access``), check the machine (409 with the allowed
next actions), ask the policy engine (advancing steps refused with 422 and its reasons), apply the change,
store the step with the decision JSON and write its audit event. Deadlines come from the engine's
calculator (the decision's instants, counted from receipt in the addressee's time zone).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from comity.agreements.service import current_context
from comity.assistance_requests import access
from comity.assistance_requests.model import (
    ADVANCING,
    GROUNDS_BY_PROCEDURE,
    MACHINES,
    TERMINAL,
    Action,
    AssistanceRequest,
    ExecutingGround,
    Procedure,
    RequestStep,
    Status,
    allowed_actions,
    next_status,
)
from comity.audit import service as audit
from comity.cases import service as cases
from comity.cases.model import CaseMember
from comity.clock import Clock
from comity.errors import FieldError, InvalidInput, NotFound, PolicyRefused
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import DATA_ACTIONS, ActionKind, AuthorityType
from comity.policy.schemas import PolicyRequest
from comity.policy.service import Resolution, decide, resolution_to_json

SUBJECT = "assistance_request"


def note_hash(text: str) -> str | None:
    """SHA-256 of a free-text note (notes may name people: only the hash goes into steps and the trail)."""
    return hashlib.sha256(text.encode()).hexdigest() if text else None


# --- the policy engine -----------------------------------------------------------------------------


def ask_engine(
    session: Session,
    request: AssistanceRequest,
    *,
    now: datetime,
    validated_by: AuthorityType | None = None,
    measure: ActionKind | None = None,
) -> Resolution:
    """Put the request (as it stands, at ``now``) to the policy engine."""
    case = cases.get_case(session, request.case_id)
    links = [str(link) for link in case.jurisdictional_links]
    kind = measure or ActionKind(request.measure)
    data_action = kind in DATA_ACTIONS
    received = request.transmitted_at or now
    policy_request = PolicyRequest.model_validate(
        {
            "from_state": request.from_state,
            "to_state": request.to_state,
            "offence": request.offence_code,
            "measure": kind,
            "agreement": request.agreement_id,
            "statute": request.statute,
            "data": request.data_category,
            "issuer": request.issuer_authority,
            "validated_by": validated_by or request.validated_by_authority,
            "emergency": request.emergency,
            "committed_in_issuing": request.committed_in_issuing,
            "person_resides_in_issuing": request.person_resides_in_issuing,
            "identifiers_named": bool(request.target_ids),
            "time_range_applicable": data_action,
            "time_range_bounded": request.time_from is not None and request.time_to is not None,
            "jurisdictional_link": links[0] if links else None,
            "at": now,
            "received_at": received,
            "original_received_at": request.transmitted_at
            if kind is ActionKind.PRESERVATION_EXTENSION
            else None,
        }
    )
    return decide(current_context(session), policy_request, now=now)


def unsatisfied(resolution: Resolution, *, tolerate_issuer: bool) -> list[dict[str, str]]:
    """The rules the decision found unsatisfied (optionally ignoring the issuer's own competence)."""
    # While a request is a draft (or is being submitted for validation) its issuer not being competent on
    # its own is expected: that is what validation is for. Every other unsatisfied rule blocks.
    return [
        {"rule": r.rule, "text": r.text, "source": r.source}
        for r in resolution.decision.reasons
        if not r.satisfied and not (tolerate_issuer and r.rule.endswith(".issuer"))
    ]


def refusal(resolution: Resolution, refused: list[dict[str, str]], what: str) -> PolicyRefused:
    """The 422 error carrying the unsatisfied reasons and the whole decision JSON."""
    texts = "; ".join(r["text"] for r in refused)
    return PolicyRefused(
        f"the policy engine refuses to {what}: {texts}",
        reasons=refused,
        decision=resolution_to_json(resolution),
    )


# --- steps ---------------------------------------------------------------------------------------


def machine_of(request: AssistanceRequest) -> Any:
    """The state machine of the request's procedure."""
    return MACHINES[Procedure(request.procedure)]


def allowed_now(request: AssistanceRequest, now: datetime) -> list[Action]:
    """The actions open at ``now``: the machine's, narrowed by the time and once-only rules."""
    status = Status(request.status)
    actions = allowed_actions(machine_of(request), status)

    def keep(action: Action) -> bool:
        if action is Action.DELIVER and status is Status.EXECUTING_STATE_REVIEWING:
            # Day-10 rule (Art. 10(2)): no hand-over before the review window ends unless the executing
            # state confirmed earlier (that is ``accept``); emergencies are not suspensive (Art. 8(4)).
            if not request.suspensive:
                return True
            return request.review_ends_at is not None and now >= request.review_ends_at
        if action is Action.DELIVER and status is Status.GROUNDS_RAISED:
            return bool(request.grounds_partial)
        if action is Action.VALIDATE and status is not Status.AWAITING_VALIDATION:
            return request.emergency and request.validated_at is None  # ex-post validation (Art. 4(5))
        if action is Action.EXTEND:
            ends = request.preservation_ends_at
            return request.extension_count == 0 and ends is not None and now < ends
        if action is Action.LAPSE:
            ends = request.preservation_ends_at
            return ends is not None and now >= ends
        return True

    return [a for a in actions if keep(a)]


def record_step(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    request: AssistanceRequest,
    action: str,
    from_status: str | None,
    resolution: Resolution,
    details: dict[str, Any],
) -> RequestStep:
    request.step_count += 1
    decision = resolution_to_json(resolution)
    event = audit.record(
        session,
        clock=clock,
        actor=actor,
        tag=f"requests:request:{action}",
        subject_type=SUBJECT,
        subject_id=request.id,
        details={
            "case_id": request.case_id,
            "step": request.step_count,
            "from": from_status,
            "to": request.status,
            "policy_allowed": resolution.decision.allowed,
            **details,
        },
    )
    step = RequestStep(
        id=new_id("stp"),
        request_id=request.id,
        seq=request.step_count,
        action=action,
        from_status=from_status,
        to_status=request.status,
        actor=actor,
        at=clock.now(),
        decision=decision,
        allowed=resolution.decision.allowed,
        details=details,
        audit_event_id=event.id,
    )
    session.add(step)
    return step


def _get(session: Session, request_id: str) -> AssistanceRequest:
    request = session.get(AssistanceRequest, request_id)
    if request is None:
        raise NotFound(f"no request {request_id[:60]}")
    return request


def get_visible(
    session: Session, *, principal: Principal, request_id: str, at: datetime
) -> AssistanceRequest:
    """A request the caller may see (``access.request_access``); 404 otherwise."""
    return access.request_access(session, principal, request_id, at=at).obj


def step(
    session: Session,
    *,
    clock: Clock,
    principal: Principal | None,
    request_id: str,
    action: Action,
    details: dict[str, Any] | None = None,
    apply: Callable[[AssistanceRequest, Resolution, datetime], Status | None] | None = None,
    validated_by: AuthorityType | None = None,
    measure: ActionKind | None = None,
    tolerate_issuer: bool = False,
    announce: Mapping[str, Any] | None = None,
) -> AssistanceRequest:
    """Take ``action`` on a request: access, machine, engine, change, step and audit, or nothing at all.

    ``apply`` makes the action's own changes and may choose among the machine's targets; ``principal``
    None is the node itself (worker). On a federated request a step taken by a local user is sent to the
    peer node in the same transaction, with ``announce`` (what the peer needs to take the same step:
    grounds, reasons, the note); a step taken by the peer records the message it came in.
    """
    now = clock.now()
    request = _get(session, request_id)
    if principal is not None:
        access.check_actor(session, principal, request, action, now)
    status = Status(request.status)
    allowed = allowed_now(request, now)
    next_status(request.id, machine_of(request), status, action, allowed, None)  # 409 before anything else
    resolution = ask_engine(session, request, now=now, validated_by=validated_by, measure=measure)
    if action in ADVANCING:
        refused = unsatisfied(resolution, tolerate_issuer=tolerate_issuer)
        if refused:
            raise refusal(resolution, refused, f"{action.value} request {request.id}")
    chosen = apply(request, resolution, now) if apply is not None else None
    request.status = next_status(request.id, machine_of(request), status, action, allowed, chosen).value
    request.updated_at = now
    for name in ("due_at", "review_ends_at", "preservation_ends_at", "ex_post_due_at"):
        value = getattr(request, name)
        if value is not None and value < request.created_at:
            raise AssertionError(f"{name} before the request was created")  # a calculator bug, never input
    recorded = dict(details) if details is not None else {}
    if principal is not None and principal.node is not None:
        from comity.assistance_requests import federated

        recorded.update(federated.incoming(session))
    row = record_step(
        session,
        clock=clock,
        actor=principal.actor if principal is not None else "system:node",
        request=request,
        action=action.value,
        from_status=status.value,
        resolution=resolution,
        details=recorded,
    )
    if request.federated_with is not None and principal is not None and principal.node is None:
        from comity.assistance_requests import federated

        federated.announce_step(
            session, clock=clock, principal=principal, request=request, step=row, facts=announce or {}
        )
    return request


# --- reading -----------------------------------------------------------------------------------


def list_requests(session: Session, *, principal: Principal, at: datetime) -> list[AssistanceRequest]:
    """Requests the caller may see, newest first.

    SQL narrows to the candidates (the caller's cases, their state's or organisation's received requests,
    requests to validate in their state); ``access.can_see`` then applies the exact rule (periods).
    """
    member_of = select(CaseMember.case_id).where(CaseMember.user_id == principal.user_id)
    received = AssistanceRequest.transmitted_at.is_not(None)
    candidates = [
        AssistanceRequest.case_id.in_(member_of),
        received & (AssistanceRequest.to_state == principal.jurisdiction),
        received & (AssistanceRequest.addressee_organisation_id == principal.organisation_id),
        (AssistanceRequest.from_state == principal.jurisdiction)
        & (AssistanceRequest.status != Status.DRAFT.value),
    ]
    stmt = select(AssistanceRequest).where(or_(*candidates)).order_by(AssistanceRequest.created_at.desc())
    return [r for r in session.scalars(stmt) if access.can_see(session, principal, r, at)]


def all_requests(session: Session) -> Sequence[AssistanceRequest]:
    """Every request on this node (node operator's CLI)."""
    return session.scalars(select(AssistanceRequest).order_by(AssistanceRequest.created_at.desc())).all()


def get_request(session: Session, request_id: str) -> AssistanceRequest:
    """A request by id without access check (CLI, worker); 404 if unknown."""
    return _get(session, request_id)


def steps_of(session: Session, request_id: str) -> Sequence[RequestStep]:
    """The request's steps in order."""
    return session.scalars(
        select(RequestStep).where(RequestStep.request_id == request_id).order_by(RequestStep.seq)
    ).all()


def requests_of_case(session: Session, case_id: str) -> Sequence[AssistanceRequest]:
    """Every request of one case, oldest first."""
    return session.scalars(
        select(AssistanceRequest)
        .where(AssistanceRequest.case_id == case_id)
        .order_by(AssistanceRequest.created_at)
    ).all()


def _in_flight(session: Session, case_id: str) -> list[str]:
    return [r.id for r in requests_of_case(session, case_id) if Status(r.status) not in TERMINAL]


def _submitted_to_judges(session: Session, case_id: str) -> bool:
    stmt = (
        select(RequestStep.id)
        .join(AssistanceRequest, AssistanceRequest.id == RequestStep.request_id)
        .where(AssistanceRequest.case_id == case_id, RequestStep.action == Action.SUBMIT.value)
        .limit(1)
    )
    return session.scalar(stmt) is not None


cases.register_close_check(_in_flight)
cases.register_judicial_submission_source(_submitted_to_judges)


def check_grounds(request: AssistanceRequest, resolution: Resolution, grounds: list[ExecutingGround]) -> None:
    """Refuse grounds the procedure does not know, and dual criminality where the engine rules it out."""
    admitted = GROUNDS_BY_PROCEDURE[Procedure(request.procedure)]
    errors = [
        FieldError(f"grounds.{g.value}", f"not a ground under {request.procedure}")
        for g in grounds
        if g not in admitted
    ]
    if (
        ExecutingGround.DUAL_CRIMINALITY in grounds
        and "dual_criminality" not in resolution.decision.refusal_grounds_available
    ):
        errors.append(
            FieldError(
                "grounds.dual_criminality", "not available: the engine found dual criminality not at issue"
            )
        )
    if errors:
        raise InvalidInput("grounds not available", errors)


__all__ = [
    "allowed_now",
    "ask_engine",
    "get_visible",
    "list_requests",
    "step",
]

"""Measure use cases up to issue: draft, add elements, ask for a notice deferral, submit (legal elements and
the policy engine), a judge authorises or refuses. Keyword-only; one transaction per use case (the
caller's); every change writes its audit event (``measures:measure:*``) in that transaction.

This module is the one entry point others call: it re-exports access (``measures.access``), prior notice
and issue (``measures.issuance``) and the state machine helpers (``measures.transitions``). Later stages
(confirm, renew, lapse, lift, expire, platform answers) are in ``measures.lifecycle``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from comity.cases import service as cases
from comity.cases.model import CaseTarget
from comity.clock import Clock
from comity.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    MissingLegalElement,
    PolicyRefused,
)
from comity.identity.model import Organisation
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import ActionKind, AuthorityType, OrganisationKind, Role
from comity.measures import transitions
from comity.measures.access import (
    editable,
    get_measure,
    list_measures,
    measure_access,
    require_content,
    require_judge,
    visible_measures,
)
from comity.measures.history import record_change
from comity.measures.issuance import announce, issue, record_prior_reply
from comity.measures.model import (
    MEASURE_KINDS,
    Measure,
    MeasureAction,
    MeasureStatus,
)
from comity.measures.policy_check import ask_policy, check_deferral_bound, keep_decision
from comity.measures.rules import (
    affects_person,
    competent,
    ladder_step,
    missing_elements,
)
from comity.measures.schemas import AuthoriseIn, MeasureCreate, MeasureElements, NoticeDeferralIn
from comity.measures.transitions import allowed_actions, change, ensure
from comity.policy.service import resolution_to_json

SUBJECT = transitions.SUBJECT

__all__ = [
    "SUBJECT",
    "allowed_actions",
    "announce",
    "approve_notice_deferral",
    "ask_policy",
    "authorise",
    "change",
    "create_measure",
    "editable",
    "ensure",
    "get_measure",
    "issue",
    "keep_decision",
    "list_measures",
    "measure_access",
    "record_prior_reply",
    "refuse",
    "request_notice_deferral",
    "require_content",
    "require_judge",
    "submit",
    "update_elements",
    "visible_measures",
    "withdraw",
]


def _apply_elements(session: Session, measure: Measure, data: MeasureElements) -> list[str]:
    fields = data.model_fields_set
    for name in fields:
        value = getattr(data, name)
        if name == "proportionality":
            measure.proportionality = value.model_dump() if value else {}
        elif name == "target_id":
            if value is not None:
                target = session.get(CaseTarget, value)
                if target is None or target.case_id != measure.case_id:
                    raise InvalidInput(
                        "unknown target", [FieldError("target_id", "not a target of this case")]
                    )
            measure.target_id = value
        elif name in ("data_category", "prior_notice_skip_ground", "notice_channel"):
            setattr(measure, name, value.value if value is not None else None)
            if name == "notice_channel" and value is None:
                measure.notice_channel = "platform"
        else:
            setattr(measure, name, value)
    return sorted(fields)


def create_measure(session: Session, *, clock: Clock, principal: Principal, data: MeasureCreate) -> Measure:
    """Draft a measure in a case the caller edits; its issuer is the caller's authority."""
    now = clock.now()
    if principal.role is not Role.OFFICER or principal.authority_type is None:
        raise Forbidden("measures are drafted by officers of an authority")
    case = cases.require_editor(session, principal, data.case_id, at=now)
    if data.kind not in MEASURE_KINDS:
        raise InvalidInput(f"{data.kind.value} is not a measure", [FieldError("kind", "not a measure kind")])
    addressee = session.get(Organisation, data.addressee)
    if addressee is None or addressee.kind != OrganisationKind.PLATFORM.value:
        raise InvalidInput("unknown platform", [FieldError("addressee", "not a platform organisation")])
    if data.provisional and data.kind in (ActionKind.ADVISORY_NOTICE, ActionKind.VOLUNTARY_REMOVAL):
        raise InvalidInput("only orders are provisional", [FieldError("provisional", "not an order")])
    measure = Measure(
        id=new_id("msr"),
        case_id=case.id,
        target_id=None,
        kind=data.kind.value,
        step=ladder_step(data.kind, provisional=data.provisional).value,
        status=MeasureStatus.DRAFT.value,
        urgent=data.urgent,
        provisional=data.provisional,
        affects_person=affects_person(data.kind),
        agreement_id=data.agreement,
        regime=None,
        offence=data.offence,
        statute=None,
        data_category=None,
        issuing_jurisdiction=principal.jurisdiction,
        executing_jurisdiction=data.executing_jurisdiction,
        addressee_organisation=addressee.id,
        proportionality={},
        territorial_scope=[],
        issuing_organisation=principal.organisation_id,
        issuer_authority_type=principal.authority_type.value,
        requires_validation=False,
        decided_by=principal.actor,
        notice_channel="platform",
        policy_request={},
        policy_decision={},
        execution_status="none",
        overdue_alerted=False,
        renewals=0,
        created_by=principal.actor,
        created_at=now,
        audit_digest="",
    )
    session.add(measure)
    _apply_elements(session, measure, data)
    session.flush()
    record_change(
        session,
        clock=clock,
        actor=principal.actor,
        source="measures",
        subject_type=SUBJECT,
        row=measure,
        action="created",
        before=None,
        after=MeasureStatus.DRAFT.value,
        details={"case_id": case.id, "kind": measure.kind, "step": measure.step},
    )
    return measure


def update_elements(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, data: MeasureElements
) -> Measure:
    """Add or change legal elements of a draft."""
    measure = editable(session, clock, principal, measure_id)
    ensure(measure, MeasureAction.EDIT, clock.now())
    fields = _apply_elements(session, measure, data)
    measure.decided_by = principal.actor
    change(session, clock, principal.actor, measure, MeasureAction.EDIT, fields=fields)
    return measure


def request_notice_deferral(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, data: NoticeDeferralIn
) -> Measure:
    """Ask that the notice after the measure be deferred (a judge decides; bounded by the agreement)."""
    measure = editable(session, clock, principal, measure_id)
    if measure.status not in (MeasureStatus.DRAFT.value, MeasureStatus.AWAITING_AUTHORISATION.value):
        raise Conflict(f"measure {measure.id} is {measure.status}: a deferral is asked before authorisation")
    check_deferral_bound(session, measure, data.until, clock.now())
    measure.notice_deferral_reason = data.reason
    measure.notice_deferral_until = data.until
    measure.notice_deferral_approved_by = None
    record_change(
        session,
        clock=clock,
        actor=principal.actor,
        source="measures",
        subject_type=SUBJECT,
        row=measure,
        action="deferral_requested",
        before=None,
        after=None,
        details={"until": data.until.isoformat()},
    )
    return measure


def submit(session: Session, *, clock: Clock, principal: Principal, measure_id: str) -> Measure:
    """Check every legal element and the policy; go to a judge where one must decide, else authorise."""
    measure = editable(session, clock, principal, measure_id)
    ensure(measure, MeasureAction.SUBMIT, clock.now())
    missing = missing_elements(measure)
    if measure.prior_notice_skip_ground and not (measure.prior_notice_skip_reason or "").strip():
        missing.append(
            FieldError("prior_notice_skip_reason", "state why prior notice would defeat the measure")
        )
    if missing:
        raise MissingLegalElement(
            f"measure {measure.id} lacks: {', '.join(e.path for e in missing)}", missing
        )
    now = clock.now()
    request, resolution = ask_policy(session, measure, now=now, validated_by=None)
    needs_validation = not resolution.decision.allowed
    if needs_validation:
        # Perhaps lawful with a judge's validation: ask again as the judge would authorise it.
        request2, resolution2 = ask_policy(session, measure, now=now, validated_by=AuthorityType.JUDGE)
        if not resolution2.decision.allowed:
            keep_decision(measure, request, resolution)
            raise PolicyRefused(
                "the policy engine refuses this measure: "
                + "; ".join(r.text for r in resolution.decision.reasons if not r.satisfied),
                decision=measure.policy_decision,
            )
        request, resolution = request2, resolution2
    keep_decision(measure, request, resolution)
    if not measure.affects_person and any(
        o.kind == "notify_affected_person" for o in resolution.decision.obligations
    ):
        # The regime says someone must be told: the measure is owed a notice whatever its kind.
        measure.affects_person = True
        missing = missing_elements(measure)
        if missing:
            raise MissingLegalElement(
                f"measure {measure.id} lacks: {', '.join(e.path for e in missing)}", missing
            )
    issuer = AuthorityType(measure.issuer_authority_type)
    measure.requires_validation = (
        needs_validation
        or measure.step == "judicial_order"
        or not competent(
            [issuer],
            regime=measure.regime,
            kind=measure.kind,
            step=measure.step,
            data_category=measure.data_category,
        )
    )
    if measure.notice_deferral_until is not None:
        check_deferral_bound(session, measure, measure.notice_deferral_until, now)
    change(
        session,
        clock,
        principal.actor,
        measure,
        MeasureAction.SUBMIT,
        regime=measure.regime,
        agreement=measure.agreement_id,
        allowed=resolution.decision.allowed,
    )
    judge_needed = (
        measure.requires_validation
        or measure.prior_notice_skip_ground is not None
        or measure.notice_deferral_until is not None
    )
    if not judge_needed:
        # Nothing for a judge to decide: the issuing authority's own decision authorises it.
        measure.authorised_by = principal.actor
        measure.authorised_at = now
        change(session, clock, principal.actor, measure, MeasureAction.AUTHORISE, by="issuing_authority")
    return measure


def authorise(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, data: AuthoriseIn
) -> Measure:
    """A judge authorises: validates where the regime requires it, and rules on skip and deferral."""
    measure = get_measure(session, clock=clock, principal=principal, measure_id=measure_id)
    judge_type = require_judge(principal, measure)
    ensure(measure, MeasureAction.AUTHORISE, clock.now())
    now = clock.now()
    if measure.requires_validation or measure.step == "judicial_order":
        measure.validating_organisation = principal.organisation_id
        measure.validator_authority_type = judge_type.value
    validator = AuthorityType(measure.validator_authority_type) if measure.validator_authority_type else None
    request, resolution = ask_policy(session, measure, now=now, validated_by=validator)
    if not resolution.decision.allowed:
        raise PolicyRefused(
            "the policy engine refuses this measure even with validation",
            decision=resolution_to_json(resolution),
        )
    keep_decision(measure, request, resolution)
    if measure.prior_notice_skip_ground and data.approve_prior_notice_skip:
        measure.prior_notice_skip_approved_by = principal.actor
    if measure.notice_deferral_until is not None and data.approve_notice_deferral:
        check_deferral_bound(session, measure, measure.notice_deferral_until, now)
        measure.notice_deferral_approved_by = principal.actor
    measure.authorised_by = principal.actor
    measure.authorised_at = now
    measure.decision_note = data.note
    change(
        session,
        clock,
        principal.actor,
        measure,
        MeasureAction.AUTHORISE,
        validated=measure.validating_organisation is not None,
        skip_approved=measure.prior_notice_skip_approved_by is not None,
        deferral_approved=measure.notice_deferral_approved_by is not None,
    )
    return measure


def refuse(session: Session, *, clock: Clock, principal: Principal, measure_id: str, reason: str) -> Measure:
    """A judge refuses the measure, with reasons."""
    measure = get_measure(session, clock=clock, principal=principal, measure_id=measure_id)
    require_judge(principal, measure)
    ensure(measure, MeasureAction.REFUSE, clock.now())
    measure.decision_note = reason
    measure.ended_at = clock.now()
    change(session, clock, principal.actor, measure, MeasureAction.REFUSE)
    return measure


def withdraw(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, reason: str
) -> Measure:
    """The issuing officers withdraw a measure before it is issued (e.g. the person's reply convinced)."""
    measure = editable(session, clock, principal, measure_id)
    ensure(measure, MeasureAction.WITHDRAW, clock.now())
    measure.end_reason = reason
    measure.ended_at = clock.now()
    change(session, clock, principal.actor, measure, MeasureAction.WITHDRAW)
    return measure


def approve_notice_deferral(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, note: str
) -> Measure:
    """A judge approves the requested deferral of the notice (before issue; within the agreement's bound)."""
    measure = get_measure(session, clock=clock, principal=principal, measure_id=measure_id)
    require_judge(principal, measure)
    if measure.notice_deferral_until is None:
        raise Conflict(f"measure {measure.id} has no deferral request")
    if measure.status not in (
        MeasureStatus.AWAITING_AUTHORISATION.value,
        MeasureStatus.AUTHORISED.value,
        MeasureStatus.ANNOUNCED.value,
    ):
        raise Conflict(f"measure {measure.id} is {measure.status}: a deferral is decided before issue")
    check_deferral_bound(session, measure, measure.notice_deferral_until, clock.now())
    measure.notice_deferral_approved_by = principal.actor
    record_change(
        session,
        clock=clock,
        actor=principal.actor,
        source="measures",
        subject_type=SUBJECT,
        row=measure,
        action="deferral_approved",
        before=None,
        after=None,
        details={"until": measure.notice_deferral_until.isoformat()},
    )
    return measure

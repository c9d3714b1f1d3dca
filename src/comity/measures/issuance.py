"""Prior notice and issue: tell the person what is intended (they may reply), then issue the signed order
to the platform and write the notice to the person, in one transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from comity.clock import Clock
from comity.errors import (
    Conflict,
    FieldError,
    MissingLegalElement,
    NotFound,
    PolicyRefused,
)
from comity.identity.principal import Principal
from comity.keys.keystore import Keystore
from comity.kinds import AuthorityType, Role
from comity.measures import issuing
from comity.measures.access import editable
from comity.measures.history import record_change
from comity.measures.model import (
    Measure,
    MeasureAction,
    MeasureStatus,
)
from comity.measures.policy_check import agreement_of, ask_policy, keep_decision
from comity.measures.rules import (
    missing_elements,
    prior_notice_period,
)
from comity.measures.transitions import SUBJECT, allowed_actions, change, ensure
from comity.notices.model import NoticeKind
from comity.notices.service import create_notice
from comity.policy.service import resolution_to_json


def announce(session: Session, *, clock: Clock, principal: Principal, measure_id: str) -> Measure:
    """Send the prior notice through the platform; the person may reply within the agreement's period."""
    measure = editable(session, clock, principal, measure_id)
    ensure(measure, MeasureAction.ANNOUNCE, clock.now())
    agreement = agreement_of(session, measure)
    now = clock.now()
    measure.prior_notice_sent_at = now
    measure.prior_notice_reply_until = now + prior_notice_period(
        agreement.notice.prior_notice_period if agreement else None
    )
    change(
        session,
        clock,
        principal.actor,
        measure,
        MeasureAction.ANNOUNCE,
        reply_until=measure.prior_notice_reply_until.isoformat(),
    )
    create_notice(
        session,
        clock=clock,
        actor=principal.actor,
        measure=measure,
        kind=NoticeKind.PRIOR_NOTICE,
        target=issuing.target_identifier(session, measure),
    )
    return measure


def record_prior_reply(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, reply: str
) -> Measure:
    """Record the person's reply to the prior notice (relayed by the platform or received by an officer)."""
    # Officers record it as editors of the case; the platform relays it as the addressee the prior
    # notice went through (before any order exists, so not through the reading grant of an issued order).
    measure = (
        editable(session, clock, principal, measure_id)
        if principal.role is not Role.PLATFORM
        else session.get(Measure, measure_id)
    )
    if measure is None or (
        principal.role is Role.PLATFORM and measure.addressee_organisation != principal.organisation_id
    ):
        raise NotFound(f"no measure {measure_id[:60]!r}")
    if measure.status != MeasureStatus.ANNOUNCED.value:
        raise Conflict(f"measure {measure.id} is {measure.status}: replies answer a prior notice")
    measure.prior_notice_reply = reply
    record_change(
        session,
        clock=clock,
        actor=principal.actor,
        source="measures",
        subject_type=SUBJECT,
        row=measure,
        action="reply_recorded",
        before=None,
        after=None,
    )
    return measure


def issue(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, keystore: Keystore
) -> Measure:
    """Issue the order: re-check the policy at this instant, sign, queue it for the platform, notify."""
    measure = editable(session, clock, principal, measure_id)
    now = clock.now()
    if MeasureAction.ISSUE.value not in allowed_actions(measure, now):
        if measure.status == MeasureStatus.ANNOUNCED.value and measure.prior_notice_reply_until:
            raise Conflict(
                "the person may reply to the prior notice until "
                f"{measure.prior_notice_reply_until.isoformat()}",
                reply_until=measure.prior_notice_reply_until.isoformat(),
                allowed_next=allowed_actions(measure, now),
            )
        from comity.errors import IllegalTransition

        raise IllegalTransition(
            f"measure {measure.id}", measure.status, "issue", allowed_actions(measure, now)
        )
    missing = missing_elements(measure, for_validation=True)
    # A measure cannot start life already past its review or end date (it would lapse at once).
    for path, when in (("review_at", measure.review_at), ("ends_at", measure.ends_at)):
        if when is not None and when <= now:
            missing.append(FieldError(path, f"passed at {when.isoformat()}: set a later date before issuing"))
    if missing:
        raise MissingLegalElement(
            f"measure {measure.id} lacks: {', '.join(e.path for e in missing)}", missing
        )
    validator = AuthorityType(measure.validator_authority_type) if measure.validator_authority_type else None
    request, resolution = ask_policy(session, measure, now=now, validated_by=validator, received_at=now)
    if not resolution.decision.allowed:
        raise PolicyRefused(
            "the policy engine refuses this measure now", decision=resolution_to_json(resolution)
        )
    keep_decision(measure, request, resolution)
    measure.issued_at = now
    measure.response_due_at = resolution.decision.limits.deadline_at
    if measure.provisional:
        measure.review_deadline = measure.review_at
        measure.lapses_at = measure.review_at
    order_id = issuing.send_order(
        session, clock=clock, actor=principal.actor, measure=measure, keystore=keystore, instruction="apply"
    )
    change(session, clock, principal.actor, measure, MeasureAction.ISSUE, order_id=order_id)
    if measure.affects_person:
        create_notice(
            session,
            clock=clock,
            actor=principal.actor,
            measure=measure,
            kind=NoticeKind.MEASURE_NOTICE,
            target=issuing.target_identifier(session, measure),
        )
    return measure

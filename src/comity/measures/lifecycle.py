"""Measures after issue: a judge confirms or the issuer renews a provisional measure (bounded), the worker
lapses the unconfirmed ones past their review deadline and expires those past their end, officers lift,
platforms answer, overdue answers raise alerts. Each change tells the platform through the outbox.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.alerts.model import AlertAudience, AlertSeverity
from comity.alerts.service import raise_alert
from comity.clock import Clock
from comity.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, PolicyRefused
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.ids import new_id
from comity.keys.keystore import Keystore
from comity.kinds import Role
from comity.measures import issuing
from comity.measures.history import record_change
from comity.measures.model import (
    ExecutionStatus,
    LadderStep,
    Measure,
    MeasureAction,
    MeasureAnswer,
    MeasureStatus,
    next_execution,
)
from comity.measures.rules import MAX_REVIEW_PERIOD, renewal_allowed
from comity.measures.schemas import AnswerIn, RenewIn
from comity.measures.service import (
    SUBJECT,
    ask_policy,
    change,
    editable,
    ensure,
    get_measure,
    keep_decision,
    require_judge,
)
from comity.notices.model import StatementOfReasons
from comity.notices.sor import normalised, personal_data_in
from comity.policy.service import resolution_to_json
from comity.signing.envelope import Envelope


def _provisional_open(measure: Measure, action: MeasureAction, now: datetime) -> None:
    ensure(measure, action, now)
    if not measure.provisional or measure.confirmed_at is not None or measure.lapses_at is None:
        raise Conflict(f"measure {measure.id} is not a provisional measure awaiting review")


def confirm(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, note: str, keystore: Keystore
) -> Measure:
    """A judge confirms a provisional measure on review: it no longer lapses and becomes a judicial order."""
    measure = get_measure(session, clock=clock, principal=principal, measure_id=measure_id)
    judge_type = require_judge(principal, measure)
    _provisional_open(measure, MeasureAction.CONFIRM, clock.now())
    now = clock.now()
    measure.confirmed_by = principal.actor
    measure.confirmed_at = now
    measure.lapses_at = None
    measure.step = LadderStep.JUDICIAL_ORDER.value
    measure.validating_organisation = principal.organisation_id
    measure.validator_authority_type = judge_type.value
    measure.decision_note = note
    request, resolution = ask_policy(session, measure, now=now, validated_by=judge_type)
    if not resolution.decision.allowed:
        raise PolicyRefused(
            "the policy engine refuses to confirm this measure", decision=resolution_to_json(resolution)
        )
    keep_decision(measure, request, resolution)
    order_id = issuing.send_order(
        session, clock=clock, actor=principal.actor, measure=measure, keystore=keystore, instruction="confirm"
    )
    change(session, clock, principal.actor, measure, MeasureAction.CONFIRM, order_id=order_id)
    return measure


def renew(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    measure_id: str,
    data: RenewIn,
    keystore: Keystore,
) -> Measure:
    """Move a provisional measure's review deadline: explicit, bounded in number and length, audited."""
    measure = get_measure(session, clock=clock, principal=principal, measure_id=measure_id)
    if principal.role is Role.JUDGE:
        require_judge(principal, measure)
    else:
        measure = editable(session, clock, principal, measure_id)
    _provisional_open(measure, MeasureAction.RENEW, clock.now())
    assert measure.lapses_at is not None
    refusal = renewal_allowed(measure.renewals, measure.lapses_at, data.review_deadline)
    if refusal:
        raise InvalidInput(
            refusal, [FieldError("review_deadline", refusal)], max_extension_days=MAX_REVIEW_PERIOD.days
        )
    previous = measure.lapses_at
    measure.renewals += 1
    measure.lapses_at = data.review_deadline
    measure.review_deadline = data.review_deadline
    measure.review_at = data.review_deadline
    order_id = issuing.send_order(
        session, clock=clock, actor=principal.actor, measure=measure, keystore=keystore, instruction="renew"
    )
    change(
        session,
        clock,
        principal.actor,
        measure,
        MeasureAction.RENEW,
        order_id=order_id,
        previous_deadline=previous.isoformat(),
        review_deadline=data.review_deadline.isoformat(),
        renewal=measure.renewals,
    )
    return measure


def _end(
    session: Session,
    clock: Clock,
    actor: str,
    measure: Measure,
    action: MeasureAction,
    reason: str,
    signers: issuing.SignerCache,
    target: str | None = None,
) -> None:
    now = clock.now()
    measure.lapses_at = None
    measure.ended_at = now
    measure.end_reason = reason
    # The change first, then the order: the row's update and the inserts go out in one flush.
    order_id = new_id("ord")
    change(session, clock, actor, measure, action, order_id=order_id)
    issuing.send_order(
        session,
        clock=clock,
        actor=actor,
        measure=measure,
        signers=signers,
        instruction="lift",
        target=target,
        order_id=order_id,
    )


def lift(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, reason: str, keystore: Keystore
) -> Measure:
    """Lift a measure in force (its officers or a judge); the platform is told to lift it."""
    measure = get_measure(session, clock=clock, principal=principal, measure_id=measure_id)
    if principal.role is Role.JUDGE:
        require_judge(principal, measure)
    else:
        measure = editable(session, clock, principal, measure_id)
    ensure(measure, MeasureAction.LIFT, clock.now())
    _end(session, clock, principal.actor, measure, MeasureAction.LIFT, reason, issuing.SignerCache(keystore))
    return measure


def _due(session: Session, stmt_where: object, limit: int) -> list[Measure]:
    stmt = select(Measure).where(stmt_where).limit(limit)  # type: ignore[arg-type]
    if session.get_bind().dialect.name == "postgresql":
        # Two workers never lapse the same measure: each skips rows the other holds.
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def _sweep(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    due: list[Measure],
    action: MeasureAction,
    reason: str,
) -> int:
    """End each measure of ``due`` (lapse or expiry): its change, its audit event and its signed lift order;
    the orders go to each platform in one outbox message, and the whole batch is written in one flush."""
    signers = issuing.SignerCache(keystore)
    targets = _targets(session, due)
    batch_id = new_id("obt")
    orders: dict[str, list[Envelope]] = defaultdict(list)
    ended = 0
    with session.no_autoflush:
        for measure in due:
            if measure.status != MeasureStatus.ISSUED.value:
                measure.lapses_at = None  # defensive: only measures in force end here
                continue
            now = clock.now()
            measure.lapses_at = None
            measure.ended_at = now
            measure.end_reason = reason
            order_id = new_id("ord")
            change(session, clock, SYSTEM_ACTOR, measure, action, order_id=order_id, batch=batch_id)
            orders[measure.addressee_organisation].append(
                issuing.sign_measure_order(
                    session,
                    now=now,
                    measure=measure,
                    signers=signers,
                    instruction="lift",
                    target=targets.get(measure.target_id or ""),
                    order_id=order_id,
                )
            )
            ended += 1
    for addressee, envelopes in sorted(orders.items()):
        issuing.send_batch(
            session, clock=clock, actor=SYSTEM_ACTOR, batch_id=batch_id, addressee=addressee, orders=envelopes
        )
    return ended


def lapse_due(session: Session, *, clock: Clock, keystore: Keystore, limit: int = 1000) -> int:
    """Lapse provisional measures past their review deadline unconfirmed (worker job); returns how many."""
    due = _due(session, Measure.lapses_at <= clock.now(), limit)
    return _sweep(
        session,
        clock=clock,
        keystore=keystore,
        due=due,
        action=MeasureAction.LAPSE,
        reason="review deadline passed without confirmation",
    )


def expire_due(session: Session, *, clock: Clock, keystore: Keystore, limit: int = 1000) -> int:
    """End measures whose end date has passed (worker job); the platform is told to lift them."""
    now = clock.now()
    due = _due(session, (Measure.status == MeasureStatus.ISSUED.value) & (Measure.ends_at <= now), limit)
    return _sweep(
        session,
        clock=clock,
        keystore=keystore,
        due=due,
        action=MeasureAction.EXPIRE,
        reason="end date reached",
    )


def _targets(session: Session, measures: list[Measure]) -> dict[str, str]:
    """The identifiers of the measures' targets, in one query for a whole batch."""
    from comity.cases.model import CaseTarget

    ids = {m.target_id for m in measures if m.target_id}
    if not ids:
        return {}
    rows = session.execute(select(CaseTarget.id, CaseTarget.identifier).where(CaseTarget.id.in_(ids)))
    return {row.id: row.identifier for row in rows}


def flag_overdue(session: Session, *, clock: Clock, limit: int = 1000) -> int:
    """Alert the issuing officers once about every order whose answer is overdue (worker job)."""
    now = clock.now()
    waiting = [ExecutionStatus.NONE.value, ExecutionStatus.RECEIVED.value]
    due = _due(
        session,
        (Measure.status == MeasureStatus.ISSUED.value)
        & (Measure.execution_status.in_(waiting))
        & (Measure.response_due_at <= now)
        & (Measure.overdue_alerted.is_(False)),
        limit,
    )
    for measure in due:
        measure.overdue_alerted = True
        raise_alert(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            kind="measure_overdue",
            severity=AlertSeverity.WARNING,
            subject_type=SUBJECT,
            subject_id=measure.id,
            audience=AlertAudience.OFFICERS,
            jurisdiction=measure.issuing_jurisdiction,
            message=f"{measure.addressee_organisation} has not answered order {measure.order_id} "
            f"due {measure.response_due_at.isoformat() if measure.response_due_at else '?'}",
            dedup_key=f"measure_overdue:{measure.id}:{measure.order_id}",
        )
        record_change(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            source="measures",
            subject_type=SUBJECT,
            row=measure,
            action="overdue",
            before=None,
            after=None,
        )
    return len(due)


def answer(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, data: AnswerIn
) -> MeasureAnswer:
    """The addressed platform answers an order: received, complied, partially, cannot comply, contested."""
    if principal.role is not Role.PLATFORM:
        raise Forbidden("only the addressed platform answers an order")
    measure = session.get(Measure, measure_id)
    if (
        measure is None
        or measure.addressee_organisation != principal.organisation_id
        or measure.issued_at is None
    ):
        raise NotFound(f"no measure {measure_id[:60]!r}")
    if measure.status != MeasureStatus.ISSUED.value:
        raise Conflict(
            f"measure {measure.id} is {measure.status}: answers are for orders in force",
            current_state=measure.status,
        )
    new = next_execution(measure.id, measure.execution_status, data.answer)
    errors: list[FieldError] = []
    if new in (ExecutionStatus.CANNOT_COMPLY, ExecutionStatus.PARTIALLY_COMPLIED) and not data.reasons:
        errors.append(FieldError("reasons", "give the Annex III reasons for not executing (in full)"))
    if new is ExecutionStatus.CONTESTED and not data.explanation:
        errors.append(FieldError("explanation", "say why the order is contested"))
    voluntary = measure.step == LadderStep.VOLUNTARY_REQUEST.value
    restricted = new in (ExecutionStatus.COMPLIED, ExecutionStatus.PARTIALLY_COMPLIED)
    if voluntary and restricted and measure.affects_person and data.statement_of_reasons is None:
        errors.append(
            FieldError(
                "statement_of_reasons",
                "a decision under the platform's terms owes a statement of reasons (DSA Art. 17)",
            )
        )
    if not voluntary and data.statement_of_reasons is not None:
        errors.append(
            FieldError(
                "statement_of_reasons",
                "an order's own notice replaces the statement of reasons (DSA Art. 17(5), Art. 9(5))",
            )
        )
    if data.statement_of_reasons is not None:
        target = issuing.target_identifier(session, measure)
        leaks = personal_data_in(data.statement_of_reasons, [target] if target else [])
        errors += [
            FieldError(f"statement_of_reasons.{f}", "holds personal data; it will be published")
            for f in leaks
        ]
    if errors:
        raise InvalidInput("the answer is incomplete", errors)
    now = clock.now()
    complied_at = (data.complied_at or now) if new is ExecutionStatus.COMPLIED else data.complied_at
    row = MeasureAnswer(
        id=new_id("ans"),
        measure_id=measure.id,
        answer=new.value,
        reasons=[r.value for r in data.reasons],
        explanation=data.explanation,
        complied_at=complied_at,
        answered_by=principal.actor,
        answered_at=now,
    )
    session.add(row)
    before = measure.execution_status
    measure.execution_status = new.value
    if complied_at is not None:
        measure.complied_at = complied_at
    if data.statement_of_reasons is not None:
        session.add(
            StatementOfReasons(
                id=new_id("sor"),
                measure_id=measure.id,
                puid=data.statement_of_reasons.puid,
                statement=normalised(data.statement_of_reasons),
                submitted_by=principal.actor,
                submitted_at=now,
            )
        )
    record_change(
        session,
        clock=clock,
        actor=principal.actor,
        source="measures",
        subject_type=SUBJECT,
        row=measure,
        action="answered",
        before=None,
        after=None,
        details={
            "answer_id": row.id,
            "execution_from": before,
            "execution_to": new.value,
            "reasons": [r.value for r in data.reasons],
        },
    )
    return row


def answers_of(session: Session, measure_id: str) -> list[MeasureAnswer]:
    """The platform's answers to a measure, oldest first."""
    return list(
        session.scalars(
            select(MeasureAnswer)
            .where(MeasureAnswer.measure_id == measure_id)
            .order_by(MeasureAnswer.answered_at, MeasureAnswer.id)
        )
    )


def due_for_review(session: Session, *, jurisdiction: str, now: datetime) -> list[Measure]:
    """Provisional measures of ``jurisdiction`` waiting for a judge's review, soonest deadline first."""
    return list(
        session.scalars(
            select(Measure)
            .where(Measure.issuing_jurisdiction == jurisdiction, Measure.lapses_at.is_not(None))
            .order_by(Measure.lapses_at)
        )
    )

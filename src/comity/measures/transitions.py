"""The measure state machine applied to rows: what may happen next (guards included), refusing anything
else with a 409 naming it, and applying a change with its audit event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from comity.clock import Clock
from comity.errors import (
    IllegalTransition,
)
from comity.measures.history import record_change
from comity.measures.model import (
    TRANSITIONS,
    Measure,
    MeasureAction,
    MeasureStatus,
    next_status,
)
from comity.measures.rules import (
    PriorNoticeState,
)

SUBJECT = "measure"


def change(
    session: Session,
    clock: Clock,
    actor: str,
    measure: Measure,
    action: MeasureAction,
    **details: Any,
) -> None:
    """Apply ``action`` through the state machine and write its audit event (ids only in details)."""
    before = measure.status
    after = next_status(measure.id, before, action)
    measure.status = after.value
    record_change(
        session,
        clock=clock,
        actor=actor,
        source="measures",
        subject_type=SUBJECT,
        row=measure,
        action=action.value,
        before=before,
        after=after.value,
        details=details,
    )


def allowed_actions(measure: Measure, now: datetime) -> list[str]:
    """What may happen next, with the guards applied (what a 409 names and a page offers)."""
    actions = list(TRANSITIONS[MeasureStatus(measure.status)])
    status = MeasureStatus(measure.status)
    if status in (MeasureStatus.AUTHORISED, MeasureStatus.ANNOUNCED) and not _may_issue(measure, now):
        actions.remove(MeasureAction.ISSUE)
    if status is MeasureStatus.AUTHORISED and (
        not measure.affects_person or measure.prior_notice_skip_approved_by
    ):
        actions.remove(MeasureAction.ANNOUNCE)
    if status is MeasureStatus.ISSUED and (not measure.provisional or measure.confirmed_at is not None):
        actions = [
            a for a in actions if a not in (MeasureAction.CONFIRM, MeasureAction.RENEW, MeasureAction.LAPSE)
        ]
    return [a.value for a in actions]


def ensure(measure: Measure, action: MeasureAction, now: datetime) -> None:
    """Refuse ``action`` unless the state machine and its guards allow it now (409 naming what is allowed)."""
    allowed = allowed_actions(measure, now)
    if action.value not in allowed:
        raise IllegalTransition(f"measure {measure.id}", measure.status, action.value, allowed)


def _may_issue(measure: Measure, now: datetime) -> bool:
    if not measure.affects_person:
        return True
    state = PriorNoticeState(
        skip_approved=measure.prior_notice_skip_approved_by is not None,
        sent=measure.prior_notice_sent_at is not None,
        reply_until=measure.prior_notice_reply_until,
    )
    return state.may_issue(now)


# --- drafting ---------------------------------------------------------------------------------------

"""Measures and orders (C5): tables, enums and the measure and execution state machines.

A measure is one action against a target of a case (a removal, a suspension, a freeze, a production...),
climbing the escalation ladder (advisory notice, voluntary request under the platform's terms, provisional
order, judicial order). Its row holds every legal element due process requires, the policy decision it
was checked against, and its order to the platform. Platform answers are appended, never edited.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base
from comity.errors import IllegalTransition
from comity.kinds import ActionKind

#: Measure kinds Comity issues (ActionKind values); information orders belong to requests.
MEASURE_KINDS: frozenset[ActionKind] = frozenset(
    {
        ActionKind.ADVISORY_NOTICE,
        ActionKind.VOLUNTARY_REMOVAL,
        ActionKind.REMOVAL_ORDER,
        ActionKind.ACCOUNT_SUSPENSION,
        ActionKind.DOMAIN_SUSPENSION,
        ActionKind.PAYMENT_FREEZE,
        ActionKind.PRODUCTION,
        ActionKind.PRESERVATION,
    }
)


class MeasureStatus(StrEnum):
    DRAFT = "draft"
    AWAITING_AUTHORISATION = "awaiting_authorisation"  # a judge must decide (validation, skip, deferral)
    REFUSED = "refused"
    AUTHORISED = "authorised"
    ANNOUNCED = "announced"  # prior notice sent; the person may reply until prior_notice_reply_until
    ISSUED = "issued"  # order handed to the outbox for the platform
    LAPSED = "lapsed"  # provisional, review deadline passed unconfirmed
    LIFTED = "lifted"
    EXPIRED = "expired"  # its end date passed
    WITHDRAWN = "withdrawn"


class MeasureAction(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    AUTHORISE = "authorise"
    REFUSE = "refuse"
    ANNOUNCE = "announce"
    ISSUE = "issue"
    CONFIRM = "confirm"
    RENEW = "renew"
    LAPSE = "lapse"
    LIFT = "lift"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"


S, A = MeasureStatus, MeasureAction

#: The measure state machine. Guards beyond the table (prior notice, provisional) live in ``rules``.
TRANSITIONS: dict[MeasureStatus, dict[MeasureAction, MeasureStatus]] = {
    S.DRAFT: {A.EDIT: S.DRAFT, A.SUBMIT: S.AWAITING_AUTHORISATION, A.WITHDRAW: S.WITHDRAWN},
    S.AWAITING_AUTHORISATION: {A.AUTHORISE: S.AUTHORISED, A.REFUSE: S.REFUSED, A.WITHDRAW: S.WITHDRAWN},
    S.AUTHORISED: {A.ANNOUNCE: S.ANNOUNCED, A.ISSUE: S.ISSUED, A.WITHDRAW: S.WITHDRAWN},
    S.ANNOUNCED: {A.ISSUE: S.ISSUED, A.WITHDRAW: S.WITHDRAWN},
    S.ISSUED: {
        A.CONFIRM: S.ISSUED,
        A.RENEW: S.ISSUED,
        A.LAPSE: S.LAPSED,
        A.LIFT: S.LIFTED,
        A.EXPIRE: S.EXPIRED,
    },
    S.REFUSED: {},
    S.LAPSED: {},
    S.LIFTED: {},
    S.EXPIRED: {},
    S.WITHDRAWN: {},
}

#: Statuses in which the measure has taken effect at some point (an order went out).
EFFECTIVE_STATUSES: frozenset[str] = frozenset({S.ISSUED, S.LAPSED, S.LIFTED, S.EXPIRED})


def next_status(measure_id: str, current: str, action: MeasureAction) -> MeasureStatus:
    """The status after ``action`` from ``current``, or IllegalTransition naming the allowed actions."""
    moves = TRANSITIONS[MeasureStatus(current)]
    if action not in moves:
        raise IllegalTransition(f"measure {measure_id}", current, action.value, [a.value for a in moves])
    return moves[action]


class LadderStep(StrEnum):
    """The escalation ladder, mildest first; each step above the first records why a milder was not enough."""

    ADVISORY_NOTICE = "advisory_notice"
    VOLUNTARY_REQUEST = "voluntary_request"
    PROVISIONAL_ORDER = "provisional_order"
    JUDICIAL_ORDER = "judicial_order"


LADDER: tuple[LadderStep, ...] = tuple(LadderStep)


class ExecutionStatus(StrEnum):
    """What the platform said it did with the order."""

    NONE = "none"
    RECEIVED = "received"
    COMPLIED = "complied"
    PARTIALLY_COMPLIED = "partially_complied"
    CANNOT_COMPLY = "cannot_comply"
    CONTESTED = "contested"


E = ExecutionStatus
_ANSWERS_AFTER_RECEIPT = frozenset({E.COMPLIED, E.PARTIALLY_COMPLIED, E.CANNOT_COMPLY, E.CONTESTED})

#: Which answers may follow which: receipt first (or implied), then an outcome; a partial compliance may
#: be completed or contested; a contest may end in compliance. Complied and cannot-comply are final.
EXECUTION_TRANSITIONS: dict[ExecutionStatus, frozenset[ExecutionStatus]] = {
    E.NONE: frozenset({E.RECEIVED}) | _ANSWERS_AFTER_RECEIPT,
    E.RECEIVED: _ANSWERS_AFTER_RECEIPT,
    E.PARTIALLY_COMPLIED: frozenset({E.COMPLIED, E.CONTESTED}),
    E.CONTESTED: frozenset({E.COMPLIED, E.CANNOT_COMPLY}),
    E.COMPLIED: frozenset(),
    E.CANNOT_COMPLY: frozenset(),
}


def next_execution(measure_id: str, current: str, answer: ExecutionStatus) -> ExecutionStatus:
    """Check that ``answer`` may follow the platform's previous answer."""
    allowed = EXECUTION_TRANSITIONS[ExecutionStatus(current)]
    if answer not in allowed:
        raise IllegalTransition(
            f"execution of measure {measure_id}", current, answer.value, sorted(a.value for a in allowed)
        )
    return answer


class CannotComplyReason(StrEnum):
    """Reasons an addressee gives for not executing: e-Evidence Annex III (Form 3) with the ETSI TS 104 144
    reason codes, verbatim."""

    INCOMPLETE = "Incomplete"
    MANIFEST_ERRORS = "ManifestErrors"
    INSUFFICIENT_INFORMATION = "InsufficientInformation"
    DATA_NOT_HELD = "DataNotHeld"
    DE_FACTO_IMPOSSIBILITY = "DeFactoImpossibility"
    SERVICE_NOT_COVERED = "ServiceNotCovered"
    IMMUNITIES_OR_PRIVILEGES = "ImmunitiesOrPrivileges"
    CONFLICT_OF_LAW = "ConflictOfLaw"


class PriorNoticeSkipGround(StrEnum):
    """Why a person is not told before the measure (a judge must accept it)."""

    WOULD_DEFEAT = "would_defeat"  # telling the person would defeat the measure (data moved, money gone)
    URGENCY = "urgency"  # imminent harm: no time for the reply period


class Measure(Base):
    __tablename__ = "measures"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    target_id: Mapped[str | None] = mapped_column(ForeignKey("case_targets.id"))
    kind: Mapped[str] = mapped_column(String(30))  # ActionKind
    step: Mapped[str] = mapped_column(String(30))  # LadderStep
    status: Mapped[str] = mapped_column(String(30))  # MeasureStatus
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    affects_person: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where, under what, against what.
    agreement_id: Mapped[str | None] = mapped_column(String(80))
    regime: Mapped[str | None] = mapped_column(String(40))
    offence: Mapped[str] = mapped_column(String(60))
    statute: Mapped[str | None] = mapped_column(String(120))
    data_category: Mapped[str | None] = mapped_column(String(20))
    issuing_jurisdiction: Mapped[str] = mapped_column(String(2))
    executing_jurisdiction: Mapped[str] = mapped_column(String(2))
    addressee_organisation: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    # The legal elements (DESIGN §3: none may be missing once submitted).
    legal_basis: Mapped[str | None] = mapped_column(Text)
    justification: Mapped[str | None] = mapped_column(Text)
    #: {"offence_severity", "harm", "milder_alternatives": [...]}
    proportionality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    escalation_reason: Mapped[str | None] = mapped_column(Text)  # why a milder step was not enough
    territorial_scope: Mapped[list[Any]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    review_at: Mapped[datetime | None]
    issuing_organisation: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    issuer_authority_type: Mapped[str] = mapped_column(String(30))
    requires_validation: Mapped[bool] = mapped_column(Boolean, default=False)
    validating_organisation: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    validator_authority_type: Mapped[str | None] = mapped_column(String(30))
    # The human decision-maker (never a score); a risk score may inform, never decide.
    decided_by: Mapped[str | None] = mapped_column(String(120))
    risk_score: Mapped[float | None]
    # Prior notice and its judge-approved exception.
    prior_notice_skip_ground: Mapped[str | None] = mapped_column(String(20))
    prior_notice_skip_reason: Mapped[str | None] = mapped_column(Text)
    prior_notice_skip_approved_by: Mapped[str | None] = mapped_column(String(120))
    prior_notice_sent_at: Mapped[datetime | None]
    prior_notice_reply_until: Mapped[datetime | None]
    prior_notice_reply: Mapped[str | None] = mapped_column(Text)
    # Deferral of the notice after the measure (judge-approved, bounded by the agreement).
    notice_deferral_reason: Mapped[str | None] = mapped_column(Text)
    notice_deferral_until: Mapped[datetime | None]
    notice_deferral_approved_by: Mapped[str | None] = mapped_column(String(120))
    # How the person is told: relayed by the platform, or by e-mail to this address (personal data).
    notice_channel: Mapped[str] = mapped_column(String(20), default="platform")
    notice_email: Mapped[str | None] = mapped_column(String(320))
    # The policy engine's answer, kept: what was asked and what it decided.
    policy_request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    policy_decision: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Authorisation.
    authorised_by: Mapped[str | None] = mapped_column(String(120))
    authorised_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The order and its execution.
    order_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    order_envelope: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime | None]
    execution_status: Mapped[str] = mapped_column(String(30), default=ExecutionStatus.NONE.value)
    complied_at: Mapped[datetime | None]
    overdue_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Provisional measures: review, confirmation, renewals, lapse.
    review_deadline: Mapped[datetime | None]
    #: When the measure lapses unless confirmed: set while provisional, unconfirmed and in force; the
    #: worker's sweep reads only this indexed column.
    lapses_at: Mapped[datetime | None] = mapped_column(index=True)
    confirmed_by: Mapped[str | None] = mapped_column(String(120))
    confirmed_at: Mapped[datetime | None]
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    #: Running SHA-256 over this measure's own audit events: the invariant audit recomputes it, so an
    #: event altered or deleted afterwards is found (history is never rewritten).
    audit_digest: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        Index("ix_measures_status", "status"),
        Index("ix_measures_expiry", "status", "ends_at"),
    )


class MeasureAnswer(Base):
    """One answer of the platform to an order, appended (a correction is a new answer)."""

    __tablename__ = "measure_answers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), index=True)
    answer: Mapped[str] = mapped_column(String(30))  # ExecutionStatus
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)  # CannotComplyReason values
    explanation: Mapped[str] = mapped_column(Text, default="")
    complied_at: Mapped[datetime | None]
    answered_by: Mapped[str] = mapped_column(String(120))
    answered_at: Mapped[datetime]

"""API shapes of measures: drafting, elements, decisions, platform answers, and the read model."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from comity.kinds import ActionKind, DataCategory
from comity.measures.model import CannotComplyReason, ExecutionStatus, Measure, PriorNoticeSkipGround
from comity.notices.model import Channel
from comity.notices.sor import StatementOfReasonsIn

IsoCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Proportionality(_In):
    offence_severity: Text | None = None
    harm: Text | None = None
    milder_alternatives: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=20
    )


class MeasureElements(_In):
    """The legal elements; any may be given at creation or later, all are needed to submit."""

    legal_basis: Text | None = None
    justification: Text | None = None
    proportionality: Proportionality | None = None
    escalation_reason: Text | None = Field(None, description="why a milder step of the ladder was not enough")
    territorial_scope: list[IsoCode] | None = Field(None, max_length=60)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    review_at: AwareDatetime | None = None
    target_id: str | None = Field(None, max_length=40, description="the case target acted against")
    statute: str | None = Field(None, max_length=120)
    data_category: DataCategory | None = None
    risk_score: float | None = Field(
        None, ge=0, le=1, description="an automated score: informs, never decides"
    )
    prior_notice_skip_ground: PriorNoticeSkipGround | None = None
    prior_notice_skip_reason: Text | None = None
    notice_channel: Channel | None = None
    notice_email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MeasureCreate(MeasureElements):
    case_id: str = Field(min_length=1, max_length=40)
    kind: ActionKind
    addressee: str = Field(min_length=1, max_length=40, description="organisation id of the platform")
    offence: str = Field(min_length=1, max_length=60)
    executing_jurisdiction: IsoCode
    agreement: str | None = Field(None, max_length=80)
    urgent: bool = False
    provisional: bool = False


class NoticeDeferralIn(_In):
    reason: Text = Field(min_length=1)
    until: AwareDatetime


class AuthoriseIn(_In):
    note: Text = Field(min_length=1, description="the judge's reasons")
    approve_prior_notice_skip: bool = False
    approve_notice_deferral: bool = False


class RefuseIn(_In):
    reason: Text = Field(min_length=1)


class ReasonIn(_In):
    reason: Text = Field(min_length=1)


class RenewIn(_In):
    review_deadline: AwareDatetime
    reason: Text = Field(min_length=1)


class ReplyIn(_In):
    reply: Text = Field(min_length=1, description="the person's reply to the prior notice")


class AnswerIn(_In):
    answer: ExecutionStatus
    complied_at: AwareDatetime | None = None
    reasons: list[CannotComplyReason] = Field(default_factory=list, max_length=8)
    explanation: Text = ""
    statement_of_reasons: StatementOfReasonsIn | None = Field(
        None, description="DSA Art. 17 statement (Transparency Database v2 fields) for a voluntary request"
    )


class MeasureOut(BaseModel):
    id: str
    case_id: str
    kind: str
    step: str
    status: str
    urgent: bool
    provisional: bool
    affects_person: bool
    regime: str | None
    agreement_id: str | None
    offence: str
    issuing_jurisdiction: str
    executing_jurisdiction: str
    addressee: str
    legal_basis: str | None
    justification: str | None
    proportionality: dict[str, Any]
    escalation_reason: str | None
    territorial_scope: list[Any]
    starts_at: datetime | None
    ends_at: datetime | None
    review_at: datetime | None
    issuing_organisation: str
    issuer_authority_type: str
    requires_validation: bool
    validating_organisation: str | None
    validator_authority_type: str | None
    decided_by: str | None
    risk_score: float | None
    prior_notice_skip_ground: str | None
    prior_notice_skip_approved: bool
    prior_notice_sent_at: datetime | None
    prior_notice_reply_until: datetime | None
    notice_deferral_until: datetime | None
    notice_deferral_approved: bool
    authorised_by: str | None
    order_id: str | None
    issued_at: datetime | None
    response_due_at: datetime | None
    execution_status: str
    review_deadline: datetime | None
    confirmed_at: datetime | None
    renewals: int
    ended_at: datetime | None
    end_reason: str | None
    policy_decision: dict[str, Any]
    allowed_next: list[str]
    #: Fields withheld from this reader (oversight reads metadata, never free text that may name people).
    withheld: list[str] = []


#: The free-text fields of a measure, withheld from oversight (they may name the person or the target).
CONTENT_FIELDS: tuple[str, ...] = ("justification", "proportionality", "escalation_reason", "end_reason")


def measure_out(measure: Measure, allowed_next: list[str], *, content: bool = True) -> MeasureOut:
    """The read model of a measure (no target identifier, no mailbox); ``content=False``: metadata only."""
    out = MeasureOut(
        id=measure.id,
        case_id=measure.case_id,
        kind=measure.kind,
        step=measure.step,
        status=measure.status,
        urgent=measure.urgent,
        provisional=measure.provisional,
        affects_person=measure.affects_person,
        regime=measure.regime,
        agreement_id=measure.agreement_id,
        offence=measure.offence,
        issuing_jurisdiction=measure.issuing_jurisdiction,
        executing_jurisdiction=measure.executing_jurisdiction,
        addressee=measure.addressee_organisation,
        legal_basis=measure.legal_basis,
        justification=measure.justification,
        proportionality=dict(measure.proportionality or {}),
        escalation_reason=measure.escalation_reason,
        territorial_scope=list(measure.territorial_scope or []),
        starts_at=measure.starts_at,
        ends_at=measure.ends_at,
        review_at=measure.review_at,
        issuing_organisation=measure.issuing_organisation,
        issuer_authority_type=measure.issuer_authority_type,
        requires_validation=measure.requires_validation,
        validating_organisation=measure.validating_organisation,
        validator_authority_type=measure.validator_authority_type,
        decided_by=measure.decided_by,
        risk_score=measure.risk_score,
        prior_notice_skip_ground=measure.prior_notice_skip_ground,
        prior_notice_skip_approved=measure.prior_notice_skip_approved_by is not None,
        prior_notice_sent_at=measure.prior_notice_sent_at,
        prior_notice_reply_until=measure.prior_notice_reply_until,
        notice_deferral_until=measure.notice_deferral_until,
        notice_deferral_approved=measure.notice_deferral_approved_by is not None,
        authorised_by=measure.authorised_by,
        order_id=measure.order_id,
        issued_at=measure.issued_at,
        response_due_at=measure.response_due_at,
        execution_status=measure.execution_status,
        review_deadline=measure.review_deadline,
        confirmed_at=measure.confirmed_at,
        renewals=measure.renewals,
        ended_at=measure.ended_at,
        end_reason=measure.end_reason,
        policy_decision=dict(measure.policy_decision or {}),
        allowed_next=allowed_next,
    )
    if content:
        return out
    return out.model_copy(
        update={
            "justification": None,
            "proportionality": {},
            "escalation_reason": None,
            "end_reason": None,
            "allowed_next": [],
            "withheld": list(CONTENT_FIELDS),
        }
    )

"""API shapes of cross-border requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from comity.assistance_requests.model import ExecutingGround, NonExecutionReason
from comity.kinds import ActionKind, DataCategory

IsoCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestCreate(_In):
    """A draft request: its case, offence, targets, agreement, measure and bounded time range."""

    offence_id: str = Field(min_length=1, max_length=40, description="a charged offence of the case")
    target_ids: list[str] = Field(min_length=1, max_length=50, description="targets of the case it names")
    agreement_id: str = Field(min_length=1, max_length=80)
    to_state: IsoCode
    measure: ActionKind
    data_category: DataCategory | None = None
    emergency: bool = False
    time_from: AwareDatetime | None = None
    time_to: AwareDatetime | None = None
    addressee_organisation_id: str | None = Field(None, max_length=40)
    committed_in_issuing: bool | None = Field(None, description="e-Evidence Art. 8(2)(a)")
    person_resides_in_issuing: bool | None = Field(None, description="e-Evidence Art. 8(2)(b)")


class Note(_In):
    """A free-text note; only its hash is kept in the trail (it may name people)."""

    note: str = Field("", max_length=2000)


class GroundsRaise(_In):
    grounds: list[ExecutingGround] = Field(min_length=1, max_length=7)
    partial: bool = False
    note: str = Field("", max_length=2000)


class NonExecution(_In):
    reasons: list[NonExecutionReason] = Field(min_length=1, max_length=8)
    note: str = Field("", max_length=2000)


class ProductionConfirm(_In):
    production_request_id: str | None = Field(None, max_length=40)
    note: str = Field("", max_length=2000)


class StepRead(BaseModel):
    seq: int
    action: str
    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    allowed: bool
    decision: dict[str, Any]
    details: dict[str, Any]


class RequestSummary(BaseModel):
    id: str
    case_id: str
    procedure: str
    regime: str
    measure: str
    emergency: bool
    from_state: str
    to_state: str
    status: str
    due_at: datetime | None
    created_at: datetime


class RequestDetail(RequestSummary):
    data_category: str | None
    agreement_id: str
    agreement_version: int
    offence_code: str
    statute: str
    addressee_organisation_id: str | None
    target_ids: list[str]
    time_from: datetime | None
    time_to: datetime | None
    issuer_authority: str
    validated_by_authority: str | None
    validated_at: datetime | None
    notify_executing_state: bool
    suspensive: bool
    transmitted_at: datetime | None
    review_ends_at: datetime | None
    preservation_ends_at: datetime | None
    ex_post_due_at: datetime | None
    extension_count: int
    grounds: list[str]
    grounds_partial: bool | None
    non_execution_reasons: list[str]
    allowed_next: list[str]
    steps: list[StepRead]


class RequestPage(BaseModel):
    items: list[RequestSummary]

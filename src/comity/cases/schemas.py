"""API shapes of case files: what callers send and what they read back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from comity.cases.model import JurisdictionalLink, MemberRole, TargetKind
from comity.kinds import DataCategory

IsoCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseCreate(_In):
    title: Text200
    summary: str = Field("", max_length=5000)
    jurisdictional_links: list[JurisdictionalLink] = Field(min_length=1, max_length=5)


class OffenceAdd(_In):
    taxonomy_code: str = Field(min_length=1, max_length=60)
    statute: str = Field(min_length=1, max_length=200, description="statute id of the charging jurisdiction")
    jurisdiction: IsoCode | None = Field(None, description="whose statute (default: the case's lead)")


class TargetAdd(_In):
    kind: TargetKind
    identifier: str = Field(min_length=1, max_length=500)
    data_category: DataCategory = DataCategory.SUBSCRIBER
    platform: str | None = Field(None, max_length=200)


class MemberAdd(_In):
    username: str = Field(min_length=1, max_length=80)
    role: MemberRole
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class TeamCreate(_In):
    purpose: str = Field(min_length=1, max_length=5000)
    parties: list[IsoCode] = Field(min_length=2, max_length=30)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    agreement_id: str | None = Field(None, max_length=80)


class TeamExtend(_In):
    ends_at: AwareDatetime


class SecondeeAdd(_In):
    username: str = Field(min_length=1, max_length=80)
    undertaking_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hash of the signed undertaking")
    undertaking_signed_at: AwareDatetime
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class Reason(_In):
    reason: str = Field(min_length=1, max_length=500)


class CaseSummary(BaseModel):
    id: str
    title: str
    status: str
    jurisdictions: list[str]


class OffenceRead(BaseModel):
    id: str
    taxonomy_code: str
    jurisdiction: str
    statute: str
    added_at: datetime


class TargetRead(BaseModel):
    id: str
    kind: str
    identifier: str | None  # None where the reader may not see personal data (CLI summaries)
    data_category: str
    identifier_hash: str
    platform: str | None
    added_at: datetime


class MemberRead(BaseModel):
    id: str
    user_id: str
    role: str
    jurisdiction: str
    starts_at: datetime
    ends_at: datetime | None
    team_id: str | None
    undertaking_sha256: str | None


class TeamRead(BaseModel):
    id: str
    purpose: str
    parties: list[str]
    agreement_id: str | None
    starts_at: datetime
    ends_at: datetime
    extension_count: int


class TimelineEntry(BaseModel):
    at: datetime
    actor: str
    tag: str
    subject_type: str
    subject_id: str
    #: Ids, digests and evidence types only (federation entries: which message, of which request).
    details: dict[str, str] = {}


class DeadlineEntry(BaseModel):
    request_id: str
    kind: str
    due_at: datetime
    source: str


class CaseDetail(CaseSummary):
    summary: str
    lead_jurisdiction: str
    jurisdictional_links: list[str]
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    reopen_count: int
    offences: list[OffenceRead]
    targets: list[TargetRead]
    members: list[MemberRead]
    teams: list[TeamRead]


class CasePage(BaseModel):
    items: list[CaseSummary]

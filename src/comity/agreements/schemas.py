"""JSON shapes of agreements as the API publishes them (readable by people and machines)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from comity.agreements.model import Agreement
from comity.agreements.regimes import DATA_CATEGORY_MEANING, REGIME_BASIS
from comity.governance.model import GovernedDocument
from comity.kinds import SeverityBand


class PartyRead(BaseModel):
    jurisdiction: str
    name: str
    role: str
    organisation: str | None


class DataTermsRead(BaseModel):
    category: str
    meaning: str = Field(description="The category as e-Evidence Art. 3(9)-(12) defines it")
    conditions: str
    retention_days: int
    fields: list[str] = Field(description="Fields that may leave a node (egress minimisation)")


class NoticeRead(BaseModel):
    prior_notice_period: str | None
    max_deferral_days: int


class VersionRead(BaseModel):
    version: int
    status: str
    content_sha256: str
    proposed_at: datetime
    decided_at: datetime | None
    superseded_at: datetime | None

    @classmethod
    def of(cls, row: GovernedDocument) -> VersionRead:
        """The history entry of one stored version (no personal names: actors are not published)."""
        return cls(
            version=row.version,
            status=row.status,
            content_sha256=row.content_sha256,
            proposed_at=row.proposed_at,
            decided_at=row.decided_at,
            superseded_at=row.superseded_at,
        )


class AgreementSummary(BaseModel):
    id: str
    version: int
    regime: str
    title: str
    parties: list[str] = Field(description="Jurisdictions of the parties (ISO 3166)")
    offences: list[str]
    effective: date
    sunset: date
    in_force: bool
    days_to_sunset: int = Field(description="0 on the last day in force; negative once past the sunset")

    @classmethod
    def of(cls, agreement: Agreement, *, today: date) -> AgreementSummary:
        """The list entry of ``agreement``, with its standing on ``today``."""
        return cls(
            id=agreement.id,
            version=agreement.version,
            regime=agreement.regime.value,
            title=agreement.title,
            parties=sorted(agreement.jurisdictions),
            offences=sorted(agreement.offences),
            effective=agreement.effective,
            sunset=agreement.sunset,
            in_force=agreement.in_force(today),
            days_to_sunset=agreement.days_to_sunset(today),
        )


class AgreementRead(AgreementSummary):
    summary: str
    legal_basis: str = Field(description="The instrument the regime rests on")
    party_details: list[PartyRead]
    permitted_measures: dict[str, list[str]] = Field(description="Severity band -> measures permitted")
    data_categories: list[DataTermsRead]
    deadlines: dict[str, str]
    counting: str
    notice: NoticeRead
    oversight_body: str
    review_cadence_months: int
    dual_criminality_reservation: bool
    list_offence_exemption: bool
    territorial_scope: list[str]
    clauses: dict[str, str]
    status: str
    content_sha256: str
    versions: list[VersionRead]

    @classmethod
    def full(
        cls, agreement: Agreement, row: GovernedDocument, versions: list[GovernedDocument], *, today: date
    ) -> AgreementRead:
        """Everything about one version of an agreement, with its version history."""
        return cls(
            **AgreementSummary.of(agreement, today=today).model_dump(),
            summary=agreement.summary,
            legal_basis=REGIME_BASIS[agreement.regime],
            party_details=[
                PartyRead(jurisdiction=p.jurisdiction, name=p.name, role=p.role, organisation=p.organisation)
                for p in agreement.parties
            ],
            permitted_measures={
                band.label: sorted(agreement.permitted_measures.get(band, frozenset()))
                for band in SeverityBand
            },
            data_categories=[
                DataTermsRead(
                    category=terms.category.value,
                    meaning=DATA_CATEGORY_MEANING[terms.category],
                    conditions=terms.conditions,
                    retention_days=terms.retention_days,
                    fields=list(terms.fields),
                )
                for terms in agreement.data_categories.values()
            ],
            deadlines={name: str(period) for name, period in agreement.deadlines.items()},
            counting=agreement.counting.value,
            notice=NoticeRead(
                prior_notice_period=str(agreement.notice.prior_notice_period)
                if agreement.notice.prior_notice_period
                else None,
                max_deferral_days=agreement.notice.max_deferral_days,
            ),
            oversight_body=agreement.oversight_body,
            review_cadence_months=agreement.review_cadence_months,
            dual_criminality_reservation=agreement.dual_criminality_reservation,
            list_offence_exemption=agreement.list_offence_exemption,
            territorial_scope=list(agreement.territorial_scope),
            clauses=dict(agreement.clauses),
            status=row.status,
            content_sha256=row.content_sha256,
            versions=[VersionRead.of(v) for v in versions],
        )

"""JSON shapes of the shared vocabulary (open data): offences, statutes and jurisdiction profiles."""

from __future__ import annotations

from pydantic import BaseModel, Field

from comity.vocabulary.model import JurisdictionProfile, Offence, Statute


class OffenceRead(BaseModel):
    code: str
    name: str
    severity: str = Field(description="Comity severity band: low | medium | high | critical")
    list_offence: bool = Field(description="In the list of 32 categories (FD 2002/584/JHA Art. 2(2))")
    list_categories: list[int]
    cyber_or_terror: bool = Field(description="An e-Evidence Art. 5(4)(b)-(c) offence")
    convention_offence: bool = Field(description="Established under Budapest Convention Arts 2-11")
    description: str

    @classmethod
    def of(cls, offence: Offence) -> OffenceRead:
        """The JSON form of ``offence``."""
        return cls(
            code=offence.code,
            name=offence.name,
            severity=offence.severity.label,
            list_offence=offence.list_offence,
            list_categories=list(offence.list_categories),
            cyber_or_terror=offence.cyber_or_terror,
            convention_offence=offence.convention_offence,
            description=offence.description,
        )


class StatuteRead(BaseModel):
    id: str
    offence: str = Field(description="Taxonomy code the statute maps onto")
    statute: str = Field(description="Citation of the provision")
    title: str
    max_penalty_months: int = Field(description="Maximum custodial sentence; life is recorded as 1200")
    life_imprisonment: bool

    @classmethod
    def of(cls, statute: Statute) -> StatuteRead:
        """The JSON form of ``statute``."""
        return cls(
            id=statute.id,
            offence=statute.offence,
            statute=statute.citation,
            title=statute.title,
            max_penalty_months=statute.max_penalty_months,
            life_imprisonment=statute.life_imprisonment,
        )


class JurisdictionSummary(BaseModel):
    code: str
    name: str
    version: int
    eu_member: bool
    illustrative: bool
    time_zone: str
    legal_system: str
    challenge_period_days: int
    statute_count: int

    @classmethod
    def of(cls, profile: JurisdictionProfile) -> JurisdictionSummary:
        """The list entry of ``profile``."""
        return cls(
            code=profile.code,
            name=profile.name,
            version=profile.version,
            eu_member=profile.eu_member,
            illustrative=profile.illustrative,
            time_zone=profile.time_zone,
            legal_system=profile.legal_system,
            challenge_period_days=profile.challenge_period_days,
            statute_count=len(profile.statutes),
        )


class JurisdictionRead(JurisdictionSummary):
    languages: list[str]
    holiday_country: str
    holiday_subdivision: str | None
    challenge_period_basis: str
    extra: dict[str, str]
    statutes: list[StatuteRead]

    @classmethod
    def full(cls, profile: JurisdictionProfile) -> JurisdictionRead:
        """The whole profile of one jurisdiction."""
        return cls(
            **JurisdictionSummary.of(profile).model_dump(),
            languages=list(profile.languages),
            holiday_country=profile.holiday_country,
            holiday_subdivision=profile.holiday_subdivision,
            challenge_period_basis=profile.challenge_period_basis,
            extra=dict(profile.extra),
            statutes=[StatuteRead.of(s) for s in profile.statutes],
        )

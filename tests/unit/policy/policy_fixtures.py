"""Builders for policy tests: profiles, statutes, offences, agreements and contexts that express given facts.

Importable as ``unit.policy.policy_fixtures`` (``tests`` is on the pytest path). Defaults make Comity's own
rules pass, so each test changes only the fact it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from comity.agreements.model import Agreement, DataCategoryTerms, NoticeRules, Party
from comity.kinds import ActionKind, AuthorityType, Counting, DataCategory, Regime, SeverityBand
from comity.periods import Period
from comity.policy.model import PolicyContext, ProposedAction
from comity.vocabulary.model import JurisdictionProfile, Offence, Statute

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
OFFENCE = "counterfeit_goods"
OTHER_OFFENCE = "illicit_trade_in_protected_species"

ZONES = {
    "IE": "Europe/Dublin",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "NL": "Europe/Amsterdam",
    "ES": "Europe/Madrid",
    "US": "America/New_York",
}


def offence(
    code: str = OFFENCE,
    *,
    severity: SeverityBand = SeverityBand.HIGH,
    list_offence: bool = True,
    cyber_or_terror: bool = False,
    convention_offence: bool = False,
) -> Offence:
    return Offence(
        code=code,
        name=code.replace("_", " "),
        severity=severity,
        list_offence=list_offence,
        cyber_or_terror=cyber_or_terror,
        convention_offence=convention_offence,
    )


def statute(jurisdiction: str, offence_code: str = OFFENCE, months: int = 60, suffix: str = "a") -> Statute:
    return Statute(
        id=f"{jurisdiction}-{offence_code}-{suffix}",
        jurisdiction=jurisdiction,
        offence=offence_code,
        citation=f"{jurisdiction} Criminal Code, {offence_code} ({suffix})",
        max_penalty_months=months,
    )


def profile(
    code: str,
    statutes: Iterable[Statute] = (),
    *,
    eu_member: bool = True,
    zone: str | None = None,
    subdivision: str | None = None,
) -> JurisdictionProfile:
    return JurisdictionProfile(
        code=code,
        name=f"Illustrative {code}",
        languages=("en",),
        time_zone=zone or ZONES[code],
        legal_system="civil_law",
        holiday_country=code,
        challenge_period_days=60,
        statutes=tuple(statutes),
        eu_member=eu_member,
        holiday_subdivision=subdivision,
    )


ALL_KINDS = frozenset(ActionKind)


def agreement(
    regime: Regime,
    *,
    agreement_id: str | None = None,
    version: int = 1,
    parties: Iterable[str] = ("IE", "DE"),
    offences: Iterable[str] = (OFFENCE,),
    permitted: Mapping[SeverityBand, Iterable[ActionKind]] | None = None,
    deadlines: Mapping[str, str] | None = None,
    counting: Counting = Counting.REG_1182_71,
    effective: date = date(2026, 1, 1),
    sunset: date = date(2030, 12, 31),
    max_deferral_days: int = 30,
    data_categories: Iterable[DataCategory] = tuple(DataCategory),
    **extra: Any,
) -> Agreement:
    """An agreement of ``regime`` that (by default) permits every kind for every band."""
    permitted_measures = {
        band: frozenset(kinds)
        for band, kinds in (permitted or dict.fromkeys(SeverityBand, ALL_KINDS)).items()
    }
    return Agreement(
        id=agreement_id or f"{regime.value}-test",
        version=version,
        regime=regime,
        title=f"Test {regime.value} agreement",
        parties=tuple(Party(jurisdiction=p, name=f"State {p}") for p in parties),
        offences=frozenset(offences),
        permitted_measures=permitted_measures,
        data_categories={c: DataCategoryTerms(category=c, retention_days=180) for c in data_categories},
        deadlines={name: Period.parse(text) for name, text in (deadlines or {}).items()},
        counting=counting,
        notice=NoticeRules(max_deferral_days=max_deferral_days),
        oversight_body="Test oversight board",
        review_cadence_months=12,
        effective=effective,
        sunset=sunset,
        **extra,
    )


def context(
    agreements: Iterable[Agreement],
    *,
    offences: Iterable[Offence] = (),
    jurisdictions: Iterable[JurisdictionProfile] = (),
) -> PolicyContext:
    offence_list = list(offences) or [offence()]
    profiles = list(jurisdictions) or [
        profile("IE", [statute("IE", months=60), statute("IE", months=24, suffix="b")]),
        profile("DE", [statute("DE", months=60)]),
    ]
    return PolicyContext(
        offences={o.code: o for o in offence_list},
        jurisdictions={p.code: p for p in profiles},
        agreements=list(agreements),
    )


def action(**changes: Any) -> ProposedAction:
    """A proposed e-Evidence-style production of subscriber data, IE -> DE, by a judge, with a link."""
    base = ProposedAction(
        kind=ActionKind.PRODUCTION,
        issuing_state="IE",
        executing_state="DE",
        offence=OFFENCE,
        issuer=AuthorityType.JUDGE,
        data_category=DataCategory.SUBSCRIBER,
        jurisdictional_link="victims_in_territory",
    )
    return replace(base, **changes)

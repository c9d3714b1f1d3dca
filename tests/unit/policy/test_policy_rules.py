"""Table-driven tests of every rule of the engine, refusals included, called through ``engine.evaluate``.

Each row starts from facts that satisfy every rule of its regime and changes one thing; it names the rules
that must then be unsatisfied (exactly those) and, where it matters, what else the decision must say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from comity.agreements.model import Agreement
from comity.agreements.regimes import REGIME_MEASURES
from comity.errors import InvalidInput
from comity.kinds import ActionKind, AuthorityType, Counting, DataCategory, Regime, SeverityBand
from comity.periods import Period
from comity.policy.deadlines import due
from comity.policy.engine import RULESETS, evaluate
from comity.policy.model import Decision, ProposedAction
from comity.vocabulary.model import JurisdictionProfile, Offence, Statute
from unit.policy.policy_fixtures import (
    NOW,
    OTHER_OFFENCE,
    action,
    agreement,
    offence,
    profile,
    statute,
)

A = ActionKind
J = AuthorityType
D = DataCategory

#: A fact pattern that passes every rule of its regime (the row changes one thing).
BASE: dict[Regime, dict[str, Any]] = {
    Regime.E_EVIDENCE: {"kind": A.PRODUCTION, "data_category": D.SUBSCRIBER, "issuer": J.JUDGE},
    Regime.BUDAPEST_PRESERVATION: {
        "kind": A.PRESERVATION,
        "data_category": D.TRAFFIC,
        "issuer": J.PROSECUTOR,
    },
    Regime.FREEZING: {"kind": A.PAYMENT_FREEZE, "data_category": None, "issuer": J.JUDGE},
    Regime.DSA_ORDER: {"kind": A.REMOVAL_ORDER, "data_category": None, "issuer": J.REGULATOR},
    Regime.PLATFORM_TERMS: {"kind": A.VOLUNTARY_REMOVAL, "data_category": None, "issuer": J.POLICE},
    Regime.MUTUAL_LEGAL_ASSISTANCE: {
        "kind": A.PRODUCTION,
        "data_category": D.CONTENT,
        "issuer": J.PROSECUTOR,
    },
    Regime.JOINT_INVESTIGATION_TEAM: {
        "kind": A.ACCOUNT_SUSPENSION,
        "data_category": None,
        "issuer": J.POLICE,
    },
}


@dataclass
class Case:
    """One row: a regime, what changes from its base, and what the decision must then say."""

    id: str
    regime: Regime
    act: dict[str, Any] = field(default_factory=dict)
    agreement: dict[str, Any] = field(default_factory=dict)
    offence: dict[str, Any] = field(default_factory=dict)
    issuing_months: int = 60
    criminal_in_executing: bool = True
    issuing_eu: bool = True
    fails: frozenset[str] = frozenset()  # the rules that must be unsatisfied (exactly these)
    grounds: frozenset[str] | None = None
    obligations: frozenset[str] = frozenset()
    expect: dict[str, Any] = field(default_factory=dict)  # attribute of Decision (or limits.x) -> value
    assumes: tuple[str, ...] = ()  # substrings some assumption must contain


def run(
    regime: Regime,
    act: dict[str, Any] | None = None,
    *,
    agreement_kw: dict[str, Any] | None = None,
    offence_kw: dict[str, Any] | None = None,
    issuing_months: int = 60,
    criminal_in_executing: bool = True,
    issuing_eu: bool = True,
    statute_override: Statute | None = None,
) -> Decision:
    """Evaluate ``act`` (over the regime's base facts) against an agreement of ``regime``."""
    facts = {"at": NOW, **BASE[regime], **(act or {})}
    the_action: ProposedAction = action(**facts)
    the_offence: Offence = offence(**(offence_kw or {}))
    issuing_statute = statute("IE", months=issuing_months)
    issuing: JurisdictionProfile = profile("IE", [issuing_statute], eu_member=issuing_eu)
    executing = profile("DE", [statute("DE")] if criminal_in_executing else [statute("DE", OTHER_OFFENCE)])
    the_agreement: Agreement = agreement(regime, **(agreement_kw or {}))
    return evaluate(
        the_action,
        agreement=the_agreement,
        offence=the_offence,
        statute=statute_override or issuing_statute,
        issuing=issuing,
        executing=executing,
        now=NOW,
    )


def unsatisfied(decision: Decision) -> frozenset[str]:
    return frozenset(r.rule for r in decision.reasons if not r.satisfied)


E, B, F, S, T, M, JT = (
    Regime.E_EVIDENCE,
    Regime.BUDAPEST_PRESERVATION,
    Regime.FREEZING,
    Regime.DSA_ORDER,
    Regime.PLATFORM_TERMS,
    Regime.MUTUAL_LEGAL_ASSISTANCE,
    Regime.JOINT_INVESTIGATION_TEAM,
)
fs = frozenset

CASES: list[Case] = [
    # --- the base of every regime passes ---
    *[Case(f"base-{regime.value}", regime) for regime in Regime],
    # --- Comity's own rules ---
    Case("comity-past-sunset", E, agreement={"sunset": date(2026, 8, 31)}, fails=fs({"comity.in_force"})),
    Case("comity-sunset-day-in-force", E, agreement={"sunset": date(2026, 9, 1)}),
    Case(
        "comity-not-yet-effective",
        E,
        agreement={"effective": date(2026, 9, 2)},
        fails=fs({"comity.in_force"}),
    ),
    Case("comity-effective-day", E, agreement={"effective": date(2026, 9, 1)}),
    Case(
        "comity-checked-at-action-time",
        E,
        act={"at": datetime(2031, 1, 1, tzinfo=UTC)},
        fails=fs({"comity.in_force"}),
    ),
    Case(
        "comity-offence-not-covered",
        E,
        agreement={"offences": [OTHER_OFFENCE]},
        fails=fs({"comity.offence_covered"}),
    ),
    Case("comity-executing-not-party", E, agreement={"parties": ("IE", "FR")}, fails=fs({"comity.parties"})),
    Case("comity-issuing-not-party", E, agreement={"parties": ("FR", "DE")}, fails=fs({"comity.parties"})),
    Case(
        "comity-band-not-permitted",
        E,
        agreement={"permitted": {SeverityBand.HIGH: [A.PRESERVATION], SeverityBand.CRITICAL: [A.PRODUCTION]}},
        fails=fs({"comity.proportionality"}),
    ),
    Case(
        "comity-band-permitted-elsewhere-only",
        E,
        offence={"severity": SeverityBand.LOW},
        agreement={"permitted": {SeverityBand.HIGH: [A.PRODUCTION]}},
        fails=fs({"comity.proportionality"}),
    ),
    Case("comity-no-link", E, act={"jurisdictional_link": None}, fails=fs({"comity.jurisdictional_link"})),
    Case("comity-link-implied-territory", E, act={"jurisdictional_link": None, "committed_in_issuing": True}),
    Case(
        "comity-link-implied-residence",
        E,
        act={"jurisdictional_link": None, "person_resides_in_issuing": True},
    ),
    Case("comity-link-targeting", E, act={"jurisdictional_link": "targeting"}),
    Case(
        "comity-link-unknown",
        E,
        act={"jurisdictional_link": "because"},
        fails=fs({"comity.jurisdictional_link"}),
    ),
    Case(
        "comity-data-category-not-shared",
        E,
        act={"data_category": D.CONTENT},
        agreement={"data_categories": (D.SUBSCRIBER,)},
        fails=fs({"comity.data_category"}),
    ),
    Case(
        "comity-scope-outside-agreement",
        T,
        act={"territorial_scope": ("IE", "FR")},
        fails=fs({"comity.territorial_scope"}),
    ),
    Case("comity-scope-within-agreement", T, act={"territorial_scope": ("IE", "DE")}),
    Case(
        "comity-deferral-within-bound",
        M,
        act={"notice_deferral_days": 30},
        assumes=("deferral of 30 days",),
        obligations=fs({"notify_affected_person"}),
    ),
    Case(
        "comity-deferral-beyond-bound",
        M,
        act={"notice_deferral_days": 31},
        fails=fs({"comity.notice_deferral"}),
    ),
    # --- e-Evidence: who may issue (Art. 4) ---
    Case("eev-prosecutor-subscriber", E, act={"issuer": J.PROSECUTOR}),
    Case("eev-prosecutor-identification", E, act={"issuer": J.PROSECUTOR, "data_category": D.IDENTIFICATION}),
    Case("eev-police-subscriber", E, act={"issuer": J.POLICE}, fails=fs({"eev.issuer"})),
    Case("eev-customs-validated-prosecutor", E, act={"issuer": J.CUSTOMS, "validated_by": J.PROSECUTOR}),
    Case(
        "eev-police-validated-police",
        E,
        act={"issuer": J.POLICE, "validated_by": J.POLICE},
        fails=fs({"eev.issuer"}),
    ),
    Case(
        "eev-prosecutor-traffic",
        E,
        act={"issuer": J.PROSECUTOR, "data_category": D.TRAFFIC},
        fails=fs({"eev.issuer"}),
    ),
    Case(
        "eev-investigating-judge-traffic",
        E,
        act={"issuer": J.INVESTIGATING_JUDGE, "data_category": D.TRAFFIC},
    ),
    Case("eev-court-content", E, act={"issuer": J.COURT, "data_category": D.CONTENT}),
    Case(
        "eev-police-content-validated-prosecutor",
        E,
        act={"issuer": J.POLICE, "validated_by": J.PROSECUTOR, "data_category": D.CONTENT},
        fails=fs({"eev.issuer"}),
    ),
    Case(
        "eev-regulator-content-validated-court",
        E,
        act={"issuer": J.REGULATOR, "validated_by": J.COURT, "data_category": D.CONTENT},
    ),
    Case(
        "eev-prosecutor-preservation-content",
        E,
        act={"kind": A.PRESERVATION, "data_category": D.CONTENT, "issuer": J.PROSECUTOR},
    ),
    Case(
        "eev-police-preservation",
        E,
        act={"kind": A.PRESERVATION, "issuer": J.POLICE},
        fails=fs({"eev.issuer"}),
    ),
    # --- e-Evidence: emergencies (Art. 4(5), 10(4)) ---
    Case(
        "eev-emergency-police-subscriber",
        E,
        act={"issuer": J.POLICE, "emergency": True},
        obligations=fs({"ex_post_validation"}),
        expect={"limits.deadline": timedelta(hours=8)},
        assumes=("validation could not be obtained in time",),
    ),
    Case(
        "eev-emergency-police-preservation",
        E,
        act={"kind": A.PRESERVATION, "issuer": J.POLICE, "emergency": True},
        obligations=fs({"ex_post_validation"}),
        expect={"limits.preservation_period": timedelta(days=60)},
    ),
    Case(
        "eev-emergency-police-traffic",
        E,
        act={"issuer": J.POLICE, "emergency": True, "data_category": D.TRAFFIC},
        fails=fs({"eev.issuer"}),
    ),
    Case(
        "eev-emergency-judge-content-notified",
        E,
        act={"emergency": True, "data_category": D.CONTENT},
        expect={
            "notify_executing_state": True,
            "suspensive": False,
            "limits.deadline": timedelta(hours=8),
            "limits.review_window": timedelta(hours=96),
        },
    ),
    # --- e-Evidence: thresholds (Art. 5(3)-(4)) ---
    Case(
        "eev-traffic-35-months",
        E,
        act={"data_category": D.TRAFFIC},
        issuing_months=35,
        fails=fs({"eev.threshold"}),
    ),
    Case("eev-traffic-36-months", E, act={"data_category": D.TRAFFIC}, issuing_months=36),
    Case(
        "eev-content-cyber-12-months",
        E,
        act={"data_category": D.CONTENT},
        offence={"cyber_or_terror": True},
        issuing_months=12,
    ),
    Case("eev-subscriber-1-month", E, issuing_months=1),
    Case(
        "eev-preservation-1-month",
        E,
        act={"kind": A.PRESERVATION, "data_category": D.CONTENT},
        issuing_months=1,
    ),
    # --- e-Evidence: minimisation (Art. 5(5)(c), (e)) ---
    Case(
        "eev-no-identifiers", E, act={"identifiers_named": False}, fails=fs({"eev.minimisation.identifiers"})
    ),
    Case(
        "eev-no-identifiers-identification",
        E,
        act={"identifiers_named": False, "data_category": D.IDENTIFICATION},
    ),
    Case(
        "eev-unbounded-range",
        E,
        act={"time_range_applicable": True, "time_range_bounded": False},
        fails=fs({"eev.minimisation.time_range"}),
    ),
    Case("eev-unbounded-range-not-applicable", E, act={"time_range_bounded": False}),
    # --- e-Evidence: notification, grounds (Art. 8, 12) ---
    Case(
        "eev-notify-unknown-facts",
        E,
        act={"data_category": D.CONTENT},
        expect={
            "notify_executing_state": True,
            "suspensive": True,
            "limits.review_window": timedelta(days=10),
        },
        assumes=("committed in the issuing state is unknown", "resides in the issuing state is unknown"),
    ),
    Case(
        "eev-notify-exception",
        E,
        act={"data_category": D.CONTENT, "committed_in_issuing": True, "person_resides_in_issuing": True},
        criminal_in_executing=False,
        expect={"notify_executing_state": False, "suspensive": False, "limits.review_window": None},
        grounds=fs(),
    ),
    Case(
        "eev-notify-one-known-false",
        E,
        act={"data_category": D.TRAFFIC, "committed_in_issuing": False},
        expect={"notify_executing_state": True},
    ),
    Case(
        "eev-dual-criminality",
        E,
        act={"data_category": D.CONTENT},
        offence={"list_offence": False},
        criminal_in_executing=False,
        grounds=fs({"dual_criminality"}),
    ),
    Case(
        "eev-dual-exempt-list-36",
        E,
        act={"data_category": D.CONTENT},
        issuing_months=36,
        criminal_in_executing=False,
        grounds=fs(),
    ),
    Case(
        "eev-general-grounds",
        E,
        expect={
            "general_refusal_grounds": [
                "immunity_or_press_freedom",
                "manifest_breach_of_fundamental_rights",
                "ne_bis_in_idem",
            ]
        },
    ),
    # --- e-Evidence: scope and deadlines ---
    Case(
        "eev-payment-freeze",
        E,
        act={"kind": A.PAYMENT_FREEZE, "data_category": None},
        fails=fs({"eev.scope"}),
    ),
    Case(
        "eev-removal-order", E, act={"kind": A.REMOVAL_ORDER, "data_category": None}, fails=fs({"eev.scope"})
    ),
    Case(
        "eev-data-not-stated",
        E,
        act={"data_category": None},
        expect={"notify_executing_state": True},
        assumes=("assumed content data",),
    ),
    Case(
        "eev-extension",
        E,
        act={"kind": A.PRESERVATION_EXTENSION, "issuer": J.PROSECUTOR},
        expect={"limits.preservation_period": timedelta(days=30), "limits.deadline": None},
    ),
    Case(
        "eev-production-deadline",
        E,
        expect={"limits.deadline": timedelta(days=10), "limits.review_window": None},
    ),
    # --- Budapest Art. 29 ---
    Case(
        "bud-no-reservation",
        B,
        criminal_in_executing=False,
        grounds=fs(),
        expect={"limits.preservation_period": timedelta(days=60)},
    ),
    Case(
        "bud-reservation-not-criminal",
        B,
        agreement={"dual_criminality_reservation": True},
        criminal_in_executing=False,
        grounds=fs({"dual_criminality"}),
    ),
    Case(
        "bud-reservation-convention-offence",
        B,
        agreement={"dual_criminality_reservation": True},
        offence={"convention_offence": True},
        criminal_in_executing=False,
        grounds=fs(),
    ),
    Case("bud-reservation-criminal", B, agreement={"dual_criminality_reservation": True}, grounds=fs()),
    Case("bud-extension", B, act={"kind": A.PRESERVATION_EXTENSION}),
    Case("bud-production", B, act={"kind": A.PRODUCTION}, fails=fs({"bud.scope"})),
    Case("bud-no-identifiers", B, act={"identifiers_named": False}, fails=fs({"bud.request_contents"})),
    Case(
        "bud-general-grounds",
        B,
        expect={"general_refusal_grounds": ["political_offence", "sovereignty_security_ordre_public"]},
    ),
    Case("bud-police-may-ask", B, act={"issuer": J.POLICE}),
    # --- freezing, Reg. (EU) 2018/1805 ---
    Case("frz-prosecutor", F, act={"issuer": J.PROSECUTOR}),
    Case("frz-police-validated-judge", F, act={"issuer": J.POLICE, "validated_by": J.JUDGE}),
    Case("frz-police-validated-prosecutor", F, act={"issuer": J.POLICE, "validated_by": J.PROSECUTOR}),
    Case("frz-police", F, act={"issuer": J.POLICE}, fails=fs({"frz.issuer"})),
    Case("frz-police-emergency", F, act={"issuer": J.POLICE, "emergency": True}, fails=fs({"frz.issuer"})),
    Case(
        "frz-customs-validated-police",
        F,
        act={"issuer": J.CUSTOMS, "validated_by": J.POLICE},
        fails=fs({"frz.issuer"}),
    ),
    Case(
        "frz-dual-criminality",
        F,
        offence={"list_offence": False},
        criminal_in_executing=False,
        act={"committed_in_executing": False},
        grounds=fs({"dual_criminality"}),
    ),
    Case(
        "frz-territoriality-and-dual",
        F,
        offence={"list_offence": False},
        criminal_in_executing=False,
        act={"committed_in_executing": True},
        grounds=fs({"dual_criminality", "territoriality"}),
    ),
    Case(
        "frz-territoriality-list-offence",
        F,
        criminal_in_executing=False,
        act={"committed_in_executing": True},
        grounds=fs({"territoriality"}),
    ),
    Case(
        "frz-territoriality-unknown",
        F,
        criminal_in_executing=False,
        grounds=fs(),
        assumes=("territoriality (Art. 8(1)(d)) not assessed",),
    ),
    Case(
        "frz-urgent",
        F,
        act={"emergency": True},
        expect={"limits.deadline": timedelta(hours=96), "limits.review_window": timedelta(hours=48)},
    ),
    Case(
        "frz-agreed-deadline",
        F,
        agreement={"deadlines": {"payment_freeze": "10 days"}},
        expect={"limits.deadline": timedelta(days=10)},
    ),
    Case("frz-account-suspension", F, act={"kind": A.ACCOUNT_SUSPENSION}, fails=fs({"frz.scope"})),
    # --- DSA Art. 9, 10 ---
    Case("dsa-non-member-issuer", S, issuing_eu=False, fails=fs({"dsa.member_state"})),
    Case("dsa-scope-default", S, assumes=("territorial scope not stated",)),
    Case(
        "dsa-scope-national-beyond",
        S,
        act={"territorial_scope": ("IE", "DE"), "illegality_source": "national"},
        fails=fs({"dsa.territorial_scope"}),
    ),
    Case(
        "dsa-scope-source-unstated-beyond",
        S,
        act={"territorial_scope": ("IE", "DE")},
        fails=fs({"dsa.territorial_scope"}),
        assumes=("treated as national law",),
    ),
    Case("dsa-scope-union", S, act={"territorial_scope": ("IE", "DE"), "illegality_source": "union"}),
    Case("dsa-scope-shown-illegal", S, act={"territorial_scope": ("IE", "DE"), "illegal_in": ("IE", "DE")}),
    Case(
        "dsa-scope-beyond-shown",
        S,
        act={"territorial_scope": ("IE", "DE"), "illegal_in": ("IE",), "illegality_source": "union"},
        fails=fs({"dsa.territorial_scope"}),
    ),
    Case(
        "dsa-removal-no-url", S, act={"identifiers_named": False}, fails=fs({"dsa.minimisation.identifiers"})
    ),
    Case(
        "dsa-information-no-recipient",
        S,
        act={"kind": A.INFORMATION_ORDER, "identifiers_named": False},
        fails=fs({"dsa.minimisation.identifiers"}),
    ),
    Case(
        "dsa-information",
        S,
        act={"kind": A.INFORMATION_ORDER, "issuer": J.POLICE},
        obligations=fs({"report_effect", "forward_to_coordinator", "notify_affected_person"}),
        assumes=("already collected by the provider",),
    ),
    Case("dsa-payment-freeze", S, act={"kind": A.PAYMENT_FREEZE}, fails=fs({"dsa.scope"})),
    Case(
        "dsa-agreed-removal-deadline",
        S,
        agreement={"deadlines": {"removal": "24 hours"}},
        expect={"limits.deadline": timedelta(hours=24), "notify_executing_state": False, "suspensive": False},
        grounds=fs(),
    ),
    # --- platform terms ---
    Case(
        "terms-voluntary-removal",
        T,
        obligations=fs({"statement_of_reasons", "notify_affected_person"}),
        expect={"limits.deadline": None, "general_refusal_grounds": []},
    ),
    Case("terms-account-suspension", T, act={"kind": A.ACCOUNT_SUSPENSION}),
    Case("terms-advisory-notice", T, act={"kind": A.ADVISORY_NOTICE, "issuer": J.CUSTOMS}),
    Case("terms-removal-order", T, act={"kind": A.REMOVAL_ORDER}, fails=fs({"terms.scope"})),
    Case("terms-payment-freeze", T, act={"kind": A.PAYMENT_FREEZE}, fails=fs({"terms.scope"})),
    Case("terms-no-url", T, act={"identifiers_named": False}, fails=fs({"terms.identifiers"})),
    Case(
        "terms-agreed-deadline",
        T,
        agreement={"deadlines": {"voluntary_removal": "72 hours"}},
        expect={"limits.deadline": timedelta(hours=72)},
    ),
    # --- mutual legal assistance ---
    Case("mla-police", M, act={"issuer": J.POLICE}, fails=fs({"mla.issuer"})),
    Case("mla-police-validated-judge", M, act={"issuer": J.POLICE, "validated_by": J.JUDGE}),
    Case(
        "mla-police-validated-police",
        M,
        act={"issuer": J.POLICE, "validated_by": J.POLICE},
        fails=fs({"mla.issuer"}),
    ),
    Case("mla-dual-criminality", M, criminal_in_executing=False, grounds=fs({"dual_criminality"})),
    Case(
        "mla-list-offence-no-exemption-by-default",
        M,
        issuing_months=60,
        criminal_in_executing=False,
        grounds=fs({"dual_criminality"}),
    ),
    Case(
        "mla-list-offence-exemption",
        M,
        agreement={"list_offence_exemption": True},
        criminal_in_executing=False,
        grounds=fs(),
    ),
    Case(
        "mla-list-offence-exemption-below-36",
        M,
        agreement={"list_offence_exemption": True},
        issuing_months=24,
        criminal_in_executing=False,
        grounds=fs({"dual_criminality"}),
    ),
    Case("mla-voluntary-removal", M, act={"kind": A.VOLUNTARY_REMOVAL}, fails=fs({"mla.scope"})),
    Case(
        "mla-no-identifiers", M, act={"identifiers_named": False}, fails=fs({"mla.minimisation.identifiers"})
    ),
    Case(
        "mla-unbounded",
        M,
        act={"time_range_applicable": True, "time_range_bounded": False},
        fails=fs({"mla.minimisation.time_range"}),
    ),
    Case("mla-freeze-no-identifiers-needed", M, act={"kind": A.PAYMENT_FREEZE, "identifiers_named": False}),
    Case(
        "mla-agreed-deadlines",
        M,
        agreement={
            "deadlines": {"production": "90 days", "production_emergency": "10 days", "review": "5 days"}
        },
        expect={"limits.deadline": timedelta(days=90), "limits.review_window": timedelta(days=5)},
    ),
    Case(
        "mla-agreed-emergency-deadline",
        M,
        act={"emergency": True},
        agreement={"deadlines": {"production": "90 days", "production_emergency": "10 days"}},
        expect={"limits.deadline": timedelta(days=10)},
    ),
    Case("mla-no-deadline", M, expect={"limits.deadline": None, "notify_executing_state": False}),
    Case(
        "mla-general-grounds",
        M,
        expect={
            "general_refusal_grounds": [
                "political_offence",
                "sovereignty_security_ordre_public",
                "ne_bis_in_idem",
                "manifest_breach_of_fundamental_rights",
            ]
        },
    ),
    # --- joint investigation teams ---
    Case(
        "jit-base-obligations",
        JT,
        obligations=fs({"respect_use_limits", "notify_affected_person"}),
        grounds=fs(),
        assumes=("member of the team",),
    ),
    Case(
        "jit-not-criminal-where-operating",
        JT,
        criminal_in_executing=False,
        fails=fs({"jit.law_of_operation"}),
    ),
    Case("jit-outsider", JT, agreement={"parties": ("IE", "FR")}, fails=fs({"comity.parties"})),
    Case("jit-voluntary-removal", JT, act={"kind": A.VOLUNTARY_REMOVAL}, fails=fs({"jit.scope"})),
    Case(
        "jit-production-no-identifiers",
        JT,
        act={"kind": A.PRODUCTION, "data_category": D.CONTENT, "identifiers_named": False},
        fails=fs({"jit.minimisation.identifiers"}),
    ),
    Case(
        "jit-agreed-deadline",
        JT,
        agreement={"deadlines": {"account_suspension": "48 hours"}},
        expect={"limits.deadline": timedelta(hours=48)},
    ),
]


def _get(decision: Decision, path: str) -> Any:
    value: Any = decision
    for part in path.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    decision = run(
        case.regime,
        case.act,
        agreement_kw=case.agreement,
        offence_kw=case.offence,
        issuing_months=case.issuing_months,
        criminal_in_executing=case.criminal_in_executing,
        issuing_eu=case.issuing_eu,
    )
    texts = [f"{r.rule}: {r.text}" for r in decision.reasons if not r.satisfied]
    assert unsatisfied(decision) == case.fails, texts
    assert decision.allowed is (not case.fails)
    if case.grounds is not None:
        assert set(decision.refusal_grounds_available) == case.grounds
    kinds = {o.kind for o in decision.obligations}
    assert case.obligations <= kinds, kinds
    for path, wanted in case.expect.items():
        assert _get(decision, path) == wanted, path
    for fragment in case.assumes:
        assert any(fragment in a for a in decision.assumptions), (fragment, decision.assumptions)
    # Whatever the row, every reason names its rule and cites a source.
    assert all(r.rule and r.text and r.source for r in decision.reasons)


def test_every_regime_has_rules_and_reasons_cite_the_agreement() -> None:
    assert set(RULESETS) == set(Regime)
    decision = run(Regime.E_EVIDENCE)
    by_rule = {r.rule: r for r in decision.reasons}
    assert by_rule["comity.proportionality"].source == "e_evidence-test v1 §permitted_measures"
    assert by_rule["comity.in_force"].source == "e_evidence-test v1 §effective, §sunset"
    assert by_rule["eev.issuer"].source == "Regulation (EU) 2023/1543 Art. 4(1)(a)"


@pytest.mark.parametrize("regime", list(Regime), ids=[r.value for r in Regime])
def test_regime_scope_matches_what_agreements_may_permit(regime: Regime) -> None:
    """The engine's scope rule and the agreement loader's regime table agree on every kind."""
    for kind in ActionKind:
        decision = run(regime, {"kind": kind})
        in_scope = not any(r.rule.endswith(".scope") and not r.satisfied for r in decision.reasons)
        assert in_scope == (kind in REGIME_MEASURES[regime]), kind


def test_sunset_refusal_says_it_authorises_nothing() -> None:
    decision = run(Regime.E_EVIDENCE, agreement_kw={"sunset": date(2026, 1, 31)})
    reason = next(r for r in decision.reasons if r.rule == "comity.in_force")
    assert not reason.satisfied
    assert "past its sunset (2026-01-31)" in reason.text
    assert "authorises nothing" in reason.text


def test_statute_of_another_state_is_refused() -> None:
    decision = run(Regime.E_EVIDENCE, statute_override=statute("DE"))
    assert unsatisfied(decision) == {"comity.statute"}


def test_unstated_time_is_an_assumption() -> None:
    decision = run(Regime.E_EVIDENCE, {"at": None})
    assert decision.allowed
    assert any("time of the action not stated" in a for a in decision.assumptions)


def test_evaluate_rejects_mismatched_inputs() -> None:
    the_action = action(offence=OTHER_OFFENCE)
    with pytest.raises(InvalidInput, match="must be those the action names"):
        evaluate(
            the_action,
            agreement=agreement(Regime.E_EVIDENCE),
            offence=offence(),
            statute=statute("IE"),
            issuing=profile("IE"),
            executing=profile("DE"),
            now=NOW,
        )
    with pytest.raises(InvalidInput, match="naive"):
        evaluate(
            action(),
            agreement=agreement(Regime.E_EVIDENCE),
            offence=offence(),
            statute=statute("IE"),
            issuing=profile("IE"),
            executing=profile("DE"),
            now=datetime(2026, 9, 1),
        )


# --- time limits as instants ----------------------------------------------------------------------------

FRIDAY_EVENING = datetime(2026, 9, 4, 16, 30, tzinfo=UTC)  # 18:30 in Berlin, a Friday


def _instant(received: datetime, period: str, zone: str = "Europe/Berlin", country: str = "DE") -> datetime:
    return due(received, Period.parse(period), counting=Counting.REG_1182_71, zone=zone, country=country)


def test_instants_use_the_executing_state_calendar() -> None:
    decision = run(Regime.E_EVIDENCE, {"data_category": D.CONTENT, "received_at": FRIDAY_EVENING})
    limits = decision.limits
    assert limits.time_zone == "Europe/Berlin"
    assert limits.counting == "reg_1182_71"
    # Day 1 = Sat 5 Sept, day 10 = Mon 14 Sept (a working day in Germany): ends at midnight Berlin time.
    assert limits.deadline_at == datetime(2026, 9, 14, 22, 0, tzinfo=UTC)
    assert limits.review_window_ends_at == limits.deadline_at
    assert limits.preservation_ends_at is None
    assert limits.stated == {"deadline": Period.days(10), "review_window": Period.days(10)}


def test_emergency_instants_leave_out_the_hour_of_receipt() -> None:
    decision = run(
        Regime.E_EVIDENCE,
        {"data_category": D.CONTENT, "emergency": True, "received_at": FRIDAY_EVENING},
    )
    # 18:30 Berlin: the hour 18:00-19:00 is left out, so 8 hours run from 19:00 (17:00 UTC).
    assert decision.limits.deadline_at == datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
    assert decision.limits.review_window_ends_at == datetime(2026, 9, 8, 17, 0, tzinfo=UTC)


def test_elapsed_counting_when_the_agreement_says_so() -> None:
    decision = run(
        Regime.DSA_ORDER,
        {"received_at": FRIDAY_EVENING},
        agreement_kw={"deadlines": {"removal": "24 hours"}, "counting": Counting.ELAPSED},
    )
    assert decision.limits.deadline_at == FRIDAY_EVENING + timedelta(hours=24)
    assert decision.limits.counting == "elapsed"


def test_preservation_instants() -> None:
    decision = run(Regime.E_EVIDENCE, {"kind": A.PRESERVATION, "received_at": FRIDAY_EVENING})
    assert decision.limits.preservation_ends_at == _instant(FRIDAY_EVENING, "60 days")
    original = FRIDAY_EVENING - timedelta(days=50)
    extension = run(
        Regime.E_EVIDENCE,
        {
            "kind": A.PRESERVATION_EXTENSION,
            "issuer": J.PROSECUTOR,
            "received_at": FRIDAY_EVENING,
            "original_received_at": original,
        },
    )
    # The extension's 30 days run on from the first 60: 90 days from the original receipt.
    assert extension.limits.preservation_period == timedelta(days=30)
    assert extension.limits.preservation_ends_at == _instant(original, "90 days")
    unknown = run(
        Regime.E_EVIDENCE,
        {"kind": A.PRESERVATION_EXTENSION, "issuer": J.PROSECUTOR, "received_at": FRIDAY_EVENING},
    )
    assert unknown.limits.preservation_ends_at is None
    assert any("original preservation order is not stated" in a for a in unknown.assumptions)


def test_ex_post_validation_due_from_issue_in_issuing_zone() -> None:
    issued = datetime(2026, 9, 4, 15, 10, tzinfo=UTC)  # 16:10 in Dublin
    decision = run(
        Regime.E_EVIDENCE,
        {"issuer": J.POLICE, "emergency": True, "at": issued, "received_at": issued + timedelta(minutes=5)},
    )
    ex_post = next(o for o in decision.obligations if o.kind == "ex_post_validation")
    assert ex_post.within == timedelta(hours=48)
    # Dublin hour 16:00-17:00 left out: 48 hours from 16:00 UTC.
    assert ex_post.due == datetime(2026, 9, 6, 16, 0, tzinfo=UTC)


def test_ex_post_validation_from_receipt_is_flagged() -> None:
    received = datetime(2026, 9, 4, 15, 10, tzinfo=UTC)
    decision = run(
        Regime.E_EVIDENCE, {"issuer": J.POLICE, "emergency": True, "at": None, "received_at": received}
    )
    ex_post = next(o for o in decision.obligations if o.kind == "ex_post_validation")
    assert ex_post.due == datetime(2026, 9, 6, 16, 0, tzinfo=UTC)
    assert any("ex-post validation counted from receipt" in a for a in decision.assumptions)


def test_no_instants_without_receipt() -> None:
    decision = run(Regime.E_EVIDENCE, {"issuer": J.POLICE, "emergency": True, "at": None})
    limits = decision.limits
    assert limits.deadline == timedelta(hours=8)
    assert limits.deadline_at is None
    assert all(o.due is None for o in decision.obligations)


def test_deferred_notice_is_due_at_the_end_of_the_deferral() -> None:
    decision = run(
        Regime.MUTUAL_LEGAL_ASSISTANCE, {"notice_deferral_days": 30, "received_at": FRIDAY_EVENING}
    )
    notice = next(o for o in decision.obligations if o.kind == "notify_affected_person")
    assert notice.within == timedelta(days=30)
    # Counted from issue (NOW, Tue 1 Sept) in the issuing state's (Irish) calendar: day 30 = Thu 1 Oct.
    assert notice.due == _instant(NOW, "30 days", "Europe/Dublin", "IE")
    assert "deferred by a judge for 30 days" in notice.text


def _kinds(decision: Decision) -> Iterable[str]:
    return [o.kind for o in decision.obligations]


def test_dsa_obligations_name_their_articles() -> None:
    removal = run(Regime.DSA_ORDER)
    assert list(_kinds(removal)) == ["report_effect", "forward_to_coordinator", "notify_affected_person"]
    assert [o.source for o in removal.obligations] == [
        "Regulation (EU) 2022/2065 Art. 9(1)",
        "Regulation (EU) 2022/2065 Art. 9(3)-(4)",
        "Regulation (EU) 2022/2065 Art. 9(5)",
    ]

"""The demo agreements: all valid, and never two covering the same action (the policy service refuses
ambiguity), with exactly one for the common actions of the demo story."""

from __future__ import annotations

from datetime import date
from itertools import permutations

import pytest

from comity.agreements.loader import bundled_files, load_agreement
from comity.agreements.model import Agreement
from comity.kinds import ActionKind, Regime, SeverityBand
from comity.vocabulary.loader import load_jurisdictions, load_taxonomy

ON = date(2026, 11, 28)


@pytest.fixture(scope="module")
def demo() -> list[Agreement]:
    offences = load_taxonomy()
    jurisdictions = load_jurisdictions(offences=offences)
    return [load_agreement(p, offences=offences, jurisdictions=jurisdictions) for p in bundled_files("demo")]


def covering(
    agreements: list[Agreement], issuing: str, executing: str, offence: str, kind: ActionKind
) -> list[str]:
    """As the policy service chooses: in force, both states parties, offence covered, kind in any band."""
    return [
        a.id
        for a in agreements
        if a.in_force(ON)
        and {issuing, executing} <= a.jurisdictions
        and offence in a.offences
        and any(kind in kinds for kinds in a.permitted_measures.values())
    ]


def test_demo_covers_every_regime_and_the_required_instruments(demo: list[Agreement]) -> None:
    by_id = {a.id: a for a in demo}
    assert {a.regime for a in demo} == set(Regime)
    assert by_id["eev-eu5"].jurisdictions == {"IE", "DE", "FR", "NL", "ES"}
    bazaar = [p for p in by_id["terms-bazaar"].parties if p.role == "platform"]
    assert [(p.name, p.jurisdiction) for p in bazaar] == [("Bazaar Ltd", "IE")]
    jit = by_id["jit-shadowmart"]
    assert "narcotics_trafficking" in jit.offences
    assert 0 < jit.days_to_sunset(ON) < 365
    assert "GB" in by_id["mla-gb-ie"].jurisdictions


def test_no_action_is_covered_by_two_demo_agreements(demo: list[Agreement]) -> None:
    codes = sorted({code for a in demo for code in a.offences})
    states = sorted({j for a in demo for j in a.jurisdictions})
    ambiguous = []
    for issuing, executing in permutations(states, 2):
        for offence in codes:
            for kind in ActionKind:
                found = covering(demo, issuing, executing, offence, kind)
                if len(found) > 1:
                    ambiguous.append((issuing, executing, offence, kind.value, found))
    assert ambiguous == []


COMMON = [
    ("DE", "IE", "computer_fraud", ActionKind.PRODUCTION, "eev-eu5"),
    ("FR", "NL", "counterfeit_goods", ActionKind.PRESERVATION, "eev-eu5"),
    ("ES", "DE", "non_cash_payment_fraud", ActionKind.PRESERVATION_EXTENSION, "eev-eu5"),
    ("IE", "DE", "money_laundering", ActionKind.PAYMENT_FREEZE, "frz-eu5"),
    ("NL", "IE", "counterfeit_goods", ActionKind.REMOVAL_ORDER, "dsa-eu5"),
    ("DE", "IE", "unsafe_products", ActionKind.INFORMATION_ORDER, "dsa-eu5"),
    ("DE", "IE", "counterfeit_goods", ActionKind.VOLUNTARY_REMOVAL, "terms-bazaar"),
    ("FR", "IE", "product_piracy", ActionKind.ADVISORY_NOTICE, "terms-bazaar"),
    ("DE", "NL", "narcotics_trafficking", ActionKind.ACCOUNT_SUSPENSION, "jit-shadowmart"),
    ("NL", "FR", "narcotics_trafficking", ActionKind.DOMAIN_SUSPENSION, "jit-shadowmart"),
    ("IE", "GB", "computer_fraud", ActionKind.PRESERVATION, "bud-gb-ie"),
    ("GB", "IE", "counterfeit_goods", ActionKind.PRODUCTION, "mla-gb-ie"),
    ("IE", "GB", "money_laundering", ActionKind.PAYMENT_FREEZE, "mla-gb-ie"),
]


@pytest.mark.parametrize(("issuing", "executing", "offence", "kind", "expected"), COMMON)
def test_common_actions_have_exactly_one_agreement(
    demo: list[Agreement], issuing: str, executing: str, offence: str, kind: ActionKind, expected: str
) -> None:
    assert covering(demo, issuing, executing, offence, kind) == [expected]


def test_covers_checks_band_dates_parties_and_offence(demo: list[Agreement]) -> None:
    dsa = next(a for a in demo if a.id == "dsa-eu5")

    def covers(
        band: SeverityBand, executing: str = "IE", on: date = ON, offence: str = "counterfeit_goods"
    ) -> bool:
        kind = ActionKind.REMOVAL_ORDER
        return dsa.covers(issuing="DE", executing=executing, offence=offence, band=band, kind=kind, on=on)

    assert covers(SeverityBand.MEDIUM)
    assert not covers(SeverityBand.LOW)  # the low band permits information orders only
    assert not covers(SeverityBand.MEDIUM, executing="GB")  # not a party
    assert not covers(SeverityBand.MEDIUM, on=date(2030, 1, 1))  # past its sunset
    assert not covers(SeverityBand.MEDIUM, offence="arson")  # not covered


def test_sunset_day_is_the_last_day_in_force(demo: list[Agreement]) -> None:
    jit = next(a for a in demo if a.id == "jit-shadowmart")
    assert jit.in_force(jit.sunset)
    assert jit.days_to_sunset(jit.sunset) == 0
    last = date.fromordinal(jit.sunset.toordinal() + 1)
    assert not jit.in_force(last)
    assert jit.days_to_sunset(last) == -1

"""The bundled offence taxonomy and taxonomy validation."""

from __future__ import annotations

from typing import Any

import pytest

from comity.errors import InvalidInput
from comity.kinds import SeverityBand
from comity.vocabulary.loader import load_taxonomy, parse_taxonomy, taxonomy_version


@pytest.fixture(scope="module")
def taxonomy() -> dict[str, Any]:
    return load_taxonomy()


# code -> (severity, list categories, cyber_or_terror): the entries the issue names explicitly.
REQUIRED = {
    "counterfeit_goods": (SeverityBand.MEDIUM, (22,), False),
    "product_piracy": (SeverityBand.MEDIUM, (22,), False),
    "narcotics_trafficking": (SeverityBand.HIGH, (5,), False),
    "weapons_trafficking": (SeverityBand.CRITICAL, (6,), False),
    "computer_fraud": (SeverityBand.HIGH, (11, 20), False),
    "non_cash_payment_fraud": (SeverityBand.HIGH, (8, 24), True),
    "payment_means_forgery": (SeverityBand.HIGH, (24,), False),
    "money_laundering": (SeverityBand.HIGH, (9,), False),
    "document_forgery": (SeverityBand.MEDIUM, (23,), False),
    "protected_species_trade": (SeverityBand.MEDIUM, (12,), False),
    "unsafe_products": (SeverityBand.MEDIUM, (), False),
    "attacks_on_information_systems": (SeverityBand.HIGH, (11,), True),
    "child_sexual_abuse_online": (SeverityBand.CRITICAL, (4,), True),
    "terrorism": (SeverityBand.CRITICAL, (2,), True),
}


@pytest.mark.parametrize(("code", "expected"), sorted(REQUIRED.items()))
def test_required_offences_are_marked_as_the_law_says(
    taxonomy: dict[str, Any], code: str, expected: tuple[SeverityBand, tuple[int, ...], bool]
) -> None:
    severity, categories, cyber = expected
    offence = taxonomy[code]
    assert offence.code == code
    assert offence.severity is severity
    assert offence.list_categories == categories
    assert offence.list_offence is bool(categories)
    assert offence.list_category == (categories[0] if categories else None)
    assert offence.cyber_or_terror is cyber


def test_every_one_of_the_32_list_categories_has_a_code(taxonomy: dict[str, Any]) -> None:
    covered = {c for offence in taxonomy.values() for c in offence.list_categories}
    assert covered == set(range(1, 33))


def test_only_the_art_5_4_offences_are_cyber_or_terror(taxonomy: dict[str, Any]) -> None:
    assert {o.code for o in taxonomy.values() if o.cyber_or_terror} == {
        "non_cash_payment_fraud",
        "attacks_on_information_systems",
        "child_sexual_abuse_online",
        "terrorism",
    }


def test_budapest_convention_offences_are_marked(taxonomy: dict[str, Any]) -> None:
    marked = {o.code for o in taxonomy.values() if o.convention_offence}
    assert {"attacks_on_information_systems", "computer_fraud", "child_sexual_abuse_online"} <= marked
    assert "narcotics_trafficking" not in marked


def test_every_band_is_used_and_descriptions_are_single_lines(taxonomy: dict[str, Any]) -> None:
    assert {o.severity for o in taxonomy.values()} == set(SeverityBand)
    assert all(o.description and "\n" not in o.description for o in taxonomy.values())


def test_taxonomy_is_versioned() -> None:
    assert taxonomy_version() == 1


def _doc(**entry: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "Thing", "severity": "low"}
    base.update(entry)
    return {"version": 1, "offences": {"thing": base}}


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (_doc(severity="extreme"), "offences.thing.severity"),
        (_doc(list_categories=[33]), "offences.thing.list_categories[0]"),
        (_doc(list_categories=[5, 5]), "offences.thing.list_categories"),
        (_doc(cyber_or_terror="yes"), "offences.thing.cyber_or_terror"),
        (_doc(colour="red"), "offences.thing.colour"),
        ({"version": 1, "offences": {"thing": {"severity": "low"}}}, "offences.thing.name"),
        ({"version": 0, "offences": {"thing": {"name": "x", "severity": "low"}}}, "version"),
        ({"offences": {"thing": {"name": "x", "severity": "low"}}}, "version"),
        ({"version": 1, "offences": {}}, "offences"),
        ({"version": 1, "offences": {"Bad Code": {"name": "x", "severity": "low"}}}, 'offences["Bad Code"]'),
    ],
)
def test_invalid_taxonomies_name_the_field(document: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_taxonomy(document)
    assert [e.path for e in raised.value.errors] == [path]


def test_a_valid_minimal_taxonomy_parses() -> None:
    offences = parse_taxonomy(_doc(list_categories=[22], description="  spread\n over lines "))
    assert offences["thing"].list_offence
    assert offences["thing"].description == "spread over lines"

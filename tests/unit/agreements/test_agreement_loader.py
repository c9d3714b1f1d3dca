"""Agreement documents: the published schema, templates, demo agreements and broken files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from comity.agreements.loader import bundled_files, load_agreement, package_dir
from comity.agreements.regimes import REGIME_MEASURES
from comity.errors import InvalidInput
from comity.kinds import ActionKind, Counting, DataCategory, Regime, SeverityBand
from comity.periods import Period

ASSETS = Path(__file__).parents[2] / "assets" / "agreements"

#: Each broken file and the exact set of field paths its one fault must be reported at.
BROKEN: dict[str, set[str]] = {
    "sunset-before-effective": {"sunset"},
    "missing-sunset": {"sunset"},
    "invalid-date": {"effective"},
    "unknown-party-jurisdiction": {"parties[1].jurisdiction"},
    "lowercase-country-code": {"parties[0].jurisdiction"},
    "single-party": {"parties"},
    "duplicate-party": {"parties[2]"},
    "unknown-party-field": {"parties[0].country"},
    "unknown-offence": {"offences[2]"},
    "unknown-regime": {"regime"},
    "payment-freeze-under-e-evidence": {"permitted_measures.high[1]", "permitted_measures.critical[1]"},
    "band-not-monotonic": {"permitted_measures.critical"},
    "unknown-data-category": {"data_categories.metadata"},
    "zero-retention": {"data_categories.traffic.retention_days"},
    "pseudonymous-field-not-shareable": {"data_categories.subscriber.pseudonymous_fields"},
    "data-measures-without-data": {"data_categories"},
    "bad-deadline-period": {"deadlines.production"},
    "bad-counting": {"counting"},
    "reservation-outside-budapest": {"dual_criminality_reservation"},
    "territorial-scope-outside-parties": {"territorial_scope[0]"},
    "platform-terms-without-platform": {"parties"},
    "version-not-integer": {"version"},
    "negative-deferral": {"notice.max_deferral_days"},
    "duplicate-key": {"$"},
    "not-yaml": {"$"},
    "not-a-mapping": {"$"},
}


def test_every_broken_asset_is_listed() -> None:
    on_disk = {p.stem for p in ASSETS.glob("*.yaml")} - {"valid"}
    assert on_disk == set(BROKEN)


@pytest.mark.parametrize(("name", "paths"), sorted(BROKEN.items()))
def test_broken_agreements_are_rejected_at_the_right_field(name: str, paths: set[str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        load_agreement(ASSETS / f"{name}.yaml")
    assert {e.path for e in raised.value.errors} == paths
    assert str(ASSETS / f"{name}.yaml") in raised.value.detail
    assert all(e.message for e in raised.value.errors)


def test_the_valid_base_of_the_broken_files_loads() -> None:
    agreement = load_agreement(ASSETS / "valid.yaml")
    assert agreement.id == "test-eev-ie-de"
    assert agreement.regime is Regime.E_EVIDENCE
    assert agreement.jurisdictions == {"IE", "DE"}
    assert agreement.permits(SeverityBand.HIGH, ActionKind.PRODUCTION)
    assert not agreement.permits(SeverityBand.LOW, ActionKind.PRODUCTION)
    assert agreement.deadlines == {"production": Period.days(10), "production_emergency": Period.hours(8)}
    assert agreement.counting is Counting.REG_1182_71
    assert agreement.data_categories[DataCategory.SUBSCRIBER].fields == ("name", "email")
    assert agreement.data_categories[DataCategory.SUBSCRIBER].pseudonymous_fields == ()
    assert agreement.notice.prior_notice_period is None
    assert agreement.notice.max_deferral_days == 90
    assert (agreement.effective, agreement.sunset) == (date(2026, 8, 18), date(2029, 8, 17))


def test_text_and_path_inputs_agree() -> None:
    path = ASSETS / "valid.yaml"
    assert (
        load_agreement(path.read_text(encoding="utf-8")) == load_agreement(str(path)) == load_agreement(path)
    )


def test_the_published_schema_is_draft_2020_12() -> None:
    schema = json.loads((package_dir("schema") / "agreement.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]["regime"]["enum"]) == {r.value for r in Regime}
    measures = set(schema["$defs"]["measures"]["items"]["enum"])
    assert measures == {k.value for k in ActionKind}


def test_one_template_per_regime_each_valid_and_citing_its_legal_basis() -> None:
    templates = {p.stem: load_agreement(p) for p in bundled_files("templates")}
    assert set(templates) == {r.value for r in Regime}
    for name, agreement in templates.items():
        assert agreement.regime.value == name
        assert agreement.id == "template-" + name.replace("_", "-")
        assert "legal_basis" in agreement.clauses
        assert "sunset" in agreement.clauses
        assert agreement.cite("legal_basis").endswith("clause legal_basis")


def test_regime_measures_fit_the_golden_vocabulary() -> None:
    assert ActionKind.PAYMENT_FREEZE not in REGIME_MEASURES[Regime.E_EVIDENCE]
    assert REGIME_MEASURES[Regime.FREEZING] == {ActionKind.PAYMENT_FREEZE}
    assert REGIME_MEASURES[Regime.DSA_ORDER] == {ActionKind.REMOVAL_ORDER, ActionKind.INFORMATION_ORDER}
    assert ActionKind.VOLUNTARY_REMOVAL in REGIME_MEASURES[Regime.PLATFORM_TERMS]
    assert ActionKind.PRESERVATION in REGIME_MEASURES[Regime.BUDAPEST_PRESERVATION]


def test_agreements_validate_against_a_given_vocabulary() -> None:
    from comity.vocabulary.loader import load_jurisdictions, load_taxonomy

    offences = load_taxonomy()
    without_germany = {k: v for k, v in load_jurisdictions(offences=offences).items() if k != "DE"}
    with pytest.raises(InvalidInput) as raised:
        load_agreement(ASSETS / "valid.yaml", offences=offences, jurisdictions=without_germany)
    assert [e.path for e in raised.value.errors] == ["parties[1].jurisdiction"]


def test_the_dsa_agreement_lets_account_names_out_only_as_keyed_hashes() -> None:
    agreement = load_agreement(package_dir("demo") / "dsa-eu5.yaml")
    terms = agreement.data_categories[DataCategory.SUBSCRIBER]
    assert terms.pseudonymous_fields == ("account_name",)
    assert set(terms.pseudonymous_fields) <= set(terms.fields)

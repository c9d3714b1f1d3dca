"""Jurisdiction profiles: the bundled demo profiles and validation by field path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from comity.errors import InvalidInput
from comity.vocabulary.loader import (
    bundled_jurisdiction_files,
    load_jurisdiction,
    load_jurisdictions,
    load_taxonomy,
    parse_jurisdiction,
)
from comity.vocabulary.model import LIFE_IMPRISONMENT_MONTHS, Offence

EU_DEMO = {"IE", "DE", "FR", "NL", "ES"}


@pytest.fixture(scope="module")
def offences() -> dict[str, Offence]:
    return load_taxonomy()


@pytest.fixture(scope="module")
def ireland() -> dict[str, Any]:
    path = next(p for p in bundled_jurisdiction_files() if p.stem == "ie")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_bundled_profiles_cover_five_eu_demo_states_and_a_non_eu_partner(
    offences: dict[str, Offence],
) -> None:
    profiles = load_jurisdictions(offences=offences)
    assert set(profiles) >= EU_DEMO
    assert all(p.illustrative for p in profiles.values())
    assert {code for code, p in profiles.items() if not p.eu_member} == {"GB"}
    for code, profile in profiles.items():
        assert profile.code == code
        assert profile.version == 1
        assert profile.challenge_period_days > 0
        assert profile.challenge_period_basis
        assert all(s.id.startswith(f"{code}-") and s.offence in offences for s in profile.statutes)


def test_german_fraud_statute_is_five_years(offences: dict[str, Offence]) -> None:
    germany = load_jurisdictions(offences=offences)["DE"]
    betrug = next(s for s in germany.statutes if s.id == "DE-StGB-263")
    assert (betrug.offence, betrug.max_penalty_months, betrug.title) == ("fraud", 60, "Betrug")
    assert betrug.citation == "StGB § 263 Abs. 1"


def test_most_serious_statute_first_and_life_sentences_rank_highest(offences: dict[str, Offence]) -> None:
    profiles = load_jurisdictions(offences=offences)
    narcotics = profiles["DE"].statutes_for("narcotics_trafficking")
    assert [s.id for s in narcotics] == ["DE-BtMG-29a", "DE-BtMG-29"]
    life = profiles["IE"].statutes_for("narcotics_trafficking")[0]
    assert life.life_imprisonment
    assert life.max_penalty_months == LIFE_IMPRISONMENT_MONTHS


def test_the_netherlands_does_not_criminalise_unsafe_products_in_the_demo(
    offences: dict[str, Offence],
) -> None:
    profiles = load_jurisdictions(offences=offences)
    assert not profiles["NL"].criminalises("unsafe_products")
    assert profiles["DE"].criminalises("unsafe_products")


def _broken(base: dict[str, Any], change: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    change(data)
    return data


CASES = [
    ("unknown zone", lambda d: d.update(time_zone="Europe/Atlantis"), "time_zone"),
    ("unknown holiday calendar", lambda d: d.update(holiday_country="QQ"), "holiday_country"),
    ("unknown subdivision", lambda d: d.update(holiday_subdivision="XYZ"), "holiday_subdivision"),
    ("unknown offence", lambda d: d["statutes"][1].update(offence="fake_handbags"), "statutes[1].offence"),
    ("duplicate statute id", lambda d: d["statutes"][2].update(id=d["statutes"][0]["id"]), "statutes[2].id"),
    ("id of another state", lambda d: d["statutes"][0].update(id="DE-StGB-263"), "statutes[0].id"),
    ("lower-case code", lambda d: d.update(code="ie"), "code"),
    ("no languages", lambda d: d.update(languages=[]), "languages"),
    ("negative challenge period", lambda d: d.update(challenge_period_days=-1), "challenge_period_days"),
    ("unknown legal system", lambda d: d.update(legal_system="tribal"), "legal_system"),
    (
        "penalty as text",
        lambda d: d["statutes"][0].update(max_penalty_months="five years"),
        "statutes[0].max_penalty_months",
    ),
    ("missing citation", lambda d: d["statutes"][0].pop("citation"), "statutes[0].citation"),
    ("missing time zone", lambda d: d.pop("time_zone"), "time_zone"),
]


@pytest.mark.parametrize(("about", "change", "path"), CASES, ids=[c[0] for c in CASES])
def test_broken_profiles_name_the_field(
    ireland: dict[str, Any], offences: dict[str, Offence], about: str, change: Any, path: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_jurisdiction(_broken(ireland, change), offences)
    assert [e.path for e in raised.value.errors] == [path], about


def test_every_problem_is_reported_at_once(ireland: dict[str, Any], offences: dict[str, Offence]) -> None:
    def many(d: dict[str, Any]) -> None:
        d.update(time_zone="Mars/Olympus", holiday_country="QQ")
        d["statutes"][0]["offence"] = "nope"

    with pytest.raises(InvalidInput) as raised:
        parse_jurisdiction(_broken(ireland, many), offences)
    assert {e.path for e in raised.value.errors} == {"time_zone", "holiday_country", "statutes[0].offence"}


def test_profile_validated_against_another_taxonomy(ireland: dict[str, Any]) -> None:
    small = {k: v for k, v in load_taxonomy().items() if k != "fraud"}
    with pytest.raises(InvalidInput) as raised:
        parse_jurisdiction(ireland, small)
    assert [e.path for e in raised.value.errors] == ["statutes[4].offence"]


def test_duplicate_profiles_in_a_folder_are_refused(tmp_path: Path, offences: dict[str, Offence]) -> None:
    source = next(p for p in bundled_jurisdiction_files() if p.stem == "ie")
    (tmp_path / "a.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InvalidInput, match="second profile for IE"):
        load_jurisdictions(tmp_path, offences)


def test_load_from_text_and_path_agree(offences: dict[str, Offence]) -> None:
    source = next(p for p in bundled_jurisdiction_files() if p.stem == "fr")
    from_path = load_jurisdiction(source, offences)
    assert load_jurisdiction(source.read_text(encoding="utf-8"), offences) == from_path
    assert load_jurisdiction(str(source), offences) == from_path

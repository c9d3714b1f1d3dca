"""Reading governed documents: strict YAML, JSON-compatible data, field paths."""

from __future__ import annotations

import pytest

from comity.errors import InvalidInput
from comity.vocabulary.documents import ROOT, field_path, parse_yaml, read_source


def test_dates_stay_strings_and_country_codes_stay_codes() -> None:
    data = parse_yaml("effective: 2026-08-18\njurisdiction: NO\nflag: yes\nreal: true\n")
    assert data == {"effective": "2026-08-18", "jurisdiction": "NO", "flag": "yes", "real": True}


def test_duplicate_keys_are_an_error_with_the_line() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_yaml("a: 1\nb: 2\na: 3\n")
    (error,) = raised.value.errors
    assert error.path == ROOT
    assert "duplicate key 'a'" in error.message
    assert "line 3" in error.message


def test_syntax_errors_are_reported_on_the_root() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_yaml("a: [1, 2\n")
    assert [e.path for e in raised.value.errors] == [ROOT]


def test_a_document_must_be_a_mapping() -> None:
    with pytest.raises(InvalidInput) as raised:
        read_source("- 1\n- 2\n", what="agreement")
    assert raised.value.errors[0].message == "expected a mapping, got list"


def test_parsed_data_is_copied_into_json_types() -> None:
    import datetime

    data, origin = read_source({"when": datetime.date(2026, 1, 2), "items": (1, 2)}, what="agreement")
    assert data == {"when": "2026-01-02", "items": [1, 2]}
    assert origin == "agreement"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["parties", 1, "jurisdiction"], "parties[1].jurisdiction"),
        (["deadlines", "production"], "deadlines.production"),
        (["clauses", "3.1"], 'clauses["3.1"]'),
        ([], ROOT),
    ],
)
def test_field_paths(parts: list[str | int], expected: str) -> None:
    assert field_path(parts) == expected

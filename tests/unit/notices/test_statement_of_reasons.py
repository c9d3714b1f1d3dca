"""DSA Transparency Database v2 statements of reasons: field names and enum keys verbatim, the database's
conditional rules, normalisation, and publication without personal data."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from comity.notices.sor import StatementOfReasonsIn, normalised, personal_data_in, published

BASE: dict[str, Any] = {
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED", "DECISION_VISIBILITY_CONTENT_REMOVED"],
    "decision_monetary": "DECISION_MONETARY_SUSPENSION",
    "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    "illegal_content_legal_ground": "Trade Marks Act 1996 s. 14",
    "illegal_content_explanation": "Counterfeit branded goods.",
    "content_type": ["CONTENT_TYPE_PRODUCT"],
    "category": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "category_addition": [
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    ],
    "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT", "KEYWORD_PROHIBITED_PRODUCTS"],
    "territorial_scope": ["IE", "GR"],
    "content_date": "2026-08-20",
    "application_date": "2026-09-05",
    "decision_facts": "Removed on the platform's own terms after a request.",
    "source_type": "SOURCE_VOLUNTARY",
    "source_identity": "should be dropped",
    "automated_detection": "No",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
    "puid": "listing-1",
}


def test_a_full_statement_is_normalised_like_the_database() -> None:
    stored = normalised(StatementOfReasonsIn(**BASE))
    assert stored["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert stored["category_addition"] == ["STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS"]
    assert stored["territorial_scope"] == ["GR", "IE"]
    assert "source_identity" not in stored  # dropped for SOURCE_VOLUNTARY
    assert "puid" not in published(stored)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"decision_visibility": None, "decision_monetary": None}, "one of decision_visibility"),
        ({"illegal_content_explanation": None}, "illegal_content_explanation"),
        ({"decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT"}, "incompatible_content_ground"),
        ({"content_type": ["CONTENT_TYPE_OTHER"]}, "content_type_other"),
        ({"territorial_scope": ["EL"]}, "not EEA codes: EL"),
        ({"category": "STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS"}, "category"),  # a v1 key
        ({"puid": "has space"}, "puid"),
        ({"automated_detection": "yes"}, "automated_detection"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_the_database_rules_refuse(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StatementOfReasonsIn(**{**BASE, **change})


def test_personal_data_in_free_text_is_found() -> None:
    statement = StatementOfReasonsIn(**{**BASE, "decision_facts": "seller-9 wrote from x@example.com"})
    assert personal_data_in(statement, ["seller-9"]) == ["decision_facts"]
    assert personal_data_in(StatementOfReasonsIn(**BASE), ["seller-9"]) == []

"""DSA Art. 17 statements of reasons in the EU DSA Transparency Database v2 schema: field names and enum
keys verbatim (reference ``dsa_platforms_redress.md`` §1.2-1.3), with the database's own conditional rules.

What is published holds no personal data (Art. 24(5)): ``published`` drops the fields the database hides
(``puid``) and ``source_identity``, and the validator refuses e-mail addresses and the measure's target
identifier in free text.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DecisionVisibility = Literal[
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
]
DecisionMonetary = Literal[
    "DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER"
]
DecisionProvision = Literal[
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
]
DecisionAccount = Literal["DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"]
AccountType = Literal["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"]
DecisionGround = Literal["DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"]
ContentType = Literal[
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
]
Category = Literal[
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
]
SourceType = Literal[
    "SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", "SOURCE_VOLUNTARY"
]
AutomatedDecision = Literal[
    "AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"
]
YesNo = Literal["Yes", "No"]
#: EU-27 + IS, LI, NO: the codes the database accepts (Greece is GR).
EEA_CODES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_FREE_TEXT = (
    "decision_visibility_other",
    "decision_monetary_other",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "content_type_other",
    "category_specification_other",
    "decision_facts",
)


class StatementOfReasonsIn(BaseModel):
    """One statement of reasons, as the DSA Transparency Database v2 API takes it."""

    model_config = ConfigDict(extra="forbid")

    decision_visibility: list[DecisionVisibility] | None = None
    decision_visibility_other: str | None = Field(None, max_length=500)
    end_date_visibility_restriction: date | None = None
    decision_monetary: DecisionMonetary | None = None
    decision_monetary_other: str | None = Field(None, max_length=500)
    end_date_monetary_restriction: date | None = None
    decision_provision: DecisionProvision | None = None
    end_date_service_restriction: date | None = None
    decision_account: DecisionAccount | None = None
    end_date_account_restriction: date | None = None
    account_type: AccountType | None = None
    decision_ground: DecisionGround
    decision_ground_reference_url: str | None = Field(None, max_length=500)
    illegal_content_legal_ground: str | None = Field(None, max_length=500)
    illegal_content_explanation: str | None = Field(None, max_length=2000)
    incompatible_content_ground: str | None = Field(None, max_length=500)
    incompatible_content_explanation: str | None = Field(None, max_length=2000)
    incompatible_content_illegal: YesNo | None = None
    content_type: list[ContentType] = Field(min_length=1)
    content_type_other: str | None = Field(None, max_length=500)
    category: Category
    category_addition: list[Category] | None = None
    category_specification: list[str] | None = None
    category_specification_other: str | None = Field(None, max_length=500)
    territorial_scope: list[str] | None = None
    content_language: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    content_date: date
    application_date: date
    decision_facts: str = Field(min_length=1, max_length=5000)
    source_type: SourceType
    source_identity: str | None = Field(None, max_length=500)
    automated_detection: YesNo
    automated_decision: AutomatedDecision
    puid: str = Field(max_length=500, pattern=r"^[a-zA-Z0-9\-_]+$")

    @model_validator(mode="after")
    def _conditional(self) -> StatementOfReasonsIn:
        """The database's conditional rules (required-if, excluded-otherwise)."""
        if not any(
            (self.decision_visibility, self.decision_monetary, self.decision_provision, self.decision_account)
        ):
            raise ValueError(
                "one of decision_visibility, decision_monetary, decision_provision, decision_account "
                "is required"
            )
        visibility = self.decision_visibility or []
        if "DECISION_VISIBILITY_OTHER" in visibility and not self.decision_visibility_other:
            raise ValueError("decision_visibility_other is required for DECISION_VISIBILITY_OTHER")
        if self.decision_monetary == "DECISION_MONETARY_OTHER" and not self.decision_monetary_other:
            raise ValueError("decision_monetary_other is required for DECISION_MONETARY_OTHER")
        if self.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT":
            if not (self.illegal_content_legal_ground and self.illegal_content_explanation):
                raise ValueError(
                    "illegal_content_legal_ground and illegal_content_explanation are required for "
                    "DECISION_GROUND_ILLEGAL_CONTENT"
                )
        elif not (self.incompatible_content_ground and self.incompatible_content_explanation):
            raise ValueError(
                "incompatible_content_ground and incompatible_content_explanation are required for "
                "DECISION_GROUND_INCOMPATIBLE_CONTENT"
            )
        if "CONTENT_TYPE_OTHER" in self.content_type and not self.content_type_other:
            raise ValueError("content_type_other is required for CONTENT_TYPE_OTHER")
        unknown = sorted(set(self.territorial_scope or []) - EEA_CODES)
        if unknown:
            raise ValueError(f"territorial_scope: not EEA codes: {', '.join(unknown)}")
        return self


def personal_data_in(statement: StatementOfReasonsIn, identifiers: list[str]) -> list[str]:
    """Field names whose free text carries an e-mail address or one of ``identifiers`` (must be empty)."""
    found = []
    for name in _FREE_TEXT:
        text = getattr(statement, name)
        if not text:
            continue
        if _EMAIL.search(text) or any(i and i.lower() in text.lower() for i in identifiers):
            found.append(name)
    return found


def normalised(statement: StatementOfReasonsIn) -> dict[str, Any]:
    """The statement as the database stores it: arrays de-duplicated and sorted, ``category`` removed from
    ``category_addition``, "other" texts dropped when their trigger is absent, unset fields omitted."""
    data = statement.model_dump(mode="json", exclude_none=True)
    for key in ("decision_visibility", "content_type", "category_addition", "category_specification"):
        if key in data:
            data[key] = sorted(set(data[key]))
    if "category_addition" in data:
        data["category_addition"] = [c for c in data["category_addition"] if c != statement.category]
    if "territorial_scope" in data:
        data["territorial_scope"] = sorted(set(data["territorial_scope"]))
    if statement.source_type == "SOURCE_VOLUNTARY":
        data.pop("source_identity", None)
    return data


def published(statement: dict[str, Any]) -> dict[str, Any]:
    """What may be published: the stored statement without ``puid`` (hidden by the database) and without
    ``source_identity`` (it may name a person)."""
    return {k: v for k, v in statement.items() if k not in {"puid", "source_identity"}}

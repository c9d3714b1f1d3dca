"""DB-free due-process rules: legal elements, the ladder, prior notice, competence, renewals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from comity.kinds import JUDICIAL_AUTHORITIES, ActionKind, AuthorityType
from comity.measures.model import LadderStep
from comity.measures.rules import (
    MAX_RENEWALS,
    PriorNoticeState,
    affects_person,
    competent,
    competent_signers,
    is_human_actor,
    ladder_step,
    missing_elements,
    renewal_allowed,
)

T0 = datetime(2026, 9, 1, tzinfo=UTC)


@dataclass
class Facts:
    kind: str = "removal_order"
    step: str = "provisional_order"
    provisional: bool = True
    legal_basis: str | None = "DSA Art. 9"
    justification: str | None = "counterfeits"
    proportionality: dict[str, Any] = field(
        default_factory=lambda: {
            "offence_severity": "medium",
            "harm": "consumers",
            "milder_alternatives": ["a"],
        }
    )
    escalation_reason: str | None = "ignored"
    territorial_scope: list[Any] = field(default_factory=lambda: ["IE"])
    starts_at: datetime | None = T0
    ends_at: datetime | None = None
    review_at: datetime | None = T0 + timedelta(days=7)
    issuing_organisation: str = "org"
    issuer_authority_type: str = "police"
    requires_validation: bool = False
    validating_organisation: str | None = None
    decided_by: str | None = "user:o"
    target_id: str | None = "tgt"
    affects_person: bool = True


def test_a_complete_measure_lacks_nothing() -> None:
    assert missing_elements(Facts()) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"legal_basis": " "}, "legal_basis"),
        ({"justification": None}, "justification"),
        (
            {"proportionality": {"harm": "x", "milder_alternatives": ["a"]}},
            "proportionality.offence_severity",
        ),
        (
            {"proportionality": {"offence_severity": "x", "milder_alternatives": ["a"]}},
            "proportionality.harm",
        ),
        (
            {"proportionality": {"offence_severity": "x", "harm": "y", "milder_alternatives": []}},
            "proportionality.milder_alternatives",
        ),
        ({"escalation_reason": None}, "escalation_reason"),
        ({"issuing_organisation": ""}, "issuing_authority"),
        ({"territorial_scope": []}, "territorial_scope"),
        ({"starts_at": None}, "starts_at"),
        ({"review_at": None, "provisional": False}, "ends_at"),
        ({"review_at": None, "ends_at": T0 + timedelta(days=9)}, "review_at"),
        ({"target_id": None}, "target_id"),
        ({"ends_at": T0 - timedelta(days=1)}, "ends_at"),
        ({"review_at": T0 + timedelta(days=31)}, "review_at"),
    ],
)
def test_each_missing_element_is_named(change: dict[str, Any], path: str) -> None:
    facts = Facts(**change)
    assert path in [e.path for e in missing_elements(facts)]


def test_validation_is_required_only_when_asked_for() -> None:
    facts = Facts(requires_validation=True)
    assert missing_elements(facts) == []
    assert [e.path for e in missing_elements(facts, for_validation=True)] == ["validating_authority"]


def test_the_advisory_notice_needs_no_escalation_reason() -> None:
    facts = Facts(
        kind="advisory_notice",
        step="advisory_notice",
        provisional=False,
        escalation_reason=None,
        affects_person=False,
        target_id=None,
        ends_at=T0 + timedelta(days=1),
    )
    assert missing_elements(facts) == []


def test_the_ladder() -> None:
    assert ladder_step(ActionKind.ADVISORY_NOTICE, provisional=False) is LadderStep.ADVISORY_NOTICE
    assert ladder_step(ActionKind.VOLUNTARY_REMOVAL, provisional=False) is LadderStep.VOLUNTARY_REQUEST
    assert ladder_step(ActionKind.REMOVAL_ORDER, provisional=True) is LadderStep.PROVISIONAL_ORDER
    assert ladder_step(ActionKind.PAYMENT_FREEZE, provisional=False) is LadderStep.JUDICIAL_ORDER
    assert not affects_person(ActionKind.ADVISORY_NOTICE)
    assert affects_person(ActionKind.PRODUCTION)
    assert affects_person(ActionKind.ACCOUNT_SUSPENSION)


def test_only_people_decide() -> None:
    assert is_human_actor("user:judge1")
    assert not is_human_actor("system:node")
    assert not is_human_actor(None)
    assert not is_human_actor("model:x")


def test_prior_notice_state() -> None:
    now = T0
    assert PriorNoticeState(skip_approved=True, sent=False, reply_until=None).may_issue(now)
    assert not PriorNoticeState(skip_approved=False, sent=False, reply_until=None).may_issue(now)
    running = PriorNoticeState(skip_approved=False, sent=True, reply_until=now + timedelta(days=1))
    assert not running.may_issue(now)
    assert running.may_issue(now + timedelta(days=1))


def test_competence() -> None:
    judicial, _ = competent_signers(
        regime="dsa_order", kind="removal_order", step="judicial_order", data_category=None
    )
    assert judicial == JUDICIAL_AUTHORITIES
    assert not competent(
        [AuthorityType.POLICE],
        regime="dsa_order",
        kind="removal_order",
        step="judicial_order",
        data_category=None,
    )
    assert competent(
        [AuthorityType.POLICE, AuthorityType.JUDGE],
        regime="dsa_order",
        kind="removal_order",
        step="judicial_order",
        data_category=None,
    )
    assert competent(
        [AuthorityType.POLICE],
        regime="dsa_order",
        kind="removal_order",
        step="provisional_order",
        data_category=None,
    )
    assert not competent(
        [AuthorityType.POLICE],
        regime="freezing",
        kind="payment_freeze",
        step="provisional_order",
        data_category=None,
    )
    assert competent(
        [AuthorityType.PROSECUTOR],
        regime="e_evidence",
        kind="production",
        step="provisional_order",
        data_category="subscriber",
    )
    assert not competent(
        [AuthorityType.PROSECUTOR],
        regime="e_evidence",
        kind="production",
        step="provisional_order",
        data_category="content",
    )


def test_renewals_are_bounded() -> None:
    d = T0 + timedelta(days=7)
    assert renewal_allowed(0, d, d + timedelta(days=30)) is None
    assert "at most 30 days" in (renewal_allowed(0, d, d + timedelta(days=31)) or "")
    assert "later" in (renewal_allowed(0, d, d) or "")
    assert "at most" in (renewal_allowed(MAX_RENEWALS, d, d + timedelta(days=1)) or "")

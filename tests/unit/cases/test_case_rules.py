"""The case state machine and the DB-free case rules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from comity.cases.model import (
    CASE_TRANSITIONS,
    CaseAction,
    CaseMember,
    CaseStatus,
    TargetKind,
    check_period,
    member_active,
    next_case_status,
)
from comity.cases.targets import identifier_hash, normalise_identifier
from comity.errors import IllegalTransition, InvalidInput

T0 = datetime(2026, 9, 1, tzinfo=UTC)


@pytest.mark.parametrize(("status", "action"), list(itertools.product(CaseStatus, CaseAction)), ids=str)
def test_every_case_transition_allowed_or_refused(status: CaseStatus, action: CaseAction) -> None:
    moves = CASE_TRANSITIONS[status]
    if action in moves:
        assert next_case_status("case_x", status.value, action) is moves[action]
    else:
        with pytest.raises(IllegalTransition) as refused:
            next_case_status("case_x", status.value, action)
        assert refused.value.extensions["allowed_next"] == [a.value for a in moves]


def test_close_and_reopen() -> None:
    assert next_case_status("c", "open", CaseAction.CLOSE) is CaseStatus.CLOSED
    assert next_case_status("c", "closed", CaseAction.REOPEN) is CaseStatus.OPEN


def _member(starts: datetime, ends: datetime | None) -> CaseMember:
    return CaseMember(starts_at=starts, ends_at=ends)


def test_membership_period_is_half_open() -> None:
    member = _member(T0, T0 + timedelta(days=10))
    assert not member_active(member, T0 - timedelta(seconds=1))
    assert member_active(member, T0)
    assert member_active(member, T0 + timedelta(days=10) - timedelta(seconds=1))
    assert not member_active(member, T0 + timedelta(days=10))
    assert member_active(_member(T0, None), T0 + timedelta(days=10_000))


def test_period_must_end_after_it_starts() -> None:
    check_period(T0, None, path="ends_at")
    with pytest.raises(InvalidInput) as bad:
        check_period(T0, T0, path="ends_at")
    assert bad.value.errors[0].path == "ends_at"


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        (TargetKind.DOMAIN, "https://Fake-Watches.example./shop", "fake-watches.example"),
        (TargetKind.LISTING_URL, "https://www.market.example/item/1/", "market.example/item/1"),
        (TargetKind.SELLER_ACCOUNT, " Seller 4711 ", "seller4711"),
        (TargetKind.WALLET, "bc1QXY", "bc1qxy"),
    ],
)
def test_same_target_written_differently_matches(kind: TargetKind, a: str, b: str) -> None:
    assert normalise_identifier(kind, a) == normalise_identifier(kind, b)
    key = b"k" * 32
    assert identifier_hash(key, kind, a) == identifier_hash(key, kind, b)
    assert identifier_hash(key, kind, a) != identifier_hash(b"j" * 32, kind, a)  # keyed: no dictionary attack
    assert identifier_hash(key, TargetKind.PAYMENT_ACCOUNT, a) != identifier_hash(key, kind, a)

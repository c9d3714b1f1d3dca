"""Checks on verified payloads (competence, addressee, expiry, replay) and the strict payload reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comity.kinds import JUDICIAL_AUTHORITIES, AuthorityType
from comity.signing import errors as errs
from comity.signing.checks import (
    FileSeenIds,
    MemorySeenIds,
    require_addressee,
    require_authority,
    require_not_future,
    require_unexpired,
)
from comity.signing.keys import KeyPurpose
from comity.signing.payload import canonical_json, format_time, parse_object
from unit.signing.signing_support import T0, new_pair


def test_a_judge_key_is_competent_for_a_judicial_order() -> None:
    judge = new_pair(authority_type=AuthorityType.JUDGE)
    assert (
        require_authority(judge.info, allowed=JUDICIAL_AUTHORITIES, act="a removal order")
        is AuthorityType.JUDGE
    )


def test_a_police_key_on_an_order_that_needs_a_judge_is_not_competent() -> None:
    police = new_pair(authority_type=AuthorityType.POLICE)
    with pytest.raises(
        errs.NotCompetent, match=r"police authority.*must be signed by: court, investigating_judge, judge"
    ):
        require_authority(police.info, allowed=JUDICIAL_AUTHORITIES, act="a removal order")


def test_a_node_key_is_no_authority() -> None:
    node = new_pair(KeyPurpose.NODE_SIGNING, authority_type=None)
    with pytest.raises(errs.NotCompetent, match="not an authority's key"):
        require_authority(node.info, allowed=JUDICIAL_AUTHORITIES, act="an order")


def test_addressee() -> None:
    require_addressee(addressed_to="org_market", expected="org_market")
    with pytest.raises(errs.WrongAddressee, match="addressed to 'org_other', not to 'org_market'"):
        require_addressee(addressed_to="org_other", expected="org_market", what="order ord_1")


def test_expiry_and_future() -> None:
    require_unexpired(expires_at=T0 + timedelta(seconds=1), at=T0)
    require_unexpired(expires_at=None, at=T0)
    with pytest.raises(errs.Expired):
        require_unexpired(expires_at=T0, at=T0)
    require_not_future(created_at=T0 + timedelta(minutes=5), at=T0, skew=timedelta(minutes=5))
    with pytest.raises(errs.IssuedInFuture):
        require_not_future(created_at=T0 + timedelta(minutes=5, seconds=1), at=T0, skew=timedelta(minutes=5))


def test_seen_ids_refuse_a_replay_and_persist(tmp_path: Path) -> None:
    memory = MemorySeenIds()
    memory.check("ord_1")
    memory.record("ord_1")
    with pytest.raises(errs.Replayed, match="ord_1"):
        memory.check("ord_1")
    with pytest.raises(ValueError, match="printable"):
        memory.record("two words")
    path = tmp_path / "seen.txt"
    FileSeenIds(path).record("ord_2")
    reopened = FileSeenIds(path)
    assert "ord_2" in reopened
    with pytest.raises(errs.Replayed):
        reopened.check("ord_2")


def test_canonical_json_is_deterministic() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_json({"x": float("nan")})


def test_times_are_aware_utc_seconds() -> None:
    assert format_time(datetime(2026, 1, 1, 12, 0, 0, 999, tzinfo=UTC)) == "2026-01-01T12:00:00Z"
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b'{"a":1,"a":2}', "duplicate key"),
        (b'{"when":"2026-01-01 12:00"}', "YYYY-MM-DDTHH:MM:SSZ"),
        (b'{"when":"2026-02-30T00:00:00Z"}', "not a real instant"),
        (b'{"when":"2026-01-01T00:00:00Z","x":1}', "x: unexpected field"),
        (b"[]", "expected a JSON object"),
        (b'{"when":Infinity}', "non-finite"),
    ],
)
def test_strict_reader_names_the_problem(document: bytes, message: str) -> None:
    with pytest.raises(errs.MalformedPayload, match=message):
        parse_object(document, what="test").only(("when",)).instant("when")

"""The approval state machine of governed documents, without a database."""

from __future__ import annotations

import pytest

from comity.errors import IllegalTransition
from comity.governance.model import TRANSITIONS, DocumentStatus, GovernedDocument

S = DocumentStatus

ALLOWED = {
    (S.PROPOSED, S.APPROVED),
    (S.PROPOSED, S.REJECTED),
    (S.PROPOSED, S.SUPERSEDED),
    (S.APPROVED, S.SUPERSEDED),
}


def _row(status: DocumentStatus) -> GovernedDocument:
    return GovernedDocument(kind="agreement", key="eev-eu5", version=2, status=status.value)


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", [S.APPROVED, S.REJECTED, S.SUPERSEDED])
def test_every_transition_is_allowed_or_refused_as_the_table_says(current: S, target: S) -> None:
    row = _row(current)
    if (current, target) in ALLOWED:
        row.move_to(target)
        assert row.status == target.value
    else:
        with pytest.raises(IllegalTransition) as raised:
            row.move_to(target)
        assert row.status == current.value
        assert raised.value.extensions["current_state"] == current.value
        assert "agreement eev-eu5 v2" in raised.value.detail


def test_the_table_matches_the_documented_machine() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert TRANSITIONS[S.REJECTED] == TRANSITIONS[S.SUPERSEDED] == frozenset()


def test_refusal_names_what_is_allowed_next() -> None:
    with pytest.raises(IllegalTransition) as raised:
        _row(S.APPROVED).move_to(S.REJECTED)
    assert raised.value.extensions == {
        "current_state": "approved",
        "attempted": "reject",
        "allowed_next": ["supersede"],
    }

"""The custody state machine: every (state, action) pair, allowed or refused."""

from __future__ import annotations

import pytest

from comity.custody.states import (
    TRANSITIONS,
    CustodyAction,
    CustodyState,
    allowed_actions,
    next_state,
    replay,
)
from comity.errors import IllegalTransition

A, S = CustodyAction, CustodyState

#: The rules, written out independently of the table under test.
EXPECTED: dict[CustodyState | None, dict[CustodyAction, CustodyState]] = {
    # an item from another node opens its chain here with its receipt, still sealed
    None: {A.COLLECTED: S.OPEN, A.RECEIVED: S.SEALED},
    S.OPEN: {
        A.SEALED: S.SEALED,
        A.ACCESSED: S.OPEN,
        A.ANALYSED: S.OPEN,
        A.DISCLOSED: S.OPEN,
        A.RETURNED: S.RETURNED,
        A.DESTROYED: S.DESTROYED,
    },
    S.SEALED: {
        A.TRANSFERRED: S.IN_TRANSIT,
        A.ACCESSED: S.SEALED,
        A.ANALYSED: S.OPEN,
        A.DISCLOSED: S.SEALED,
        A.RETURNED: S.RETURNED,
        A.DESTROYED: S.DESTROYED,
    },
    S.IN_TRANSIT: {A.RECEIVED: S.SEALED},
    S.RETURNED: {A.DESTROYED: S.DESTROYED},
    S.DESTROYED: {},
}
STATES: list[CustodyState | None] = [None, *CustodyState]
PAIRS = [(state, action) for state in STATES for action in CustodyAction]


def test_the_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(STATES)


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_transition_is_allowed_or_refused_as_specified(
    state: CustodyState | None, action: CustodyAction
) -> None:
    expected = EXPECTED[state].get(action)
    if expected is not None:
        assert next_state(state, action) is expected
        assert action in allowed_actions(state)
        return
    with pytest.raises(IllegalTransition) as caught:
        next_state(state, action, subject="evidence evd_1")
    error = caught.value
    assert error.extensions["current_state"] == (state.value if state else "not collected")
    assert error.extensions["attempted"] == action.value
    assert error.extensions["allowed_next"] == [a.value for a in allowed_actions(state)]
    assert "evidence evd_1" in error.detail
    assert error.status == 409


def test_nothing_follows_destruction_and_a_chain_opens_with_collection_or_receipt() -> None:
    assert allowed_actions(CustodyState.DESTROYED) == []
    assert allowed_actions(None) == [CustodyAction.COLLECTED, CustodyAction.RECEIVED]
    with pytest.raises(IllegalTransition, match="allowed next: none"):
        next_state(CustodyState.DESTROYED, CustodyAction.ACCESSED)


def test_a_transfer_needs_a_seal_and_a_receipt_ends_the_transit() -> None:
    chain = [A.COLLECTED, A.ANALYSED, A.SEALED, A.TRANSFERRED, A.RECEIVED, A.ACCESSED, A.ANALYSED, A.SEALED]
    assert replay(chain) is S.SEALED
    with pytest.raises(IllegalTransition):
        replay([A.COLLECTED, A.TRANSFERRED])
    with pytest.raises(IllegalTransition):
        replay([A.COLLECTED, A.SEALED, A.TRANSFERRED, A.ACCESSED])  # the sender no longer holds it


def test_an_item_received_from_another_node_arrives_sealed_and_may_go_on() -> None:
    assert replay([A.RECEIVED]) is S.SEALED
    assert replay([A.RECEIVED, A.ACCESSED, A.TRANSFERRED, A.RECEIVED]) is S.SEALED
    for first in (A.SEALED, A.TRANSFERRED, A.ACCESSED, A.DESTROYED):
        with pytest.raises(IllegalTransition):
            replay([first])

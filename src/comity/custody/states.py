"""The chain-of-custody state machine of one evidence item: plain domain code, no database.

States say where the item stands; actions are the custody events. The rules, and why:

- ``collected`` opens the chain of an item this node gathered; it leaves the item ``open``.
- ``received`` may also open a chain: an item arriving from another custodian (another node, through
  ``comity.custody.transfer_receive``) opens its chain on this node with its receipt, signed by this node and
  linked to the sender's chain (its head is named in the receipt, and the sender records the receipt in
  its own chain). What was transferred was sealed, so the item arrives ``sealed``. Nothing else may come
  first.
- ``sealed`` freezes an open item for handing over; only a sealed item may be ``transferred`` (what leaves
  a custodian must be sealed, so the receiver can tell it was not opened on the way).
- while ``in_transit`` the sender no longer holds it: only ``received`` may follow, and the item arrives
  still ``sealed``.
- ``accessed`` (reading a hash-checked copy) does not break a digital seal; ``analysed`` does (examination
  opens the item, which must be sealed again before the next transfer).
- ``disclosed`` (a copy given to a court, the defence, a partner) leaves the state as it was.
- ``returned`` hands the item back to where it came from; the node keeps only its record until destruction.
- ``destroyed`` ends the chain: nothing may follow it.
"""

from __future__ import annotations

from enum import StrEnum

from comity.errors import IllegalTransition


class CustodyAction(StrEnum):
    """The custody events (their values appear in signed payloads and audit tags: never rename)."""

    COLLECTED = "collected"
    SEALED = "sealed"
    TRANSFERRED = "transferred"
    RECEIVED = "received"
    ACCESSED = "accessed"
    ANALYSED = "analysed"
    DISCLOSED = "disclosed"
    RETURNED = "returned"
    DESTROYED = "destroyed"


class CustodyState(StrEnum):
    """Where an evidence item stands in its chain of custody."""

    OPEN = "open"
    SEALED = "sealed"
    IN_TRANSIT = "in_transit"
    RETURNED = "returned"
    DESTROYED = "destroyed"


_A = CustodyAction
_S = CustodyState

#: state (None: nothing recorded yet) -> action -> next state. Anything absent is illegal.
TRANSITIONS: dict[CustodyState | None, dict[CustodyAction, CustodyState]] = {
    None: {_A.COLLECTED: _S.OPEN, _A.RECEIVED: _S.SEALED},
    _S.OPEN: {
        _A.SEALED: _S.SEALED,
        _A.ACCESSED: _S.OPEN,
        _A.ANALYSED: _S.OPEN,
        _A.DISCLOSED: _S.OPEN,
        _A.RETURNED: _S.RETURNED,
        _A.DESTROYED: _S.DESTROYED,
    },
    _S.SEALED: {
        _A.TRANSFERRED: _S.IN_TRANSIT,
        _A.ACCESSED: _S.SEALED,
        _A.ANALYSED: _S.OPEN,
        _A.DISCLOSED: _S.SEALED,
        _A.RETURNED: _S.RETURNED,
        _A.DESTROYED: _S.DESTROYED,
    },
    _S.IN_TRANSIT: {_A.RECEIVED: _S.SEALED},
    _S.RETURNED: {_A.DESTROYED: _S.DESTROYED},
    _S.DESTROYED: {},
}


def allowed_actions(current: CustodyState | None) -> list[CustodyAction]:
    """The actions that may follow ``current``, in declaration order."""
    allowed = TRANSITIONS[current]
    return [action for action in CustodyAction if action in allowed]


def next_state(
    current: CustodyState | None, action: CustodyAction, *, subject: str = "evidence item"
) -> CustodyState:
    """The state after ``action``, or :class:`IllegalTransition` naming the state and what is allowed."""
    following = TRANSITIONS[current].get(action)
    if following is None:
        raise IllegalTransition(
            subject,
            current.value if current is not None else "not collected",
            action.value,
            [a.value for a in allowed_actions(current)],
        )
    return following


def replay(actions: list[CustodyAction], *, subject: str = "evidence item") -> CustodyState | None:
    """The state after ``actions`` from the start; raises on the first illegal one."""
    state: CustodyState | None = None
    for action in actions:
        state = next_state(state, action, subject=subject)
    return state

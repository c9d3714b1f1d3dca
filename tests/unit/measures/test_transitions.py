"""Every transition of the measure and execution state machines, allowed and refused."""

from __future__ import annotations

import pytest

from comity.errors import IllegalTransition
from comity.measures.model import (
    EXECUTION_TRANSITIONS,
    TRANSITIONS,
    ExecutionStatus,
    MeasureAction,
    MeasureStatus,
    next_execution,
    next_status,
)

PAIRS = [(s, a) for s in MeasureStatus for a in MeasureAction]


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_measure_transition(status: MeasureStatus, action: MeasureAction) -> None:
    allowed = TRANSITIONS[status]
    if action in allowed:
        assert next_status("m1", status.value, action) is allowed[action]
    else:
        with pytest.raises(IllegalTransition) as caught:
            next_status("m1", status.value, action)
        assert caught.value.status == 409
        assert caught.value.extensions["allowed_next"] == [a.value for a in allowed]
        assert caught.value.extensions["current_state"] == status.value


def test_the_expected_paths_exist() -> None:
    s, a = MeasureStatus, MeasureAction
    assert next_status("m", s.DRAFT, a.SUBMIT) is s.AWAITING_AUTHORISATION
    assert next_status("m", s.AWAITING_AUTHORISATION, a.AUTHORISE) is s.AUTHORISED
    assert next_status("m", s.AUTHORISED, a.ANNOUNCE) is s.ANNOUNCED
    assert next_status("m", s.ANNOUNCED, a.ISSUE) is s.ISSUED
    assert next_status("m", s.ISSUED, a.LAPSE) is s.LAPSED
    for final in (s.REFUSED, s.LAPSED, s.LIFTED, s.EXPIRED, s.WITHDRAWN):
        assert TRANSITIONS[final] == {}


EXEC = [(c, n) for c in ExecutionStatus for n in ExecutionStatus]


@pytest.mark.parametrize(("current", "answer"), EXEC, ids=[f"{c.value}-{n.value}" for c, n in EXEC])
def test_execution_transition(current: ExecutionStatus, answer: ExecutionStatus) -> None:
    if answer in EXECUTION_TRANSITIONS[current]:
        assert next_execution("m1", current.value, answer) is answer
    else:
        with pytest.raises(IllegalTransition) as caught:
            next_execution("m1", current.value, answer)
        assert caught.value.extensions["allowed_next"] == sorted(
            a.value for a in EXECUTION_TRANSITIONS[current]
        )

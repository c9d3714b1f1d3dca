"""Every transition of every request procedure, allowed and refused (DB-free)."""

from __future__ import annotations

import itertools

import pytest

from comity.assistance_requests.model import (
    MACHINES,
    TERMINAL,
    Action,
    Procedure,
    Status,
    allowed_actions,
    in_machine,
    next_status,
    procedure_for,
)
from comity.errors import IllegalTransition
from comity.kinds import ActionKind, Regime

CELLS = list(itertools.product(Procedure, Status, Action))


@pytest.mark.parametrize(("procedure", "status", "action"), CELLS, ids=lambda v: str(v.value))
def test_every_cell_is_allowed_or_refused_with_allowed_next(
    procedure: Procedure, status: Status, action: Action
) -> None:
    machine = MACHINES[procedure]
    allowed = allowed_actions(machine, status)
    if action in machine.get(status, {}):
        targets = machine[status][action]
        assert next_status("req_x", machine, status, action, allowed, None) == targets[0]
        for target in targets:
            assert next_status("req_x", machine, status, action, allowed, target) == target
            assert in_machine(procedure, status.value, action.value, target.value)
    else:
        with pytest.raises(IllegalTransition) as refused:
            next_status("req_x", machine, status, action, allowed, None)
        assert refused.value.status == 409
        assert refused.value.extensions["allowed_next"] == [a.value for a in allowed]
        assert refused.value.extensions["current_state"] == status.value
        assert refused.value.extensions["attempted"] == action.value


@pytest.mark.parametrize("procedure", list(Procedure))
def test_terminal_states_have_no_way_out_and_every_state_is_reachable(procedure: Procedure) -> None:
    machine = MACHINES[procedure]
    for status in TERMINAL:
        assert allowed_actions(machine, status) == []
    reached = {Status.DRAFT}
    frontier = [Status.DRAFT]
    while frontier:
        status = frontier.pop()
        for targets in machine.get(status, {}).values():
            for target in targets:
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
    assert set(machine) <= reached
    # every non-terminal state can still be withdrawn or closed: nothing is stuck
    for status in machine:
        assert {Action.WITHDRAW, Action.CLOSE} & set(machine[status]), status


def test_a_stored_step_outside_the_machine_is_detected() -> None:
    assert in_machine(Procedure.EEV_PRODUCTION, None, "create", "draft")
    assert not in_machine(Procedure.EEV_PRODUCTION, None, "create", "issued")
    assert not in_machine(Procedure.EEV_PRODUCTION, "draft", "deliver", "delivered")
    assert not in_machine(Procedure.EEV_PRODUCTION, "draft", "no_such_action", "issued")
    assert not in_machine(Procedure.BUDAPEST_PRESERVATION, "preserved", "extend", "extended")
    assert in_machine(Procedure.EEV_PRESERVATION, "preserved", "extend", "extended")


@pytest.mark.parametrize(
    ("regime", "measure", "expected"),
    [
        (Regime.E_EVIDENCE, ActionKind.PRODUCTION, Procedure.EEV_PRODUCTION),
        (Regime.E_EVIDENCE, ActionKind.PRESERVATION, Procedure.EEV_PRESERVATION),
        (Regime.BUDAPEST_PRESERVATION, ActionKind.PRESERVATION, Procedure.BUDAPEST_PRESERVATION),
        (Regime.MUTUAL_LEGAL_ASSISTANCE, ActionKind.PRODUCTION, Procedure.ASSISTANCE),
        (Regime.FREEZING, ActionKind.PAYMENT_FREEZE, Procedure.ASSISTANCE),
        (Regime.E_EVIDENCE, ActionKind.PAYMENT_FREEZE, None),
        (Regime.BUDAPEST_PRESERVATION, ActionKind.PRODUCTION, None),
        (Regime.DSA_ORDER, ActionKind.REMOVAL_ORDER, None),
    ],
)
def test_procedure_per_regime(regime: Regime, measure: ActionKind, expected: Procedure | None) -> None:
    assert procedure_for(regime, measure) is expected

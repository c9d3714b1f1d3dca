"""The request invariant: a history starts with ``create`` (or ``receive`` on a mirror) and every step
is one the procedure's machine allows, chained from the previous one to the current status."""

from __future__ import annotations

from datetime import UTC, datetime

from comity.assistance_requests.model import (
    RECEIVE,
    AssistanceRequest,
    Procedure,
    RequestStep,
    in_machine,
)
from comity.invariants.requests import request_problems

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _step(seq: int, action: str, from_status: str | None, to_status: str) -> RequestStep:
    return RequestStep(seq=seq, action=action, from_status=from_status, to_status=to_status)


def _request(status: str, *, mirror: bool) -> AssistanceRequest:
    return AssistanceRequest(
        id="req_1",
        procedure=Procedure.EEV_PRODUCTION.value,
        status=status,
        mirror=mirror,
        federated_with="IE" if mirror else None,
    )


def test_receive_starts_where_a_transmission_leads() -> None:
    assert in_machine(Procedure.EEV_PRODUCTION, None, RECEIVE, "transmitted")
    assert in_machine(Procedure.EEV_PRODUCTION, None, RECEIVE, "executing_state_reviewing")
    assert not in_machine(Procedure.EEV_PRODUCTION, None, RECEIVE, "accepted")
    assert not in_machine(Procedure.EEV_PRESERVATION, None, RECEIVE, "executing_state_reviewing")
    assert not in_machine(Procedure.EEV_PRODUCTION, "issued", RECEIVE, "transmitted")


def test_a_mirror_history_is_legal() -> None:
    history = [
        _step(1, RECEIVE, None, "executing_state_reviewing"),
        _step(2, "accept", "executing_state_reviewing", "accepted"),
    ]
    assert request_problems(_request("accepted", mirror=True), history) == []


def test_broken_histories_are_named() -> None:
    received = [_step(1, RECEIVE, None, "transmitted")]
    assert request_problems(_request("transmitted", mirror=False), received) == [
        "starts with 'receive', not 'create'"
    ]
    created = [_step(1, "create", None, "draft")]
    assert request_problems(_request("draft", mirror=True), created) == [
        "starts with 'create', not 'receive'"
    ]
    skipped = [
        _step(1, RECEIVE, None, "transmitted"),
        _step(2, "accept", "transmitted", "accepted"),  # no accept from transmitted in this machine
    ]
    (problem,) = request_problems(_request("accepted", mirror=True), skipped)
    assert "not in the eev_production machine" in problem
    stale = [_step(1, RECEIVE, None, "transmitted")]
    assert request_problems(_request("delivered", mirror=True), stale) == [
        "status is 'delivered' but the last step ends in 'transmitted'"
    ]

"""Invariants of cross-border requests: every stored step is one its procedure's machine allows.

A request's history starts with ``create`` (a draft written on this node) or, on a mirror of a request
received from a peer node, with ``receive`` (the status the issuing node's transmission left it in); each
later step starts where the previous one ended, and the last ends in the request's current status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.assistance_requests.model import (
    RECEIVE,
    AssistanceRequest,
    Procedure,
    RequestStep,
    in_machine,
)
from comity.invariants.registry import Violation, register_invariant


def _steps(session: Session) -> dict[str, list[RequestStep]]:
    grouped: dict[str, list[RequestStep]] = defaultdict(list)
    for step in session.scalars(select(RequestStep).order_by(RequestStep.request_id, RequestStep.seq)):
        grouped[step.request_id].append(step)
    return grouped


def request_problems(request: AssistanceRequest, history: list[RequestStep]) -> list[str]:
    """What is wrong with one request's stored history (nothing: an empty list)."""
    try:
        procedure = Procedure(request.procedure)
    except ValueError:
        return [f"unknown procedure {request.procedure!r}"]
    if not history:
        return ["no step recorded"]
    problems: list[str] = []
    first = history[0].action
    expected_first = RECEIVE if request.mirror else "create"
    if first != expected_first:
        problems.append(f"starts with {first!r}, not {expected_first!r}")
    if request.mirror and not request.federated_with:
        problems.append("a mirror that names no peer node")
    previous: str | None = None
    for index, step in enumerate(history, start=1):
        if step.seq != index:
            problems.append(f"step {step.seq} out of sequence (expected {index})")
        if step.from_status != previous:
            problems.append(
                f"step {step.seq} starts at {step.from_status!r}, the previous ended at {previous!r}"
            )
        if step.action in ("create", RECEIVE) and index != 1:
            problems.append(f"step {step.seq} is a {step.action!r} after the first")
        elif not in_machine(procedure, step.from_status, step.action, step.to_status):
            problems.append(
                f"step {step.seq} {step.action} {step.from_status}->{step.to_status} is not in the "
                f"{procedure.value} machine"
            )
        previous = step.to_status
    if previous != request.status:
        problems.append(f"status is {request.status!r} but the last step ends in {previous!r}")
    return problems


@register_invariant("request_steps_in_machine")
def request_steps_in_machine(session: Session, now: datetime) -> Iterator[Violation]:
    """No request state change outside its procedure's machine (mirrors start with ``receive``)."""
    steps = _steps(session)
    for request in session.scalars(select(AssistanceRequest).order_by(AssistanceRequest.id)):
        problems = request_problems(request, steps.get(request.id, []))
        if problems:
            yield Violation("request_steps_in_machine", f"request:{request.id}", "; ".join(problems))

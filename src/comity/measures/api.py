"""Measures over HTTP: officers draft, submit, announce, issue and lift; judges authorise, refuse, confirm
and renew; the addressed platform fetches its orders and answers. No business rules here.

Illegal transitions are 409 with ``allowed_next``; missing legal elements 422 naming each; unknown ids 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from comity.access import Grant
from comity.errors import NotFound
from comity.identity.principal import Principal
from comity.keys.keystore import Keystore
from comity.kinds import Role
from comity.measures import lifecycle, service
from comity.measures.model import Measure, MeasureAnswer
from comity.measures.pages import pages
from comity.measures.schemas import (
    AnswerIn,
    AuthoriseIn,
    MeasureCreate,
    MeasureElements,
    MeasureOut,
    ReasonIn,
    RefuseIn,
    RenewIn,
    ReplyIn,
    measure_out,
)
from comity.web.container import Container
from comity.web.deps import get_container, require

router = APIRouter(tags=["measures"])
__all__ = ["pages", "router"]

_OFFICER = require(Role.OFFICER)
_JUDGE = require(Role.JUDGE)
_PLATFORM = require(Role.PLATFORM)
_OFFICER_OR_JUDGE = require(Role.OFFICER, Role.JUDGE)
_READERS = require(Role.OFFICER, Role.JUDGE, Role.PLATFORM, Role.AUDITOR, Role.ADMINISTRATOR)
_REPLIERS = require(Role.OFFICER, Role.PLATFORM)


def _out(container: Container, measure: Measure, grant: Grant | None = None) -> MeasureOut:
    if grant is not None and not grant.sees_content:
        return measure_out(measure, [], content=False)
    return measure_out(measure, service.allowed_actions(measure, container.clock.now()))


def _run(container: Container, fn: Callable[..., Measure], **kwargs: Any) -> MeasureOut:
    with container.transaction() as session:
        measure = fn(session, clock=container.clock, **kwargs)
        return _out(container, measure)


def _keystore(container: Container) -> Keystore:
    return Keystore.for_settings(container.settings)


@router.post("/measures", status_code=201, response_model=MeasureOut)
def create(
    body: MeasureCreate,
    principal: Principal = Depends(_OFFICER),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """Draft a measure in one of your cases."""
    return _run(container, service.create_measure, principal=principal, data=body)


@router.get("/measures", response_model=list[MeasureOut])
def list_measures(
    status: str | None = Query(None, max_length=30),
    principal: Principal = Depends(_READERS),
    container: Container = Depends(get_container),
) -> list[MeasureOut]:
    """Measures you may see, newest first."""
    with container.transaction() as session:
        rows = service.visible_measures(session, clock=container.clock, principal=principal, status=status)
        return [_out(container, g.obj, g.grant) for g in rows]


@router.get("/measures/{measure_id}", response_model=MeasureOut)
def show(
    measure_id: str, principal: Principal = Depends(_READERS), container: Container = Depends(get_container)
) -> MeasureOut:
    """One measure, with what may happen next (oversight: its metadata)."""
    with container.transaction() as session:
        granted = service.measure_access(
            session, clock=container.clock, principal=principal, measure_id=measure_id
        )
        return _out(container, granted.obj, granted.grant)


@router.patch("/measures/{measure_id}", response_model=MeasureOut)
def add_elements(
    measure_id: str,
    body: MeasureElements,
    principal: Principal = Depends(_OFFICER),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """Add or change legal elements of a draft."""
    return _run(container, service.update_elements, principal=principal, measure_id=measure_id, data=body)


@router.post("/measures/{measure_id}/submit", response_model=MeasureOut)
def submit(
    measure_id: str, principal: Principal = Depends(_OFFICER), container: Container = Depends(get_container)
) -> MeasureOut:
    """Submit for authorisation: every legal element is checked and the policy engine asked."""
    return _run(container, service.submit, principal=principal, measure_id=measure_id)


@router.post("/measures/{measure_id}/authorise", response_model=MeasureOut)
def authorise(
    measure_id: str,
    body: AuthoriseIn,
    principal: Principal = Depends(_JUDGE),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """A judge authorises (validates; rules on skipping prior notice and on deferring the notice)."""
    return _run(container, service.authorise, principal=principal, measure_id=measure_id, data=body)


@router.post("/measures/{measure_id}/refuse", response_model=MeasureOut)
def refuse(
    measure_id: str,
    body: RefuseIn,
    principal: Principal = Depends(_JUDGE),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """A judge refuses, with reasons."""
    return _run(container, service.refuse, principal=principal, measure_id=measure_id, reason=body.reason)


@router.post("/measures/{measure_id}/withdraw", response_model=MeasureOut)
def withdraw(
    measure_id: str,
    body: ReasonIn,
    principal: Principal = Depends(_OFFICER),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """Withdraw before issue."""
    return _run(container, service.withdraw, principal=principal, measure_id=measure_id, reason=body.reason)


@router.post("/measures/{measure_id}/announce", response_model=MeasureOut)
def announce(
    measure_id: str, principal: Principal = Depends(_OFFICER), container: Container = Depends(get_container)
) -> MeasureOut:
    """Send the prior notice; the person may reply within the agreement's period."""
    return _run(container, service.announce, principal=principal, measure_id=measure_id)


@router.post("/measures/{measure_id}/prior-notice-reply", response_model=MeasureOut)
def reply(
    measure_id: str,
    body: ReplyIn,
    principal: Principal = Depends(_REPLIERS),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """Record the person's reply to the prior notice (relayed by the platform or by an officer)."""
    return _run(
        container, service.record_prior_reply, principal=principal, measure_id=measure_id, reply=body.reply
    )


@router.post("/measures/{measure_id}/issue", response_model=MeasureOut)
def issue(
    measure_id: str, principal: Principal = Depends(_OFFICER), container: Container = Depends(get_container)
) -> MeasureOut:
    """Issue: sign the order for the platform and write the notice, in one transaction."""
    return _run(
        container, service.issue, principal=principal, measure_id=measure_id, keystore=_keystore(container)
    )


@router.post("/measures/{measure_id}/confirm", response_model=MeasureOut)
def confirm(
    measure_id: str,
    body: ReasonIn,
    principal: Principal = Depends(_JUDGE),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """A judge confirms a provisional measure on review."""
    return _run(
        container,
        lifecycle.confirm,
        principal=principal,
        measure_id=measure_id,
        note=body.reason,
        keystore=_keystore(container),
    )


@router.post("/measures/{measure_id}/renew", response_model=MeasureOut)
def renew(
    measure_id: str,
    body: RenewIn,
    principal: Principal = Depends(_OFFICER_OR_JUDGE),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """Move a provisional measure's review deadline (bounded; audited)."""
    return _run(
        container,
        lifecycle.renew,
        principal=principal,
        measure_id=measure_id,
        data=body,
        keystore=_keystore(container),
    )


@router.post("/measures/{measure_id}/lift", response_model=MeasureOut)
def lift(
    measure_id: str,
    body: ReasonIn,
    principal: Principal = Depends(_OFFICER_OR_JUDGE),
    container: Container = Depends(get_container),
) -> MeasureOut:
    """Lift a measure in force; the platform is told to lift it."""
    return _run(
        container,
        lifecycle.lift,
        principal=principal,
        measure_id=measure_id,
        reason=body.reason,
        keystore=_keystore(container),
    )


def _answer_json(row: MeasureAnswer, *, content: bool = True) -> dict[str, Any]:
    return {
        "id": row.id,
        "answer": row.answer,
        "reasons": list(row.reasons or []),
        # The platform's free-text explanation may name the person: oversight reads the answer's codes.
        "explanation": row.explanation if content else None,
        "complied_at": row.complied_at,
        "answered_by": row.answered_by,
        "answered_at": row.answered_at,
    }


@router.post("/measures/{measure_id}/answers", status_code=201)
def answer(
    measure_id: str,
    body: AnswerIn,
    principal: Principal = Depends(_PLATFORM),
    container: Container = Depends(get_container),
) -> dict[str, Any]:
    """The addressed platform answers: received, complied, partially complied, cannot comply, contested."""
    with container.transaction() as session:
        row = lifecycle.answer(
            session, clock=container.clock, principal=principal, measure_id=measure_id, data=body
        )
        return _answer_json(row)


@router.get("/measures/{measure_id}/answers")
def answers(
    measure_id: str, principal: Principal = Depends(_READERS), container: Container = Depends(get_container)
) -> list[dict[str, Any]]:
    """The platform's answers, oldest first (oversight: without the free-text explanation)."""
    with container.transaction() as session:
        granted = service.measure_access(
            session, clock=container.clock, principal=principal, measure_id=measure_id
        )
        content = granted.grant.sees_content
        return [_answer_json(a, content=content) for a in lifecycle.answers_of(session, measure_id)]


@router.get("/measures/{measure_id}/order")
def order(
    measure_id: str, principal: Principal = Depends(_READERS), container: Container = Depends(get_container)
) -> Response:
    """The latest signed order of the measure (a DSSE envelope; verify it with ``comity verify order``)."""
    with container.transaction() as session:
        granted = service.measure_access(
            session, clock=container.clock, principal=principal, measure_id=measure_id
        )
        service.require_content(granted, "order (it names the target)")
        measure = granted.obj
        if measure.order_envelope is None:
            raise NotFound(f"measure {measure_id} has no order yet")
        return Response(measure.order_envelope, media_type="application/vnd.comity.order+json")

"""Cross-border requests over HTTP. Routes only: every rule lives in the service and the model.

Who may call which step is decided per request (``access``): the route admits officers, judges and
platforms, and the service answers 404 to anyone who may not see the request, 403 to anyone who may see
it but not take that step, 409 with ``allowed_next`` for a step the machine refuses, 422 with the engine's
reasons for a step the policy refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from comity.assistance_requests import drafting, federated, service, steps, views
from comity.assistance_requests.schemas import (
    GroundsRaise,
    NonExecution,
    Note,
    ProductionConfirm,
    RequestCreate,
    RequestDetail,
    RequestPage,
)
from comity.cases.pages import page_principal, to_login
from comity.errors import ComityError
from comity.identity.principal import Principal
from comity.keys.keystore import Keystore
from comity.kinds import Role
from comity.web.container import Container
from comity.web.deps import get_container, public, require
from comity.web.templating import templates

router = APIRouter(tags=["requests"])
pages = APIRouter(dependencies=[Depends(public)])

_OFFICERS = require(Role.OFFICER)
_VALIDATING = require(Role.JUDGE, Role.OFFICER)
_ANY_PARTY = require(Role.OFFICER, Role.JUDGE, Role.PLATFORM)


def _run(
    container: Container, principal: Principal, request_id: str, fn: Callable[..., Any], **kwargs: Any
) -> RequestDetail:
    with container.transaction() as session:
        # Steps on a federated request are sent to the peer, signed with this node's key.
        federated.bind_node(
            session,
            keystore=kwargs.get("keystore") or Keystore.for_settings(container.settings),
            node=container.settings.node_jurisdiction,
        )
        fn(session, clock=container.clock, principal=principal, request_id=request_id, **kwargs)
        request = service.get_request(session, request_id)
        return views.detail(session, request, now=container.clock.now())


@router.post("/cases/{case_id}/requests", response_model=RequestDetail, status_code=201)
def create_request(
    case_id: str,
    body: RequestCreate,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Draft a cross-border request in a case (the engine is asked at once)."""
    with container.transaction() as session:
        request = drafting.create_request(
            session, clock=container.clock, principal=principal, case_id=case_id, data=body
        )
        return views.detail(session, request, now=container.clock.now())


@router.get("/requests", response_model=RequestPage)
def list_requests(
    principal: Principal = Depends(_ANY_PARTY), container: Container = Depends(get_container)
) -> RequestPage:
    """Requests you may see: your cases', those sent to your state or organisation, those to validate."""
    with container.transaction() as session:
        rows = service.list_requests(session, principal=principal, at=container.clock.now())
        return RequestPage(items=[views.summary(r) for r in rows])


@router.get("/requests/{request_id}", response_model=RequestDetail)
def show_request(
    request_id: str, principal: Principal = Depends(_ANY_PARTY), container: Container = Depends(get_container)
) -> RequestDetail:
    """A request with its steps, decisions, deadlines and the actions open now."""
    with container.transaction() as session:
        now = container.clock.now()
        request = service.get_visible(session, principal=principal, request_id=request_id, at=now)
        return views.detail(session, request, now=now)


@router.post("/requests/{request_id}/submit", response_model=RequestDetail)
def submit(
    request_id: str,
    body: Note,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Submit the draft for validation."""
    return _run(container, principal, request_id, steps.submit, note=body.note)


@router.post("/requests/{request_id}/validate", response_model=RequestDetail)
def validate(
    request_id: str,
    principal: Principal = Depends(_VALIDATING),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Validate (judge or prosecutor of the issuing state; the engine decides if that suffices)."""
    return _run(container, principal, request_id, steps.validate)


@router.post("/requests/{request_id}/reject-validation", response_model=RequestDetail)
def reject_validation(
    request_id: str,
    body: Note,
    principal: Principal = Depends(_VALIDATING),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Refuse to validate; the request returns to draft."""
    return _run(container, principal, request_id, steps.reject_validation, note=body.note)


@router.post("/requests/{request_id}/issue", response_model=RequestDetail)
def issue(
    request_id: str, principal: Principal = Depends(_OFFICERS), container: Container = Depends(get_container)
) -> RequestDetail:
    """Issue without separate validation (competent issuer, or emergency)."""
    return _run(container, principal, request_id, steps.issue)


@router.post("/requests/{request_id}/transmit", response_model=RequestDetail)
def transmit(
    request_id: str, principal: Principal = Depends(_OFFICERS), container: Container = Depends(get_container)
) -> RequestDetail:
    """Send the request, signed and minimised, to the executing jurisdiction."""
    keystore = Keystore.for_settings(container.settings)
    return _run(container, principal, request_id, steps.transmit, keystore=keystore)


@router.post("/requests/{request_id}/accept", response_model=RequestDetail)
def accept(
    request_id: str, principal: Principal = Depends(_OFFICERS), container: Container = Depends(get_container)
) -> RequestDetail:
    """Executing state: no grounds for refusal (or recognition)."""
    return _run(container, principal, request_id, steps.accept)


@router.post("/requests/{request_id}/grounds", response_model=RequestDetail)
def raise_grounds(
    request_id: str,
    body: GroundsRaise,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Executing state: raise grounds for refusal, full or partial."""
    return _run(
        container,
        principal,
        request_id,
        steps.raise_grounds,
        grounds=body.grounds,
        partial=body.partial,
        note=body.note,
    )


@router.post("/requests/{request_id}/ask-clarification", response_model=RequestDetail)
def ask_clarification(
    request_id: str,
    body: Note,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Executing state: ask the issuing authority for more information."""
    return _run(container, principal, request_id, steps.ask_clarification, note=body.note)


@router.post("/requests/{request_id}/clarify", response_model=RequestDetail)
def clarify(
    request_id: str,
    body: Note,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Issuing side: answer the clarification."""
    return _run(container, principal, request_id, steps.clarify, note=body.note)


@router.post("/requests/{request_id}/preserved", response_model=RequestDetail)
def confirm_preserved(
    request_id: str, principal: Principal = Depends(_ANY_PARTY), container: Container = Depends(get_container)
) -> RequestDetail:
    """Addressee: the data are preserved."""
    return _run(container, principal, request_id, steps.confirm_preserved)


@router.post("/requests/{request_id}/delivered", response_model=RequestDetail)
def deliver(
    request_id: str,
    body: Note,
    principal: Principal = Depends(_ANY_PARTY),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Addressee: the data were handed over (or the measure executed)."""
    return _run(container, principal, request_id, steps.deliver, note=body.note)


@router.post("/requests/{request_id}/not-executed", response_model=RequestDetail)
def not_executed(
    request_id: str,
    body: NonExecution,
    principal: Principal = Depends(_ANY_PARTY),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Addressee: cannot execute, for Annex III reasons."""
    return _run(container, principal, request_id, steps.not_executed, reasons=body.reasons, note=body.note)


@router.post("/requests/{request_id}/extend", response_model=RequestDetail)
def extend(
    request_id: str, principal: Principal = Depends(_OFFICERS), container: Container = Depends(get_container)
) -> RequestDetail:
    """Extend a preservation by 30 days, once."""
    return _run(container, principal, request_id, steps.extend)


@router.post("/requests/{request_id}/confirm-production", response_model=RequestDetail)
def confirm_production(
    request_id: str,
    body: ProductionConfirm,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """A subsequent production request was issued: preserve until it is executed."""
    return _run(
        container,
        principal,
        request_id,
        steps.confirm_production,
        production_request_id=body.production_request_id,
    )


@router.post("/requests/{request_id}/withdraw", response_model=RequestDetail)
def withdraw(
    request_id: str,
    body: Note,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> RequestDetail:
    """Withdraw the request."""
    return _run(container, principal, request_id, steps.withdraw, note=body.note)


@router.post("/requests/{request_id}/close", response_model=RequestDetail)
def close(
    request_id: str, principal: Principal = Depends(_OFFICERS), container: Container = Depends(get_container)
) -> RequestDetail:
    """Close a request that has run its course."""
    return _run(container, principal, request_id, steps.close)


@pages.get("/requests/{request_id}", response_class=HTMLResponse, response_model=None)
def request_page(
    request_id: str, request: Request, container: Container = Depends(get_container)
) -> Response:
    """One request: deadlines, the actions open now, every step with the reasons of its decision."""
    principal = page_principal(request, container)
    if principal is None:
        return to_login(request)
    try:
        with container.transaction() as session:
            now = container.clock.now()
            found = service.get_visible(session, principal=principal, request_id=request_id, at=now)
            detail = views.detail(session, found, now=now)
    except ComityError as exc:
        context = {"title": "Not found", "detail": exc.detail}
        return templates.TemplateResponse(request, "cases/missing.html", context, status_code=exc.status)
    title = f"Request {detail.id}"
    return templates.TemplateResponse(request, "requests/show.html", {"title": title, "r": detail})

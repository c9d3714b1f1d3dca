"""The judge's pages: a queue of authorisations, deferral requests and reviews, each decidable on one page.

Pages carry no bearer header: they use the page sign-in of the case pages (``/login`` keeps the API token
in an HttpOnly, SameSite=Strict cookie). Every decision form carries a CSRF token bound to the sign-in and
is refused from another origin (:mod:`comity.web.csrf`). Decisions go through the same services as the API;
the outcome, or the refusal, is a flash message set by the server (:mod:`comity.web.flash`), never a 500
and never text taken from the URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import or_, select

from comity.cases.pages import page_principal
from comity.errors import ComityError
from comity.identity.principal import Principal
from comity.keys.keystore import Keystore
from comity.kinds import Role
from comity.measures import lifecycle, service
from comity.measures.model import Measure, MeasureStatus
from comity.measures.schemas import AuthoriseIn, RenewIn
from comity.web.container import Container
from comity.web.csrf import require_csrf
from comity.web.deps import get_container, public
from comity.web.flash import flash
from comity.web.templating import add_navigation, templates

pages = APIRouter(dependencies=[Depends(public)])

add_navigation("/judges", "Judges", "The judge's queue: authorisations, deferrals and reviews of measures.")

_BEFORE_ISSUE = (
    MeasureStatus.AWAITING_AUTHORISATION.value,
    MeasureStatus.AUTHORISED.value,
    MeasureStatus.ANNOUNCED.value,
)


def _judge(request: Request, container: Container) -> Principal | None:
    principal = page_principal(request, container)
    return principal if principal is not None and principal.role is Role.JUDGE else None


def _login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def queue(session: Any, *, jurisdiction: str) -> dict[str, list[Measure]]:
    """What waits for the judges of ``jurisdiction``: authorisations, deferral requests, reviews."""
    mine = Measure.issuing_jurisdiction == jurisdiction
    return {
        "authorisations": list(
            session.scalars(
                select(Measure)
                .where(mine, Measure.status == MeasureStatus.AWAITING_AUTHORISATION.value)
                .order_by(Measure.created_at)
            )
        ),
        "deferrals": list(
            session.scalars(
                select(Measure)
                .where(
                    mine,
                    Measure.status.in_(_BEFORE_ISSUE[1:]),
                    Measure.notice_deferral_until.is_not(None),
                    Measure.notice_deferral_approved_by.is_(None),
                )
                .order_by(Measure.created_at)
            )
        ),
        "reviews": list(
            session.scalars(
                select(Measure).where(mine, or_(Measure.lapses_at.is_not(None))).order_by(Measure.lapses_at)
            )
        ),
    }


@pages.get("/judges", response_class=HTMLResponse, response_model=None)
def judge_queue(request: Request, container: Container = Depends(get_container)) -> Response:
    """The queue, soonest deadline first."""
    principal = _judge(request, container)
    if principal is None:
        return _login(request)
    with container.transaction() as session:
        items = queue(session, jurisdiction=principal.jurisdiction)
    return templates.TemplateResponse(
        request,
        "judges/queue.html",
        {"title": f"Judge's queue ({principal.jurisdiction})", "now": container.clock.now(), **items},
    )


@pages.get("/judges/measures/{measure_id}", response_class=HTMLResponse, response_model=None)
def judge_measure(
    request: Request,
    measure_id: str,
    container: Container = Depends(get_container),
) -> Response:
    """One measure with everything needed to decide it, and the decisions open now."""
    principal = _judge(request, container)
    if principal is None:
        return _login(request)
    now: datetime = container.clock.now()
    try:
        with container.transaction() as session:
            measure = service.get_measure(
                session, clock=container.clock, principal=principal, measure_id=measure_id
            )
            allowed = service.allowed_actions(measure, now)
            answers = lifecycle.answers_of(session, measure_id)
    except ComityError as exc:
        return templates.TemplateResponse(
            request,
            "judges/missing.html",
            {"title": "Not found", "detail": exc.detail},
            status_code=exc.status,
        )
    return templates.TemplateResponse(
        request,
        "judges/measure.html",
        {
            "title": f"Measure {measure.id}",
            "m": measure,
            "allowed": allowed,
            "answers": answers,
            "now": now,
            "deferral_open": measure.notice_deferral_until is not None
            and measure.notice_deferral_approved_by is None
            and measure.status in _BEFORE_ISSUE,
        },
    )


def _back(request: Request, path: str, text: str, *, error: bool = False) -> RedirectResponse:
    """Back to the measure's page, which shows ``text`` once (a server-set flash, not a query string)."""
    response = RedirectResponse(path, status_code=303)
    flash(response, request, text, path=unquote(path), error=error)  # pages see the decoded path
    return response


@pages.post(
    "/judges/measures/{measure_id}/{action}", response_model=None, dependencies=[Depends(require_csrf)]
)
def judge_decides(
    request: Request,
    measure_id: str,
    action: str,
    note: str = Form(""),
    review_deadline: str = Form(""),
    approve_prior_notice_skip: bool = Form(False),
    approve_notice_deferral: bool = Form(False),
    container: Container = Depends(get_container),
) -> Response:
    """Apply one decision from the measure's page, then show the page again with the outcome."""
    principal = _judge(request, container)
    if principal is None:
        return _login(request)
    keystore = Keystore.for_settings(container.settings)
    back = f"/judges/measures/{quote(measure_id)}"
    try:
        with container.transaction() as session:
            kw: dict[str, Any] = {"clock": container.clock, "principal": principal, "measure_id": measure_id}
            if action == "authorise":
                service.authorise(
                    session,
                    **kw,
                    data=AuthoriseIn(
                        note=note,
                        approve_prior_notice_skip=approve_prior_notice_skip,
                        approve_notice_deferral=approve_notice_deferral,
                    ),
                )
            elif action == "refuse":
                service.refuse(session, **kw, reason=note)
            elif action == "approve-deferral":
                service.approve_notice_deferral(session, **kw, note=note)
            elif action == "confirm":
                lifecycle.confirm(session, **kw, note=note, keystore=keystore)
            elif action == "renew":
                data = RenewIn(review_deadline=datetime.fromisoformat(review_deadline), reason=note)
                lifecycle.renew(session, **kw, data=data, keystore=keystore)
            elif action == "lift":
                lifecycle.lift(session, **kw, reason=note, keystore=keystore)
            else:
                return _back(request, back, "unknown decision", error=True)
    except ComityError as exc:
        if exc.status == 404:  # a measure this judge may not know of: the same page as reading it
            return templates.TemplateResponse(
                request, "judges/missing.html", {"title": "Not found", "detail": exc.detail}, status_code=404
            )
        detail = exc.detail + "".join(f"; {e.path}: {e.message}" for e in getattr(exc, "errors", []))
        return _back(request, back, detail, error=True)
    except ValueError as exc:  # form values that do not parse (a date, an empty reason)
        return _back(request, back, str(exc), error=True)
    return _back(request, back, action.replace("-", " ") + ": done")

"""The officer's pages: sign in with an API token, the cases list, one case with timeline and deadlines.

Pages carry no bearer header, so ``/login`` takes an API token in a form and keeps it in an HttpOnly,
SameSite=Strict cookie (Secure over HTTPS); pages read it, ``/logout`` clears it. Both forms carry a CSRF
token and are refused from another origin (:mod:`comity.web.csrf`); the other pages are read-only GETs.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from comity.assistance_requests import service as requests_service
from comity.assistance_requests import views as request_views
from comity.cases import access, service
from comity.cases.views import case_detail, deadlines, summary, timeline
from comity.errors import ComityError, Unauthenticated
from comity.identity import service as identity
from comity.identity.principal import Principal
from comity.kinds import Role
from comity.web.container import Container
from comity.web.csrf import PRESESSION_COOKIE, SIGN_IN_COOKIE, require_csrf, require_login_csrf
from comity.web.deps import get_container, public
from comity.web.templating import add_navigation, templates

pages = APIRouter(dependencies=[Depends(public)])

COOKIE = SIGN_IN_COOKIE

add_navigation("/cases", "Cases", "Your case files: offences, targets, members, timeline and deadlines.")


def page_principal(request: Request, container: Container) -> Principal | None:
    """The signed-in officer or judge behind the page cookie, if any."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        with container.transaction() as session:
            principal = identity.authenticate(session, token)
    except Unauthenticated:
        return None
    return principal if principal.role in (Role.OFFICER, Role.JUDGE) else None


def _local(path: str) -> str:
    """Only a path on this site may follow a login (no open redirect)."""
    if path.startswith("/") and not path.startswith(("//", "/\\")) and "\\" not in path:
        return path
    return "/cases"


def to_login(request: Request) -> RedirectResponse:
    """Send a signed-out reader to the login form, coming back here after."""
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@pages.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/cases") -> HTMLResponse:
    """A form that takes an API token."""
    target = _local(next)
    return templates.TemplateResponse(
        request, "cases/login.html", {"title": "Sign in", "next": target, "error": None}
    )


@pages.post(
    "/login", response_class=HTMLResponse, response_model=None, dependencies=[Depends(require_login_csrf)]
)
def login(
    request: Request,
    token: str = Form(...),
    next: str = Form("/cases"),
    container: Container = Depends(get_container),
) -> Response:
    """Check the token and keep it in an HttpOnly cookie."""
    target = _local(next)
    try:
        with container.transaction() as session:
            identity.authenticate(session, token)
    except Unauthenticated:
        context = {"title": "Sign in", "next": target, "error": "That token is not valid."}
        return templates.TemplateResponse(request, "cases/login.html", context, status_code=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/login")  # it has served; the next sign-in gets a new one
    return response


@pages.post("/logout", dependencies=[Depends(require_csrf)])
def logout() -> RedirectResponse:
    """Forget the page cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@pages.get("/cases", response_class=HTMLResponse, response_model=None)
def cases_page(request: Request, container: Container = Depends(get_container)) -> Response:
    """The signed-in officer's cases."""
    principal = page_principal(request, container)
    if principal is None:
        return to_login(request)
    with container.transaction() as session:
        rows = [
            summary(session, c)
            for c in service.list_cases(session, principal=principal, at=container.clock.now())
        ]
    return templates.TemplateResponse(
        request, "cases/list.html", {"title": "Cases", "cases": rows, "who": principal.username}
    )


@pages.get("/cases/{case_id}", response_class=HTMLResponse, response_model=None)
def case_page(case_id: str, request: Request, container: Container = Depends(get_container)) -> Response:
    """One case with its timeline and deadlines (404 page unless you may see it)."""
    principal = page_principal(request, container)
    if principal is None:
        return to_login(request)
    try:
        with container.transaction() as session:
            case = access.case_access(session, principal, case_id, at=container.clock.now()).obj
            detail = case_detail(session, case)
            context = {
                "title": detail.title,
                "case": detail,
                "timeline": timeline(session, case_id),
                "deadlines": deadlines(session, case_id),
                "requests": [
                    request_views.summary(r) for r in requests_service.requests_of_case(session, case_id)
                ],
                "now": container.clock.now(),
            }
    except ComityError as exc:
        return templates.TemplateResponse(
            request,
            "cases/missing.html",
            {"title": "Not found", "detail": exc.detail},
            status_code=exc.status,
        )
    return templates.TemplateResponse(request, "cases/show.html", context)

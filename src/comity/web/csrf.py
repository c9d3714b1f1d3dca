"""Cross-site request forgery defence of the page forms: a token bound to the sign-in, and the Origin check.

Pages authenticate with an ambient credential (the ``comity_token`` cookie), so a form posted from another
site would carry it. Every state-changing page route therefore depends on :func:`require_csrf` (or
:func:`require_login_csrf` for the sign-in form), which refuses with a 403 page, before the route runs:

1. a foreign origin: ``Origin`` (or, when a browser sent none, ``Referer``) must be this node's own origin
   (the request's scheme and host) or ``settings.public_origin``; ``Origin: null`` is foreign. When both
   headers are absent the token alone decides (OWASP CSRF Prevention Cheat Sheet, "Verifying origin");
2. a missing or wrong token: ``csrf_token`` must be ``v1.<issued>.<HMAC-SHA-256>`` under the node's web
   secret of (purpose, :func:`sign_in_identity`, issued), compared in constant time, and not older than
   :data:`TOKEN_LIFETIME`. Another user's token, or one from before signing in again with another token,
   does not match.

The sign-in form has no sign-in yet, so it is bound to a random pre-session cookie instead (the
double-submit pattern with a signed token): an attacker's page cannot read or set that cookie, so it cannot
sign a victim into the attacker's account ("login CSRF"), even from a browser that sends neither header.

The JSON API under ``/api/v1`` needs none of this: it reads only the ``Authorization`` header, which a
browser never adds on its own (a test sends the page cookie to every API route and expects 401).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import FastAPI, Form, Request
from fastapi.responses import Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from comity.errors import Forbidden
from comity.web.security import now_seconds, queue_cookie, sign

#: The page sign-in cookie (set by ``/login``); its value is today the user's API token.
SIGN_IN_COOKIE = "comity_token"
#: A random value tying the sign-in form to the browser that loaded it (only sent to /login).
PRESESSION_COOKIE = "comity_presession"
FIELD = "csrf_token"
#: A working day: a form left open overnight must be reloaded, and a token that leaked goes stale.
TOKEN_LIFETIME = timedelta(hours=12)

PURPOSE_FORM = "form"
PURPOSE_LOGIN = "login"
_LABEL = b"comity/csrf/v1"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class CsrfRefused(Forbidden):
    """A page form that did not come from this site's own page (shown as a 403 page, nothing changed)."""

    type_slug = "csrf-refused"
    title = "Form refused"

    def __init__(self, detail: str, *, back: str) -> None:
        super().__init__(detail)
        self.back = back


def sign_in_identity(request: Request) -> bytes | None:
    """The identity of this web sign-in: a hash of the sign-in cookie's credential, or None.

    The one place that says what a CSRF token (and a flash message) is bound to: when server-side
    sessions replace the API token in the cookie, this returns the session's id instead.
    """
    credential = request.cookies.get(SIGN_IN_COOKIE)
    if not credential:
        return None
    return hashlib.sha256(b"comity/sign-in/v1\0" + credential.encode("utf-8")).digest()


def _presession_identity(request: Request) -> bytes | None:
    value = request.cookies.get(PRESESSION_COOKIE) or getattr(request.state, "comity_presession", None)
    if not value:
        return None
    return hashlib.sha256(b"comity/presession/v1\0" + value.encode("utf-8")).digest()


def _identity(request: Request, purpose: str) -> bytes | None:
    return _presession_identity(request) if purpose == PURPOSE_LOGIN else sign_in_identity(request)


def _mac(request: Request, purpose: str, identity: bytes, issued: int) -> str:
    return sign(request, b"\0".join((_LABEL, purpose.encode(), identity, str(issued).encode())))


def issue_token(request: Request, purpose: str = PURPOSE_FORM) -> str:
    """A token for a form shown to this sign-in (or, for the sign-in form, to this pre-session)."""
    if purpose == PURPOSE_LOGIN:
        _ensure_presession(request)
    identity = _identity(request, purpose)
    if identity is None:
        return ""  # nobody signed in: no form of this page can succeed, the route sends them to sign in
    issued = now_seconds(request)
    return f"v1.{issued}.{_mac(request, purpose, identity, issued)}"


def token_is_valid(request: Request, token: str, purpose: str = PURPOSE_FORM) -> bool:
    """Whether ``token`` was issued by this node to this sign-in for ``purpose``, and is still fresh."""
    identity = _identity(request, purpose)
    if len(token) > 100:  # v1.<12 digits>.<43 base64url characters>
        return False
    version, _, rest = token.partition(".")
    issued_text, _, mac = rest.partition(".")
    if identity is None or version != "v1" or not issued_text.isdigit() or len(issued_text) > 12:
        return False
    issued = int(issued_text)
    age = now_seconds(request) - issued
    if not 0 <= age <= TOKEN_LIFETIME.total_seconds():
        return False
    return hmac.compare_digest(mac.encode(), _mac(request, purpose, identity, issued).encode())


def _ensure_presession(request: Request) -> None:
    """Give a browser without a pre-session cookie a new one (set on the response by the middleware)."""
    if request.cookies.get(PRESESSION_COOKIE) or getattr(request.state, "comity_presession", None):
        return
    value = secrets.token_urlsafe(32)
    request.state.comity_presession = value
    secure = "; Secure" if request.url.scheme == "https" else ""
    max_age = int(TOKEN_LIFETIME.total_seconds())
    cookie = f"{PRESESSION_COOKIE}={value}; Max-Age={max_age}; Path=/login; HttpOnly; SameSite=Strict"
    queue_cookie(request, cookie + secure)


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` in lower case, without the scheme's default port."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    shown = "" if port in (None, _DEFAULT_PORTS[parts.scheme]) else f":{port}"
    return f"{parts.scheme}://{host}{shown}"


def own_origins(request: Request) -> set[str]:
    """The origins whose pages may post to this node: its own as requested, and the configured public one."""
    found = {_origin(f"{request.url.scheme}://{request.url.netloc}")}
    public = request.app.state.container.settings.public_origin
    if public:
        found.add(_origin(public))
    return {o for o in found if o is not None}


def origin_is_foreign(request: Request) -> bool:
    """Whether ``Origin`` (else ``Referer``) names another site; not when it is ours or both are absent."""
    claimed = request.headers.get("origin")
    if claimed is None:
        referer = request.headers.get("referer")
        if referer is None:
            return False
        claimed = referer
    return _origin(claimed) not in own_origins(request)


def _way_back(request: Request) -> str:
    """The page a refused form most likely came from: the sign-in page, or the action's parent page."""
    path = request.url.path
    if path == "/login":
        return "/login"
    parent = path.rsplit("/", 1)[0]
    return parent or "/"


def _check(request: Request, token: str, purpose: str) -> None:
    back = _way_back(request)
    if origin_is_foreign(request):
        raise CsrfRefused("This form was sent from another site; nothing was changed.", back=back)
    if not token_is_valid(request, token, purpose):
        raise CsrfRefused(
            "This form has expired or was not issued to your sign-in; nothing was changed. "
            "Go back, reload the page and try again.",
            back=back,
        )


async def require_csrf(request: Request, csrf_token: str = Form("")) -> None:
    """Dependency of every state-changing page route of a signed-in user (403 page unless it is genuine)."""
    _check(request, csrf_token, PURPOSE_FORM)


async def require_login_csrf(request: Request, csrf_token: str = Form("")) -> None:
    """Dependency of the sign-in form: same origin, and a token bound to the browser's pre-session."""
    _check(request, csrf_token, PURPOSE_LOGIN)


require_csrf.comity_csrf = True  # type: ignore[attr-defined]
require_login_csrf.comity_csrf = True  # type: ignore[attr-defined]


@pass_context
def csrf_field(context: Context, purpose: str = PURPOSE_FORM) -> Markup:
    """The hidden form field every POST form of a template includes: ``{{ csrf_field() }}``."""
    token = issue_token(context["request"], purpose)
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token)


def install(app: FastAPI) -> None:
    """Show a refused form as a 403 page with a way back (not problem+json: a person sent it)."""

    # Imported here: the templates' environment imports this module for its csrf_field global.
    from comity.web.templating import templates

    @app.exception_handler(CsrfRefused)
    async def _refused(request: Request, exc: CsrfRefused) -> Response:
        context = {"title": exc.title, "detail": exc.detail, "back": exc.back}
        return templates.TemplateResponse(request, "error.html", context, status_code=exc.status)

"""Flash messages: the outcome of a form, shown once on the page it redirects to, set by the server only.

A message never travels in the URL (a crafted link could otherwise show any text, such as a fake "lifted by
the Supreme Court"). The route that handled the form sets a short-lived cookie ``comity_flash``:
``v1.<base64url JSON>.<HMAC-SHA-256>`` under the node's web secret, bound to the sign-in
(:func:`comity.web.csrf.sign_in_identity`) and to the one page path it is for; HttpOnly, SameSite=Strict,
60 seconds. The base layout shows it through :func:`flash_message`, which also has it deleted (consumed on
read); a cookie that does not verify is deleted unread.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from comity.web.csrf import sign_in_identity
from comity.web.security import b64url, now_seconds, queue_cookie, sign

FLASH_COOKIE = "comity_flash"
FLASH_LIFETIME = timedelta(seconds=60)
MAX_TEXT = 500
_LABEL = b"comity/flash/v1"


@dataclass(frozen=True)
class Flash:
    """One message: its text and whether it reports an error."""

    text: str
    error: bool


def _mac(request: Request, body: str) -> str:
    return sign(request, b"\0".join((_LABEL, sign_in_identity(request) or b"", body.encode())))


def flash(response: Response, request: Request, text: str, *, path: str, error: bool = False) -> None:
    """Have the page at ``path`` show ``text`` once (the next time this sign-in opens it, within a minute)."""
    expires = now_seconds(request) + int(FLASH_LIFETIME.total_seconds())
    payload = {"t": text[:MAX_TEXT], "e": error, "p": path, "x": expires}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
    body = b64url(raw)
    response.set_cookie(
        FLASH_COOKIE,
        f"v1.{body}.{_mac(request, body)}",
        max_age=int(FLASH_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _read(request: Request, value: str) -> tuple[Flash, str] | None:
    """The message in a flash cookie and the path it is for, if this node set it for this sign-in."""
    version, _, rest = value.partition(".")
    body, _, mac = rest.partition(".")
    if version != "v1" or not hmac.compare_digest(mac.encode(), _mac(request, body).encode()):
        return None
    try:
        payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        return None
    if int(payload.get("x", 0)) < now_seconds(request):
        return None
    return Flash(text=str(payload.get("t", "")), error=bool(payload.get("e"))), str(payload.get("p", ""))


def take(request: Request) -> Flash | None:
    """The message for this page, if any; the cookie is then deleted with the response (read once)."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    found = _read(request, value)
    if found is not None and found[1] != request.url.path:
        return None  # for another page: left for it
    secure = "; Secure" if request.url.scheme == "https" else ""
    queue_cookie(request, f'{FLASH_COOKIE}=""; Max-Age=0; Path=/; HttpOnly; SameSite=Strict{secure}')
    return found[0] if found else None


@pass_context
def flash_message(context: Context) -> Markup:
    """The page's flash message as a status (or alert) paragraph, or nothing: ``{{ flash_message() }}``."""
    message = take(context["request"])
    if message is None:
        return Markup("")
    if message.error:
        return Markup('<p class="bad" role="alert">{}</p>').format(message.text)
    return Markup('<p class="ok" role="status">{}</p>').format(message.text)

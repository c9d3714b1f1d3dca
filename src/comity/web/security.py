"""Browser-facing hardening of every response: security headers, the node's web secret, queued cookies.

Every response (pages, API, static files, docs, error answers, even a 500 or a 413 produced outside the
routers) carries the same headers, because :class:`HardenedFastAPI` wraps the whole middleware stack:

- ``Content-Security-Policy``: only this origin's scripts, styles, images (and ``data:`` images, which
  Swagger UI's stylesheet uses for its icons), no plugins, no ``<base>``, forms post only here, and no
  framing. There is no ``'unsafe-inline'`` nor ``'unsafe-eval'``: templates carry no inline script, style
  block or ``style=`` attribute (a test loads every page in chromium and fails on any CSP violation).
- ``X-Frame-Options: DENY`` for browsers that predate ``frame-ancestors`` (clickjacking).
- ``X-Content-Type-Options: nosniff``: a JSON or text answer is never run as a script or a page.
- ``Referrer-Policy: same-origin``: URLs of this site name cases and measures, so no referrer leaves it;
  unlike ``no-referrer`` this keeps the ``Origin`` of our own form posts (the Fetch standard sends
  ``Origin: null`` on every POST under ``no-referrer``), which :mod:`comity.web.csrf` checks.
- ``Strict-Transport-Security`` only on a request that came over HTTPS (RFC 6797 §7.2: not over HTTP).

The web secret keys the HMACs of CSRF tokens and flash cookies; it is node-local, generated once.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from comity.config import Settings
from comity.errors import ConfigurationError

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
#: One year, the minimum the HSTS preload list accepts; no includeSubDomains: a node does not own them.
HSTS = "max-age=31536000"
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
_OURS = {name for name, _ in HEADERS} | {b"strict-transport-security"}

WEB_SECRET_FILE = "web-secret.key"  # noqa: S105 (the file's name, not a secret)
_SECRET_BYTES = 32  # HMAC-SHA-256 key (RFC 2104 §3: at least the output length)
_QUEUE = "comity_set_cookies"


class SecurityHeadersMiddleware:
    """Pure ASGI middleware: adds :data:`HEADERS` (and HSTS over HTTPS) and the queued cookies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Request.state lives in scope["state"]; make sure it exists so pages and this middleware share it.
        state: dict[str, Any] = scope.setdefault("state", {})
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OURS]
                headers.extend(HEADERS)
                if https:
                    headers.append((b"strict-transport-security", HSTS.encode()))
                headers.extend((b"set-cookie", c.encode("latin-1")) for c in state.pop(_QUEUE, []))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HardenedFastAPI(FastAPI):
    """FastAPI whose outermost layer is :class:`SecurityHeadersMiddleware`.

    ``add_middleware`` would put it inside Starlette's error middleware, so a 500 (or a body-limit 413)
    would go out without the headers; wrapping the built stack covers every response.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def queue_cookie(request: Request, set_cookie: str) -> None:
    """Have the response to ``request`` carry ``Set-Cookie: set_cookie``.

    For cookies decided while a template renders (a pre-session for the sign-in form, a flash consumed by
    the page), when the route's response object is not at hand.
    """
    queued: list[str] = request.scope.setdefault("state", {}).setdefault(_QUEUE, [])
    queued.append(set_cookie)


def web_secret(request: Request) -> bytes:
    """The node's web secret (cached on the app), created on first use under ``settings.home``."""
    cached: bytes | None = getattr(request.app.state, "web_secret", None)
    if cached is None:
        cached = load_web_secret(request.app.state.container.settings)
        request.app.state.web_secret = cached
    return cached


def sign(request: Request, message: bytes) -> str:
    """HMAC-SHA-256 of ``message`` under the node's web secret, base64url without padding."""
    return b64url(hmac.new(web_secret(request), message, hashlib.sha256).digest())


def b64url(data: bytes) -> str:
    """``data`` in unpadded base64url (RFC 4648 §5), safe in cookies and form fields."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def now_seconds(request: Request) -> int:
    """The node clock's current time in whole Unix seconds (the container's clock, fixed in tests)."""
    return int(request.app.state.container.clock.now().timestamp())


def load_web_secret(settings: Settings) -> bytes:
    """Read ``<home>/web-secret.key``, generating 32 random bytes (mode 0600) if absent.

    A separate file rather than a key derived from the keystore: the keystore may need a passphrase and
    Argon2id to open, which pages must not wait for; deleting the file only invalidates open forms and
    pending flash messages. Like the keystore, a file others can read is refused.
    """
    path = Path(settings.home) / WEB_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(_SECRET_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            # Another process may have created it meanwhile: then both use the one on disk.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(f"{path} is readable by other users (mode {mode:o}); run: chmod 600 {path}")
    secret = path.read_bytes()
    if len(secret) != _SECRET_BYTES:
        raise ConfigurationError(f"{path} is not a {_SECRET_BYTES}-byte secret")
    return secret

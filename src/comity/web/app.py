"""The FastAPI app factory: JSON API under /api/v1, OpenAPI, health, and server-rendered pages."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from comity import __version__
from comity.clock import Clock
from comity.config import Settings
from comity.web import csrf, problems
from comity.web.container import Container
from comity.web.ratelimit import TokenBucketLimiter
from comity.web.security import HardenedFastAPI
from comity.web.templating import STATIC_DIR, templates

API_PREFIX = "/api/v1"
access_log = logging.getLogger("comity.http")

#: Feature modules that expose ``router`` (JSON API, mounted under /api/v1) and/or ``pages`` (HTML).
FEATURE_MODULES: tuple[str, ...] = (
    "comity.identity.api",
    "comity.alerts.api",
    "comity.audit.api",
    "comity.vocabulary.api",
    "comity.agreements.api",
    "comity.policy.api",
    "comity.keys.api",
    "comity.translog.api",
    "comity.cases.api",
    "comity.assistance_requests.api",
    "comity.custody.api",
    "comity.measures.api",
    "comity.notices.api",
    "comity.federation.api",
    "comity.web.docs",
)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, container: Container | None = None
) -> FastAPI:
    """Build the app for one node. Tests pass their own container (database, clock)."""
    container = container or Container.from_settings(settings or Settings(), clock=clock)
    # Security headers on every response (comity.web.security); /docs is our own page (comity.web.docs).
    app = HardenedFastAPI(
        title="Comity node",
        version=__version__,
        description="Cross-jurisdictional cooperation against illegal online marketplaces, with due process.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = container
    app.state.inbox_limiter = TokenBucketLimiter(
        rate=container.settings.inbox_rate_per_s, burst=container.settings.inbox_burst
    )
    problems.install(app)
    csrf.install(app)

    @app.middleware("http")
    async def log_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # One structured line per request: method, path, status, duration (never bodies or tokens).
        started = time.perf_counter()
        response = await call_next(request)
        access_log.info(
            "%s %s %s",
            request.method,
            request.url.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/healthz", tags=["public"])
    def healthz() -> dict[str, str]:
        with container.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "home.html",
            {"title": "Comity node", "jurisdiction": container.settings.node_jurisdiction},
        )

    for name in FEATURE_MODULES:
        module = importlib.import_module(name)
        router: APIRouter | None = getattr(module, "router", None)
        pages: APIRouter | None = getattr(module, "pages", None)
        if router is not None:
            app.include_router(router, prefix=API_PREFIX)
        if pages is not None:
            app.include_router(pages, include_in_schema=False)
    return app

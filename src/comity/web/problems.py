"""The one place where errors become HTTP responses: RFC 9457 problem+json."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from comity.errors import ComityError, InvalidInput

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://comity.example/problems/"
log = logging.getLogger("comity.web")


def problem(
    status: int, title: str, detail: str, slug: str, instance: str, **extensions: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    body.update(extensions)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 429 and "retry_after" in extensions:  # RFC 9110 §10.2.3: whole seconds
        headers = {"Retry-After": str(max(1, math.ceil(float(extensions["retry_after"]))))}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        where = parts[0]
        rest = ".".join(parts[1:])
        return f"{where}.{rest}" if rest else where
    return ".".join(parts)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(ComityError)
    async def _comity(request: Request, exc: ComityError) -> JSONResponse:
        ext = dict(exc.extensions)
        if isinstance(exc, InvalidInput):
            ext["errors"] = [e.as_dict() for e in exc.errors]
        return problem(exc.status, exc.title, exc.detail, exc.type_slug, request.url.path, **ext)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"path": _location(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()]
        fields = ", ".join(e["path"] for e in errors)
        return problem(
            422,
            "Invalid input",
            f"invalid fields: {fields}",
            "invalid-input",
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, str(exc.detail), str(exc.detail), slug, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(
            500,
            "Internal error",
            "an unexpected error occurred; it has been logged",
            "internal-error",
            request.url.path,
        )

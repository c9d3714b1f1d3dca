"""The interactive API documentation at ``/docs``: Swagger UI served from this node, never a CDN.

FastAPI's own ``get_swagger_ui_html`` loads Swagger UI from a CDN and starts it with an inline script,
which a node on a closed network cannot fetch and the Content-Security-Policy forbids. This page loads the
copy vendored from the npm registry (``static/vendor/swagger-ui``, see its README) and starts it with
``static/swagger-init.js``. ReDoc is not served: its bundle injects ``<style>`` elements, which the policy
also forbids, and Swagger UI documents the same OpenAPI description.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from comity.web.deps import public
from comity.web.templating import templates

pages = APIRouter(dependencies=[Depends(public)])


@pages.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``."""
    return templates.TemplateResponse(request, "docs.html", {"title": "API documentation"})

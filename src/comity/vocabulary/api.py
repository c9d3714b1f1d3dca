"""Open data of the shared vocabulary: the offence taxonomy, the jurisdiction profiles, and the published
JSON Schemas every governed document is validated against. Everything here is public."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from comity.agreements.service import current_context
from comity.errors import NotFound
from comity.vocabulary.documents import load_schema
from comity.vocabulary.schemas import JurisdictionRead, JurisdictionSummary, OffenceRead
from comity.web.container import Container
from comity.web.deps import get_container, public
from comity.web.templating import add_navigation, templates

router = APIRouter(tags=["vocabulary"])
pages = APIRouter()

#: Published schemas by name: (package, file).
SCHEMAS: dict[str, tuple[str, str]] = {
    "taxonomy": ("comity.vocabulary", "taxonomy.schema.json"),
    "jurisdiction": ("comity.vocabulary", "jurisdiction.schema.json"),
    "agreement": ("comity.agreements", "agreement.schema.json"),
}


@router.get("/offences", response_model=list[OffenceRead], dependencies=[Depends(public)])
def list_offences(container: Container = Depends(get_container)) -> list[OffenceRead]:
    """The offence taxonomy in effect on this node (the oversight-approved version)."""
    with container.transaction() as session:
        offences = current_context(session).offences
    return [OffenceRead.of(o) for o in offences.values()]


@router.get("/jurisdictions", response_model=list[JurisdictionSummary], dependencies=[Depends(public)])
def list_jurisdictions(container: Container = Depends(get_container)) -> list[JurisdictionSummary]:
    """The jurisdiction profiles in effect on this node."""
    with container.transaction() as session:
        profiles = current_context(session).jurisdictions
    return [JurisdictionSummary.of(p) for _, p in sorted(profiles.items())]


@router.get("/jurisdictions/{code}", response_model=JurisdictionRead, dependencies=[Depends(public)])
def get_jurisdiction(code: str, container: Container = Depends(get_container)) -> JurisdictionRead:
    """One jurisdiction profile with its statutes, or 404."""
    with container.transaction() as session:
        profile = current_context(session).jurisdictions.get(code.upper())
    if profile is None:
        raise NotFound(f"no jurisdiction profile {code!r} in effect", code=code)
    return JurisdictionRead.full(profile)


@router.get("/schemas/{name}", dependencies=[Depends(public)])
def get_schema(name: str) -> dict[str, Any]:
    """A published JSON Schema (draft 2020-12): ``taxonomy``, ``jurisdiction`` or ``agreement``."""
    found = SCHEMAS.get(name.removesuffix(".schema.json"))
    if found is None:
        raise NotFound(f"no schema {name!r}; published: {', '.join(sorted(SCHEMAS))}")
    return load_schema(*found)


# --- pages ------------------------------------------------------------------------------------------------


@pages.get("/offences", response_class=HTMLResponse, dependencies=[Depends(public)])
def offences_page(request: Request, container: Container = Depends(get_container)) -> HTMLResponse:
    """The offence taxonomy, readable."""
    with container.transaction() as session:
        offences = list(current_context(session).offences.values())
    return templates.TemplateResponse(
        request, "vocabulary/offences.html", {"title": "Offence taxonomy", "offences": offences}
    )


@pages.get("/jurisdictions", response_class=HTMLResponse, dependencies=[Depends(public)])
def jurisdictions_page(request: Request, container: Container = Depends(get_container)) -> HTMLResponse:
    """The jurisdictions this node knows, readable."""
    with container.transaction() as session:
        profiles = [p for _, p in sorted(current_context(session).jurisdictions.items())]
    return templates.TemplateResponse(
        request, "vocabulary/jurisdictions.html", {"title": "Jurisdictions", "profiles": profiles}
    )


@pages.get("/jurisdictions/{code}", response_class=HTMLResponse, dependencies=[Depends(public)])
def jurisdiction_page(
    code: str, request: Request, container: Container = Depends(get_container)
) -> HTMLResponse:
    """One jurisdiction: time, holidays, challenge period and statutes."""
    with container.transaction() as session:
        context = current_context(session)
    profile = context.jurisdictions.get(code.upper())
    if profile is None:
        raise NotFound(f"no jurisdiction profile {code!r} in effect", code=code)
    return templates.TemplateResponse(
        request,
        "vocabulary/jurisdiction.html",
        {"title": f"{profile.name} ({profile.code})", "profile": profile, "offences": context.offences},
    )


add_navigation("/offences", "Offences")
add_navigation("/jurisdictions", "Jurisdictions")

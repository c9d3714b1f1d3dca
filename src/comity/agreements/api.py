"""Agreements as published: the agreements in effect, each version, and readable pages for the public.

The governance endpoints (proposals, approvals) are mounted here too, since this is the feature module
the app loads for C2.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from comity.agreements import service
from comity.agreements.regimes import DATA_CATEGORY_MEANING, REGIME_BASIS, REGIME_TITLES
from comity.agreements.schemas import AgreementRead, AgreementSummary
from comity.governance import api as governance_api
from comity.kinds import SeverityBand
from comity.web.container import Container
from comity.web.deps import get_container, public
from comity.web.templating import add_navigation, templates

router = APIRouter(tags=["agreements"])
router.include_router(governance_api.router)
pages = APIRouter()
pages.include_router(governance_api.pages)


def _today(container: Container) -> date:
    return container.clock.now().date()


@router.get("/agreements", response_model=list[AgreementSummary], dependencies=[Depends(public)])
def list_agreements(container: Container = Depends(get_container)) -> list[AgreementSummary]:
    """The agreements in effect on this node (latest approved version of each), with days to sunset."""
    today = _today(container)
    with container.transaction() as session:
        agreements = service.list_agreements(session)
    return [AgreementSummary.of(a, today=today) for a in agreements]


@router.get("/agreements/{agreement_id}", response_model=AgreementRead, dependencies=[Depends(public)])
def get_agreement(agreement_id: str, container: Container = Depends(get_container)) -> AgreementRead:
    """The version of one agreement in effect, with the list of its versions."""
    today = _today(container)
    with container.transaction() as session:
        found = service.get_agreement(session, agreement_id)
        return AgreementRead.full(found.agreement, found.row, list(found.versions), today=today)


@router.get(
    "/agreements/{agreement_id}/versions/{version}",
    response_model=AgreementRead,
    dependencies=[Depends(public)],
)
def get_agreement_version(
    agreement_id: str, version: int, container: Container = Depends(get_container)
) -> AgreementRead:
    """One version that is or was in effect (approved or superseded)."""
    today = _today(container)
    with container.transaction() as session:
        agreement, row = service.get_agreement_version(session, agreement_id, version)
        history = service.public_versions(session, agreement_id)
        return AgreementRead.full(agreement, row, list(history), today=today)


# --- pages ------------------------------------------------------------------------------------------------


@pages.get("/agreements", response_class=HTMLResponse, dependencies=[Depends(public)])
def agreements_page(request: Request, container: Container = Depends(get_container)) -> HTMLResponse:
    """Every agreement in effect on this node, with its regime, parties and days to sunset."""
    today = _today(container)
    with container.transaction() as session:
        agreements = service.list_agreements(session)
    return templates.TemplateResponse(
        request,
        "agreements/list.html",
        {
            "title": "Cooperation agreements",
            "agreements": agreements,
            "today": today,
            "regimes": REGIME_TITLES,
        },
    )


@pages.get("/agreements/{agreement_id}", response_class=HTMLResponse, dependencies=[Depends(public)])
def agreement_page(
    agreement_id: str,
    request: Request,
    version: int | None = None,
    container: Container = Depends(get_container),
) -> HTMLResponse:
    """One agreement, readable: parties, scope, measures per band, data, deadlines, notice, oversight."""
    today = _today(container)
    with container.transaction() as session:
        if version is None:
            agreement = service.get_agreement(session, agreement_id).agreement
        else:
            agreement, _row = service.get_agreement_version(session, agreement_id, version)
        history = service.public_versions(session, agreement_id)
        offences = service.current_context(session).offences
    return templates.TemplateResponse(
        request,
        "agreements/detail.html",
        {
            "title": agreement.title,
            "a": agreement,
            "today": today,
            "days_to_sunset": agreement.days_to_sunset(today),
            "in_force": agreement.in_force(today),
            "history": history,
            "offences": offences,
            "bands": list(SeverityBand),
            "regime_title": REGIME_TITLES[agreement.regime],
            "legal_basis": REGIME_BASIS[agreement.regime],
            "meanings": DATA_CATEGORY_MEANING,
        },
    )


add_navigation("/agreements", "Agreements")

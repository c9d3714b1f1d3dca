"""Case files over HTTP: JSON API for officers (and judges, read-only) and the officer's pages.

The pages live in ``comity.cases.pages`` (re-exported here as ``pages`` for the app factory).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from comity.cases import access, service, targets, teams
from comity.cases import holds as _holds  # noqa: F401  (registers the open-case legal-hold source)
from comity.cases.pages import pages
from comity.cases.schemas import (
    CaseCreate,
    CaseDetail,
    CasePage,
    DeadlineEntry,
    MemberAdd,
    OffenceAdd,
    Reason,
    SecondeeAdd,
    TargetAdd,
    TeamCreate,
    TeamExtend,
    TimelineEntry,
)
from comity.cases.views import case_detail, deadlines, matching_key, summary, timeline
from comity.identity.principal import Principal
from comity.kinds import Role
from comity.web.container import Container
from comity.web.deps import get_container, require

__all__ = ["pages", "router"]

router = APIRouter(tags=["cases"])
_READERS = require(Role.OFFICER, Role.JUDGE)
_OFFICERS = require(Role.OFFICER)

# --- JSON API -------------------------------------------------------------------------------------


@router.post("/cases", response_model=CaseDetail, status_code=201)
def open_case(
    body: CaseCreate, principal: Principal = Depends(_OFFICERS), container: Container = Depends(get_container)
) -> CaseDetail:
    """Open a case led by your jurisdiction."""
    with container.transaction() as session:
        case = service.open_case(session, clock=container.clock, principal=principal, data=body)
        return case_detail(session, case)


@router.get("/cases", response_model=CasePage)
def list_cases(
    principal: Principal = Depends(_READERS), container: Container = Depends(get_container)
) -> CasePage:
    """Cases you may see (your memberships in their period; judges: cases submitted to them)."""
    with container.transaction() as session:
        rows = service.list_cases(session, principal=principal, at=container.clock.now())
        return CasePage(items=[summary(session, c) for c in rows])


@router.get("/cases/{case_id}", response_model=CaseDetail)
def show_case(
    case_id: str, principal: Principal = Depends(_READERS), container: Container = Depends(get_container)
) -> CaseDetail:
    """A case file (404 unless you may see it)."""
    with container.transaction() as session:
        case = access.case_access(session, principal, case_id, at=container.clock.now()).obj
        return case_detail(session, case)


@router.get("/cases/{case_id}/timeline", response_model=list[TimelineEntry])
def case_timeline(
    case_id: str, principal: Principal = Depends(_READERS), container: Container = Depends(get_container)
) -> list[TimelineEntry]:
    """The case's history, from the audit trail."""
    with container.transaction() as session:
        access.case_access(session, principal, case_id, at=container.clock.now())
        return timeline(session, case_id)


@router.get("/cases/{case_id}/deadlines", response_model=list[DeadlineEntry])
def case_deadlines(
    case_id: str, principal: Principal = Depends(_READERS), container: Container = Depends(get_container)
) -> list[DeadlineEntry]:
    """Open deadlines of the case's requests."""
    with container.transaction() as session:
        access.case_access(session, principal, case_id, at=container.clock.now())
        return deadlines(session, case_id)


def _edit(container: Container, principal: Principal, case_id: str, fn: Any, **kwargs: Any) -> CaseDetail:
    with container.transaction() as session:
        fn(session, clock=container.clock, principal=principal, case_id=case_id, **kwargs)
        return case_detail(session, service.get_case(session, case_id))


@router.post("/cases/{case_id}/offences", response_model=CaseDetail, status_code=201)
def add_offence(
    case_id: str,
    body: OffenceAdd,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> CaseDetail:
    """Charge an offence (taxonomy code and statute)."""
    return _edit(container, principal, case_id, service.add_offence, data=body)


@router.post("/cases/{case_id}/targets", response_model=CaseDetail, status_code=201)
def add_target(
    case_id: str,
    body: TargetAdd,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> CaseDetail:
    """Add a target (listing, seller account, domain, payment account, wallet)."""
    return _edit(
        container, principal, case_id, targets.add_target, data=body, matching_key=matching_key(container)
    )


@router.post("/cases/{case_id}/members", response_model=CaseDetail, status_code=201)
def add_member(
    case_id: str,
    body: MemberAdd,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> CaseDetail:
    """Add a member of the lead jurisdiction, with role and period."""
    return _edit(container, principal, case_id, teams.add_member, data=body)


@router.post("/cases/{case_id}/teams", response_model=CaseDetail, status_code=201)
def create_team(
    case_id: str,
    body: TeamCreate,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> CaseDetail:
    """Set up a joint investigation team."""
    return _edit(container, principal, case_id, teams.create_team, data=body)


@router.post("/cases/{case_id}/teams/{team_id}/extend", response_model=CaseDetail)
def extend_team(
    case_id: str,
    team_id: str,
    body: TeamExtend,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> CaseDetail:
    """Extend a joint team's period."""
    return _edit(container, principal, case_id, teams.extend_team, team_id=team_id, ends_at=body.ends_at)


@router.post("/cases/{case_id}/teams/{team_id}/secondees", response_model=CaseDetail, status_code=201)
def add_secondee(
    case_id: str,
    team_id: str,
    body: SecondeeAdd,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> CaseDetail:
    """Second an officer of another party, with their confidentiality undertaking."""
    return _edit(container, principal, case_id, teams.add_secondee, team_id=team_id, data=body)


@router.post("/cases/{case_id}/close", response_model=CaseDetail)
def close_case(
    case_id: str,
    body: Reason,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> CaseDetail:
    """Close the case (409 while requests are in flight)."""
    return _edit(container, principal, case_id, service.close_case, reason=body.reason)


@router.post("/cases/{case_id}/reopen", response_model=CaseDetail)
def reopen_case(
    case_id: str,
    body: Reason,
    principal: Principal = Depends(_OFFICERS),
    container: Container = Depends(get_container),
) -> CaseDetail:
    """Reopen a closed case."""
    return _edit(container, principal, case_id, service.reopen_case, reason=body.reason)

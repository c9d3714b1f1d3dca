"""Governance endpoints: administrators propose new versions; oversight approves or rejects them.

Mounted by ``comity.agreements.api`` (the feature module the app loads). The public page lists every
version and its status, without the names of the people involved.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi import status as http_status
from fastapi.responses import HTMLResponse

from comity.governance import service
from comity.governance.model import DocumentKind, DocumentStatus
from comity.governance.schemas import DecisionNote, ProposalCreate, ProposalDetail, ProposalRead
from comity.identity.principal import Principal
from comity.kinds import Role
from comity.web.container import Container
from comity.web.deps import get_container, node_administrator, public, require
from comity.web.templating import add_navigation, templates

router = APIRouter(prefix="/governance", tags=["governance"])
pages = APIRouter()

_administrator = node_administrator
#: Auditors and administrators reach the endpoints; the service admits only those of an oversight body.
_oversight = require(Role.AUDITOR, Role.ADMINISTRATOR)


@router.post("/proposals", response_model=ProposalRead, status_code=http_status.HTTP_201_CREATED)
def propose(
    body: ProposalCreate,
    principal: Principal = Depends(_administrator),
    container: Container = Depends(get_container),
) -> ProposalRead:
    """Propose a new version of the taxonomy, a jurisdiction profile or an agreement (validated first)."""
    source = body.text if body.text is not None else body.content
    assert source is not None  # ProposalCreate requires exactly one
    with container.transaction() as session:
        row = service.propose(
            session, clock=container.clock, actor=principal.actor, kind=body.kind, content=source
        )
        return ProposalRead.of(row)


@router.get("/proposals", response_model=list[ProposalRead])
def list_proposals(
    kind: DocumentKind | None = None,
    key: str | None = None,
    status: DocumentStatus | None = None,
    principal: Principal = Depends(_oversight),
    container: Container = Depends(get_container),
) -> list[ProposalRead]:
    """Versions on record (filter by kind, key, status), for oversight and administrators."""
    with container.transaction() as session:
        rows = service.list_documents(session, kind=kind, key=key, status=status)
        return [ProposalRead.of(row) for row in rows]


@router.get("/proposals/{document_id}", response_model=ProposalDetail)
def get_proposal(
    document_id: str,
    principal: Principal = Depends(_oversight),
    container: Container = Depends(get_container),
) -> ProposalDetail:
    """One version with its content."""
    with container.transaction() as session:
        return ProposalDetail.full(service.get(session, document_id))


@router.post("/proposals/{document_id}/approve", response_model=ProposalRead)
def approve(
    document_id: str,
    body: DecisionNote | None = None,
    principal: Principal = Depends(_oversight),
    container: Container = Depends(get_container),
) -> ProposalRead:
    """Approve a proposal as oversight: it takes effect and supersedes the version before it."""
    with container.transaction() as session:
        row = service.approve(
            session,
            clock=container.clock,
            document_id=document_id,
            approver=principal,
            note=body.note if body else "",
            node_jurisdiction=container.settings.node_jurisdiction,
        )
        return ProposalRead.of(row)


@router.post("/proposals/{document_id}/reject", response_model=ProposalRead)
def reject(
    document_id: str,
    body: DecisionNote,
    principal: Principal = Depends(_oversight),
    container: Container = Depends(get_container),
) -> ProposalRead:
    """Reject a proposal as oversight, stating the reasons; it never takes effect."""
    with container.transaction() as session:
        row = service.reject(
            session,
            clock=container.clock,
            document_id=document_id,
            decider=principal,
            note=body.note,
            node_jurisdiction=container.settings.node_jurisdiction,
        )
        return ProposalRead.of(row)


@pages.get("/governance", response_class=HTMLResponse, dependencies=[Depends(public)])
def governance_page(request: Request, container: Container = Depends(get_container)) -> HTMLResponse:
    """The public record of governed documents: every version and whether oversight approved it."""
    with container.transaction() as session:
        rows = service.list_documents(session)
        entries = [
            {
                "kind": r.kind,
                "key": r.key,
                "version": r.version,
                "status": r.status,
                "proposed_at": r.proposed_at,
                "decided_at": r.decided_at,
                "superseded_at": r.superseded_at,
                "sha": r.content_sha256,
            }
            for r in rows
        ]
    return templates.TemplateResponse(
        request, "governance/documents.html", {"title": "Governance of shared documents", "entries": entries}
    )


add_navigation("/governance", "Governance")

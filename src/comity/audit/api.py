"""The audit trail, for auditors and administrators."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from comity.audit import service
from comity.audit.schemas import AuditEventRead, AuditPage
from comity.identity.principal import Principal
from comity.kinds import Role
from comity.web.container import Container
from comity.web.deps import get_container, require

router = APIRouter(tags=["audit"])


@router.get("/audit/events", response_model=AuditPage)
def list_events(
    after: int = Query(0, ge=0, description="return events with a sequence number above this"),
    limit: int = Query(100, ge=1, le=1000),
    subject_type: str | None = None,
    subject_id: str | None = None,
    principal: Principal = Depends(require(Role.AUDITOR, Role.ADMINISTRATOR)),
    container: Container = Depends(get_container),
) -> AuditPage:
    """A page of the audit trail in order (ids and hashes only, never personal data), for the oversight
    and the node administrators of this node's jurisdiction."""
    with container.transaction() as session:
        service.require_trail_reader(principal, node_jurisdiction=container.settings.node_jurisdiction)
        if subject_type and subject_id:
            rows = list(service.events_for(session, subject_type=subject_type, subject_id=subject_id))
            rows = [r for r in rows if r.seq > after][:limit]
        else:
            rows = list(service.list_events(session, after_seq=after, limit=limit))
        items = [AuditEventRead.model_validate(r) for r in rows]
    return AuditPage(items=items, next_after=items[-1].seq if len(items) == limit else None)

"""Alerts API and page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from comity.alerts import service
from comity.alerts.schemas import AlertPage, AlertRead
from comity.identity.principal import Principal
from comity.web.container import Container
from comity.web.deps import get_container, public, require
from comity.web.templating import add_navigation, templates

router = APIRouter(tags=["alerts"])
pages = APIRouter(dependencies=[Depends(public)])


@router.get("/alerts", response_model=AlertPage)
def list_alerts(
    include_acknowledged: bool = False,
    principal: Principal = Depends(require()),
    container: Container = Depends(get_container),
) -> AlertPage:
    """Alerts the caller's role and jurisdiction should see, newest first."""
    with container.transaction() as session:
        rows = service.list_alerts(session, principal=principal, include_acknowledged=include_acknowledged)
        return AlertPage(items=[AlertRead.model_validate(r) for r in rows])


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge(
    alert_id: str,
    principal: Principal = Depends(require()),
    container: Container = Depends(get_container),
) -> AlertRead:
    """Acknowledge an alert (once)."""
    with container.transaction() as session:
        alert = service.acknowledge(session, clock=container.clock, principal=principal, alert_id=alert_id)
        return AlertRead.model_validate(alert)


add_navigation("/alerts", "Alerts")


@pages.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, container: Container = Depends(get_container)) -> HTMLResponse:
    """Open alerts as counts by kind and severity (content is for signed-in API users)."""
    from sqlalchemy import func, select

    from comity.alerts.model import Alert

    with container.transaction() as session:
        rows = session.execute(
            select(Alert.kind, Alert.severity, Alert.audience, func.count())
            .where(Alert.acknowledged_at.is_(None))
            .group_by(Alert.kind, Alert.severity, Alert.audience)
            .order_by(Alert.kind)
        ).all()
    counts = [{"kind": k, "severity": s, "audience": a, "count": n} for k, s, a, n in rows]
    return templates.TemplateResponse(request, "alerts.html", {"title": "Open alerts", "counts": counts})

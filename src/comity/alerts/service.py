"""Raising, listing and acknowledging alerts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.alerts.model import Alert, AlertAudience, AlertSeverity
from comity.audit import service as audit
from comity.clock import Clock
from comity.errors import IllegalTransition, NotFound
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import Role

#: Which audiences each role reads.
_ROLE_AUDIENCES: dict[Role, frozenset[AlertAudience]] = {
    Role.OFFICER: frozenset({AlertAudience.OFFICERS}),
    Role.JUDGE: frozenset({AlertAudience.JUDGES}),
    Role.PLATFORM: frozenset({AlertAudience.PLATFORMS}),
    Role.AUDITOR: frozenset({AlertAudience.OVERSIGHT}),
    Role.ADMINISTRATOR: frozenset(AlertAudience),
}


def raise_alert(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    kind: str,
    severity: AlertSeverity,
    subject_type: str,
    subject_id: str,
    audience: AlertAudience,
    message: str,
    jurisdiction: str | None = None,
    details: Mapping[str, Any] | None = None,
    dedup_key: str | None = None,
) -> Alert:
    """Raise an alert in the caller's transaction; with ``dedup_key``, an existing one is returned."""
    if dedup_key is not None:
        existing = session.scalar(select(Alert).where(Alert.dedup_key == dedup_key))
        if existing is not None:
            return existing
    alert = Alert(
        id=new_id("alr"),
        kind=kind,
        severity=severity.value,
        subject_type=subject_type,
        subject_id=subject_id,
        audience=audience.value,
        jurisdiction=jurisdiction,
        message=message,
        details=dict(details or {}),
        dedup_key=dedup_key,
        raised_at=clock.now(),
        acknowledged_at=None,
        acknowledged_by=None,
    )
    session.add(alert)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="alerts:alert:raised",
        subject_type="alert",
        subject_id=alert.id,
        details={"kind": kind, "severity": severity.value, "subject": f"{subject_type}:{subject_id}"},
    )
    return alert


def visible_to(principal: Principal) -> tuple[frozenset[AlertAudience], str | None]:
    """The audiences a principal reads, and the jurisdiction it is limited to (None: all)."""
    audiences = _ROLE_AUDIENCES[principal.role]
    return audiences, principal.jurisdiction


def can_see(principal: Principal, alert: Alert) -> bool:
    """Whether ``principal`` is in the alert's audience (and jurisdiction, unless administrator)."""
    audiences, jurisdiction = visible_to(principal)
    if AlertAudience(alert.audience) not in audiences:
        return False
    return principal.role is Role.ADMINISTRATOR or alert.jurisdiction in (None, jurisdiction)


def list_alerts(
    session: Session, *, principal: Principal, include_acknowledged: bool = False, limit: int = 200
) -> Sequence[Alert]:
    """Alerts this principal may see, newest first."""
    audiences, jurisdiction = visible_to(principal)
    stmt = select(Alert).where(Alert.audience.in_([a.value for a in audiences]))
    if principal.role is not Role.ADMINISTRATOR:
        stmt = stmt.where((Alert.jurisdiction.is_(None)) | (Alert.jurisdiction == jurisdiction))
    if not include_acknowledged:
        stmt = stmt.where(Alert.acknowledged_at.is_(None))
    return session.scalars(stmt.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit)).all()


def acknowledge(session: Session, *, clock: Clock, principal: Principal, alert_id: str) -> Alert:
    """Acknowledge an alert the principal can see; acknowledging twice is an illegal transition."""
    alert = session.get(Alert, alert_id)
    if alert is None or not can_see(principal, alert):
        raise NotFound(f"no alert {alert_id!r}")
    if alert.acknowledged_at is not None:
        raise IllegalTransition(f"alert {alert_id}", "acknowledged", "acknowledge", [])
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = principal.actor
    audit.record(
        session,
        clock=clock,
        actor=principal.actor,
        tag="alerts:alert:acknowledged",
        subject_type="alert",
        subject_id=alert.id,
    )
    return alert

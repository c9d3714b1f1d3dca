"""Alerts: raised into one model, listed by audience and jurisdiction, acknowledged once."""

from __future__ import annotations

import pytest

from comity.alerts import service
from comity.alerts.model import AlertAudience, AlertSeverity
from comity.errors import IllegalTransition, NotFound
from comity.identity import service as identity
from comity.identity.principal import SYSTEM_ACTOR
from comity.kinds import Role
from comity.web.container import Container


def _raise(
    container: Container, *, jurisdiction: str | None, audience: AlertAudience, key: str | None = None
):  # type: ignore[no-untyped-def]
    with container.transaction() as session:
        return service.raise_alert(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            kind="coordination_conflict",
            severity=AlertSeverity.WARNING,
            subject_type="case",
            subject_id="case_1",
            audience=audience,
            message="two open cases on one target",
            jurisdiction=jurisdiction,
            dedup_key=key,
        )


def _principal(container: Container, token: str):  # type: ignore[no-untyped-def]
    with container.transaction() as session:
        return identity.authenticate(session, token)


def test_officers_see_their_jurisdictions_alerts_only(container: Container, make_user) -> None:  # type: ignore[no-untyped-def]
    ie = _principal(container, make_user(Role.OFFICER, jurisdiction="IE"))
    de = _principal(container, make_user(Role.OFFICER, jurisdiction="DE"))
    judge = _principal(container, make_user(Role.JUDGE, jurisdiction="IE"))
    _raise(container, jurisdiction="IE", audience=AlertAudience.OFFICERS)
    with container.transaction() as session:
        assert len(service.list_alerts(session, principal=ie)) == 1
        assert service.list_alerts(session, principal=de) == []
        assert service.list_alerts(session, principal=judge) == []


def test_dedup_key_returns_the_open_alert(container: Container) -> None:
    first = _raise(container, jurisdiction="IE", audience=AlertAudience.OFFICERS, key="conflict:case_1")
    again = _raise(container, jurisdiction="IE", audience=AlertAudience.OFFICERS, key="conflict:case_1")
    assert first.id == again.id


def test_acknowledge_once_then_illegal(container: Container, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = _principal(container, make_user(Role.OFFICER, jurisdiction="IE"))
    alert = _raise(container, jurisdiction="IE", audience=AlertAudience.OFFICERS)
    with container.transaction() as session:
        service.acknowledge(session, clock=container.clock, principal=officer, alert_id=alert.id)
    with container.transaction() as session, pytest.raises(IllegalTransition):
        service.acknowledge(session, clock=container.clock, principal=officer, alert_id=alert.id)
    with container.transaction() as session:
        assert service.list_alerts(session, principal=officer) == []
        assert len(service.list_alerts(session, principal=officer, include_acknowledged=True)) == 1


def test_cannot_acknowledge_an_alert_one_cannot_see(container: Container, make_user) -> None:  # type: ignore[no-untyped-def]
    de = _principal(container, make_user(Role.OFFICER, jurisdiction="DE"))
    alert = _raise(container, jurisdiction="IE", audience=AlertAudience.OFFICERS)
    with container.transaction() as session, pytest.raises(NotFound):
        service.acknowledge(session, clock=container.clock, principal=de, alert_id=alert.id)

"""Requests end to end through the services: each procedure's main paths, deadlines, egress and delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from comity.alerts.model import Alert
from comity.assistance_requests import service, steps
from comity.assistance_requests.model import ExecutingGround, NonExecutionReason, RequestStep
from comity.audit.model import AuditEvent
from comity.errors import IllegalTransition, PolicyRefused
from comity.outbox.model import OutboxMessage
from comity.transport.message import digest_of
from comity.worker.jobs import tick
from integration.cases.world import World


def _do(world: World, fn, who: str, request_id: str, **kw):  # type: ignore[no-untyped-def]
    with world.container.transaction() as session:
        return fn(session, clock=world.clock, principal=world.who(who), request_id=request_id, **kw).status


def test_production_of_subscriber_data_police_needs_validation(world: World) -> None:
    case = world.open_case()
    rid = world.draft(case)
    with pytest.raises(PolicyRefused) as refused:
        _do(world, steps.issue, "officer", rid)
    assert any(r["rule"] == "eev.issuer" for r in refused.value.extensions["reasons"])
    assert _do(world, steps.submit, "officer", rid) == "awaiting_validation"
    assert _do(world, steps.validate, "judge", rid) == "issued"
    assert _do(world, steps.transmit, "officer", rid, keystore=world.keystore) == "transmitted"
    with world.container.transaction() as session:
        request = service.get_request(session, rid)
        assert request.due_at is not None
        assert request.due_at > world.clock.now() + timedelta(days=9)
        assert not request.notify_executing_state
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.subject_id == rid))
        assert message is not None
        assert message.destination == "DE"
    report = tick(world.container, only=("outbox",))
    assert report.errors == {}
    with world.container.transaction() as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.subject_id == rid))
        assert message is not None
        assert message.status == "delivered"
        assert [e["kind"] for e in message.evidence["evidence"]] == ["accepted", "delivered"]
    assert _do(world, steps.deliver, "platform", rid) == "delivered"
    assert _do(world, steps.close, "officer", rid) == "closed"
    with world.container.transaction() as session:
        rows = service.steps_of(session, rid)
        assert [s.action for s in rows] == ["create", "submit", "validate", "transmit", "deliver", "close"]
        assert all(s.decision and "allowed" in s.decision for s in rows)
        sent = next(s for s in rows if s.action == "transmit")
        assert sent.details["outbox_id"] == message.id
        assert sent.details["digest"] == digest_of(message.payload)
        assert sent.details["dropped"] == ["subscriber.seller_account"]  # not a field the agreement shares
        events = {e.id for e in session.scalars(select(AuditEvent))}
        assert all(s.audit_event_id in events for s in rows)


def test_content_production_notifies_and_day_10_rule(world: World) -> None:
    case = world.open_case()
    rid = world.draft(case, data_category="content")
    _do(world, steps.submit, "officer", rid)
    _do(world, steps.validate, "judge", rid)
    assert _do(world, steps.transmit, "officer", rid, keystore=world.keystore) == "executing_state_reviewing"
    with pytest.raises(IllegalTransition) as early:
        _do(world, steps.deliver, "platform", rid)
    assert "deliver" not in early.value.extensions["allowed_next"]
    assert _do(world, steps.accept, "de_officer", rid) == "accepted"
    assert _do(world, steps.deliver, "platform", rid) == "delivered"


def test_review_window_passing_lets_the_addressee_deliver(world: World) -> None:
    case = world.open_case()
    rid = world.draft(case, data_category="traffic")
    _do(world, steps.submit, "officer", rid)
    _do(world, steps.validate, "judge", rid)
    _do(world, steps.transmit, "officer", rid, keystore=world.keystore)
    with world.container.transaction() as session:
        ends = service.get_request(session, rid).review_ends_at
    assert ends is not None
    world.clock.set(ends)
    assert _do(world, steps.deliver, "platform", rid) == "delivered"


def test_grounds_partial_then_partial_delivery_full_then_withdraw(world: World) -> None:
    case = world.open_case()
    for partial, follow, who, expected in (
        (True, steps.deliver, "platform", "delivered"),
        (False, steps.withdraw, "officer", "withdrawn"),
    ):
        rid = world.draft(case, data_category="content")
        _do(world, steps.submit, "officer", rid)
        _do(world, steps.validate, "judge", rid)
        _do(world, steps.transmit, "officer", rid, keystore=world.keystore)
        status = _do(
            world,
            steps.raise_grounds,
            "de_officer",
            rid,
            grounds=[ExecutingGround.NE_BIS_IN_IDEM],
            partial=partial,
        )
        assert status == "grounds_raised"
        assert _do(world, follow, who, rid) == expected


def test_emergency_issue_and_overdue_ex_post_validation(world: World) -> None:
    case = world.open_case()
    rid = world.draft(case, emergency=True)
    assert _do(world, steps.issue, "officer", rid) == "issued"
    with world.container.transaction() as session:
        request = service.get_request(session, rid)
        assert request.ex_post_due_at is not None
        # Reg. 1182/71 Art. 3(1): the hour of the event is left out, so 48 hours end 48-49 hours later.
        assert timedelta(hours=48) <= request.ex_post_due_at - world.clock.now() <= timedelta(hours=49)
    _do(world, steps.transmit, "officer", rid, keystore=world.keystore)
    with world.container.transaction() as session:
        due = service.get_request(session, rid).due_at
        assert due is not None
        assert due <= world.clock.now() + timedelta(hours=9)
    world.clock.advance(timedelta(hours=49))
    tick(world.container, only=("assistance_requests",))
    tick(world.container, only=("assistance_requests",))
    with world.container.transaction() as session:
        alerts = session.scalars(select(Alert).where(Alert.kind == "overdue", Alert.subject_id == rid)).all()
        deadlines = sorted({a.details["deadline"] for a in alerts})
        assert deadlines == ["addressee_answer", "ex_post_validation"]
        assert len(alerts) == 4  # two deadlines, both states, once each
        overdue = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "requests:request:overdue")
        ).all()
        assert len(overdue) == 2


def test_preservation_extend_once_then_lapse(world: World) -> None:
    case = world.open_case()
    rid = world.draft(
        case, measure="preservation", data_category="subscriber", addressee_organisation_id=world.platform_org
    )
    _do(world, steps.submit, "officer", rid)
    _do(world, steps.validate, "prosecutor", rid)
    _do(world, steps.transmit, "officer", rid, keystore=world.keystore)
    assert _do(world, steps.confirm_preserved, "platform", rid) == "preserved"
    with world.container.transaction() as session:
        first = service.get_request(session, rid).preservation_ends_at
    assert first is not None
    assert _do(world, steps.extend, "officer", rid) == "extended"
    with world.container.transaction() as session:
        second = service.get_request(session, rid).preservation_ends_at
    # 60 + 30 days run from receipt (Art. 11(1)); the first end had moved past a weekend (Reg. 1182/71).
    assert second is not None
    assert second > first
    assert second >= world.clock.now() + timedelta(days=90)
    with pytest.raises(IllegalTransition):
        _do(world, steps.extend, "officer", rid)
    world.clock.set(second)
    tick(world.container, only=("assistance_requests",))
    with world.container.transaction() as session:
        assert service.get_request(session, rid).status == "lapsed"
        last = session.scalars(
            select(RequestStep).where(RequestStep.request_id == rid).order_by(RequestStep.seq.desc())
        ).first()
        assert last is not None
        assert last.action == "lapse"
        assert last.decision


def test_not_executed_with_annex_iii_reasons(world: World) -> None:
    case = world.open_case()
    rid = world.draft(case)
    _do(world, steps.submit, "officer", rid)
    _do(world, steps.validate, "judge", rid)
    _do(world, steps.transmit, "officer", rid, keystore=world.keystore)
    status = _do(world, steps.not_executed, "platform", rid, reasons=[NonExecutionReason.DATA_NOT_HELD])
    assert status == "not_executed"
    with world.container.transaction() as session:
        assert service.get_request(session, rid).non_execution_reasons == ["data_not_held"]

"""Measures end to end through the service layer: the ladder, prior notice, authorisation, orders."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from sqlalchemy import select

from comity.audit.model import AuditEvent
from comity.measures.model import MeasureStatus
from comity.notices.model import Notice
from comity.outbox.model import OutboxMessage
from integration.measures.world import World


def test_voluntary_request_with_prior_notice_is_issued_and_notified(world: World) -> None:
    m = world.draft()
    m = world.submit(m.id)
    assert m.status == MeasureStatus.AUTHORISED
    assert m.regime == "platform_terms"
    m = world.announce(m.id)
    assert m.status == MeasureStatus.ANNOUNCED
    world.clock.advance(timedelta(days=4))
    m = world.issue(m.id)
    assert m.status == MeasureStatus.ISSUED
    with world.tx() as session:
        kinds = sorted(o.kind for o in session.scalars(select(OutboxMessage)))
        notices = session.scalars(select(Notice).where(Notice.measure_id == m.id)).all()
        tags = [e.tag for e in session.scalars(select(AuditEvent).where(AuditEvent.subject_id == m.id))]
    assert kinds == ["notice.measure_notice", "notice.prior_notice", "order.apply"]
    assert sorted(n.kind for n in notices) == ["measure_notice", "prior_notice"]
    assert "measures:measure:issue" in tags


def test_provisional_order_skips_prior_notice_with_a_judge_and_is_signed_by_both(world: World) -> None:
    m = world.issued_provisional()
    assert m.status == MeasureStatus.ISSUED
    assert m.step == "provisional_order"
    assert m.lapses_at == m.review_deadline
    assert m.regime == "dsa_order"
    assert m.validating_organisation is None  # a provisional order needs no prior validation here
    assert m.order_envelope is not None


def test_lapse_jump_the_clock_run_the_worker_once(world: World) -> None:
    from comity.worker.jobs import tick

    m = world.issued_provisional(review_days=7)
    world.clock.advance(timedelta(days=7, seconds=1))
    report = tick(world.container, only=("measures.lapse",))
    assert report.errors == {}
    assert report.done == {"measures.lapse": 1}
    with world.tx() as session:
        from comity.measures.model import Measure

        row = session.get(Measure, m.id)
        assert row is not None
        assert row.status == MeasureStatus.LAPSED
        assert row.lapses_at is None
        batches = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "order.lift.batch")).all()
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_id == m.id, AuditEvent.tag == "measures:measure:lapse"
            )
        ).all()
    # The platform is told to lift it: a signed lift order, in the sweep's message to that platform.
    assert len(batches) == 1
    assert batches[0].destination == "bazaar-ltd"
    orders = json.loads(batches[0].payload)["orders"]
    lifted = [json.loads(base64.b64decode(o["payload"])) for o in orders]
    assert [(o["measure_id"], o["instruction"]) for o in lifted] == [(m.id, "lift")]
    assert lifted[0]["order_id"] == events[0].details["order_id"]
    assert len(events) == 1
    assert events[0].actor == "system:node"
    assert events[0].details["from"] == "issued"
    assert events[0].details["to"] == "lapsed"
    # A second run finds nothing: lapses happen once.
    assert tick(world.container, only=("measures.lapse",)).done == {"measures.lapse": 0}


def test_an_unanswered_order_raises_one_overdue_alert(world: World) -> None:
    from comity.alerts.model import Alert
    from comity.worker.jobs import tick

    m = world.issued_voluntary()
    assert m.response_due_at is not None  # the agreement's 72 hours, from the policy engine
    world.clock.set(m.response_due_at - timedelta(seconds=1))
    assert tick(world.container, only=("measures.overdue",)).done == {"measures.overdue": 0}
    world.answer(m.id, answer="received")
    world.clock.set(m.response_due_at + timedelta(seconds=1))
    assert tick(world.container, only=("measures.overdue",)).done == {"measures.overdue": 1}
    assert tick(world.container, only=("measures.overdue",)).done == {"measures.overdue": 0}
    with world.tx() as session:
        alerts = session.scalars(select(Alert).where(Alert.kind == "measure_overdue")).all()
    assert [(a.subject_id, a.audience, a.jurisdiction) for a in alerts] == [(m.id, "officers", "IE")]

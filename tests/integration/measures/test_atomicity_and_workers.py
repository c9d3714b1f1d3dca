"""A use case failing half-way leaves nothing behind; two workers at once lapse each measure once."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from comity.audit.model import AuditEvent
from comity.errors import Conflict
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.measures.model import Measure, MeasureStatus
from comity.notices.model import Notice
from comity.outbox.model import OutboxMessage
from comity.worker.jobs import tick
from integration.measures.world import World


def _count(world: World, model: type) -> int:
    with world.tx() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_issue_failing_at_signing_writes_nothing(world: World) -> None:
    m = world.draft(
        kind="removal_order",
        provisional=True,
        urgent=True,
        ends_at=None,
        review_at=(world.clock.now() + timedelta(days=5)).isoformat(),
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="the stock would be moved",
    )
    world.submit(m.id)
    world.authorise(m.id, approve_prior_notice_skip=True)
    with world.tx() as session:
        keys.revoke_key(
            session,
            clock=world.clock,
            actor=SYSTEM_ACTOR,
            keystore=world.keystore,
            keyid=world.keyids["org_ie_police"],
            comment="lost laptop",
        )
    world.clock.advance(timedelta(seconds=1))
    before = [_count(world, t) for t in (Notice, OutboxMessage, AuditEvent)]
    with pytest.raises(Conflict, match="no valid signing key"):
        world.issue(m.id)
    assert [_count(world, t) for t in (Notice, OutboxMessage, AuditEvent)] == before
    with world.tx() as session:
        row = session.get(Measure, m.id)
        assert row is not None
        assert row.status == MeasureStatus.AUTHORISED
        assert row.issued_at is None
        assert row.order_id is None


def test_two_workers_lapse_each_measure_exactly_once(world: World) -> None:
    ids = [world.issued_provisional(review_days=2).id for _ in range(6)]
    world.clock.advance(timedelta(days=2, seconds=1))
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def worker() -> None:
        barrier.wait()
        report = tick(world.container, only=("measures.lapse",))
        errors.extend(report.errors.values())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with world.tx() as session:
        lapses = session.scalars(
            select(AuditEvent.subject_id).where(AuditEvent.tag == "measures:measure:lapse")
        ).all()
        payloads = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "order.lift.batch")
        ).all()
        lifts = [
            json.loads(base64.b64decode(order["payload"]))["measure_id"]
            for payload in payloads
            for order in json.loads(payload)["orders"]
        ]
        statuses = set(session.scalars(select(Measure.status).where(Measure.id.in_(ids))))
    assert sorted(lapses) == sorted(ids)
    assert sorted(lifts) == sorted(ids)
    assert statuses == {"lapsed"}

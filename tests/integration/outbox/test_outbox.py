"""The outbox: queued with the change, delivered at least once, retried with backoff, failures alerted."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from comity.alerts.model import Alert
from comity.audit.model import AuditEvent
from comity.clock import FixedClock
from comity.identity.principal import SYSTEM_ACTOR
from comity.outbox import service
from comity.outbox.model import OutboxMessage, OutboxStatus
from comity.web.container import Container


class Recorder:
    """A deliverer that records what it carried and can be told to fail."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.delivered: list[str] = []
        self.lock = threading.Lock()

    def deliver(self, message: OutboxMessage) -> service.DeliveryResult:
        with self.lock:
            if self.failures > 0:
                self.failures -= 1
                raise service.DeliveryError("peer unreachable")
            self.delivered.append(message.id)
        return service.DeliveryResult(evidence={"receipt": f"ok:{message.id}"})


def _queue(container: Container, n: int = 1, key: str | None = None) -> list[str]:
    ids = []
    with container.transaction() as session:
        for i in range(n):
            message = service.enqueue(
                session,
                clock=container.clock,
                actor=SYSTEM_ACTOR,
                channel="test",
                destination="DE",
                kind="request.transmitted",
                payload=f"m{i}".encode(),
                subject_type="request",
                subject_id=f"req_{i}",
                idempotency_key=key,
            )
            ids.append(message.id)
    return ids


def test_message_written_only_if_the_change_commits(container: Container) -> None:
    with container.transaction() as session:
        before = (
            len(session.scalars(select(OutboxMessage)).all()),
            len(session.scalars(select(AuditEvent)).all()),
        )
    with pytest.raises(RuntimeError), container.transaction() as session:  # noqa: PT012
        service.enqueue(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            channel="test",
            destination="DE",
            kind="k",
            payload=b"x",
            subject_type="request",
            subject_id="req_1",
        )
        raise RuntimeError("the change failed")
    with container.transaction() as session:
        after = (
            len(session.scalars(select(OutboxMessage)).all()),
            len(session.scalars(select(AuditEvent)).all()),
        )
    assert after == before


def test_idempotency_key_queues_once(container: Container) -> None:
    first = _queue(container, key="request:req_1:transmit")
    again = _queue(container, key="request:req_1:transmit")
    assert first == again


def test_delivered_once_with_evidence(container: Container) -> None:
    (message_id,) = _queue(container)
    recorder = Recorder()
    result = service.deliver_due(container.sessions, clock=container.clock, deliverers={"test": recorder})
    assert (result.delivered, recorder.delivered) == (1, [message_id])
    again = service.deliver_due(container.sessions, clock=container.clock, deliverers={"test": recorder})
    assert again.delivered == 0
    with container.transaction() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        assert message.status == OutboxStatus.DELIVERED.value
        assert message.evidence == {"receipt": f"ok:{message_id}"}


def test_retry_after_backoff_then_delivered(container: Container, clock: FixedClock) -> None:
    (message_id,) = _queue(container)
    recorder = Recorder(failures=1)
    assert service.deliver_due(container.sessions, clock=clock, deliverers={"test": recorder}).retried == 1
    # not due again before its backoff has passed
    assert service.deliver_due(container.sessions, clock=clock, deliverers={"test": recorder}).delivered == 0
    clock.advance(service.BACKOFF_CAP + timedelta(seconds=1))
    assert service.deliver_due(container.sessions, clock=clock, deliverers={"test": recorder}).delivered == 1
    assert recorder.delivered == [message_id]


def test_gives_up_after_max_attempts_and_alerts(container: Container, clock: FixedClock) -> None:
    (message_id,) = _queue(container)
    recorder = Recorder(failures=100)
    for _ in range(8):
        service.deliver_due(container.sessions, clock=clock, deliverers={"test": recorder})
        clock.advance(service.BACKOFF_CAP + timedelta(seconds=1))
    with container.transaction() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        assert message.status == OutboxStatus.FAILED.value
        alerts = session.scalars(select(Alert).where(Alert.kind == "delivery_failed")).all()
        assert [a.details["message_id"] for a in alerts] == [message_id]


def test_expired_lease_is_reclaimed(container: Container, clock: FixedClock) -> None:
    (message_id,) = _queue(container)
    with container.transaction() as session:
        assert [m.id for m in service.claim_due(session, now=clock.now())] == [message_id]
    recorder = Recorder()
    # the claiming worker died: nothing is due until the lease expires
    assert service.deliver_due(container.sessions, clock=clock, deliverers={"test": recorder}).delivered == 0
    clock.advance(service.LEASE + timedelta(seconds=1))
    assert service.deliver_due(container.sessions, clock=clock, deliverers={"test": recorder}).delivered == 1


def test_two_workers_never_deliver_twice(container: Container) -> None:
    ids = _queue(container, n=40)
    recorder = Recorder()
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        for _ in range(5):
            service.deliver_due(
                container.sessions, clock=container.clock, deliverers={"test": recorder}, limit=5
            )

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(recorder.delivered) == sorted(ids)


class Refuser:
    """A destination that refuses the message for good."""

    def deliver(self, message: OutboxMessage) -> service.DeliveryResult:
        raise service.PermanentDeliveryError("refused: signature does not verify")


def test_permanent_refusal_fails_at_once_and_alerts(container: Container) -> None:
    (message_id,) = _queue(container)
    result = service.deliver_due(container.sessions, clock=container.clock, deliverers={"test": Refuser()})
    assert (result.failed, result.retried) == (1, 0)
    with container.transaction() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        assert (message.status, message.attempts) == (OutboxStatus.FAILED.value, 1)
        alerts = session.scalars(select(Alert).where(Alert.kind == "delivery_failed")).all()
        assert len(alerts) == 1
        assert "signature does not verify" in alerts[0].message


class BatchRecorder(Recorder):
    """A batching deliverer: records each batch it carried."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def deliver_batch(
        self, messages: list[OutboxMessage]
    ) -> list[service.DeliveryResult | service.DeliveryError]:
        with self.lock:
            self.batches.append([m.id for m in messages])
        return [
            service.DeliveryError("refused")
            if m.payload == b"m1"
            else service.DeliveryResult({"batch": True})
            for m in messages
        ]


def test_a_sweep_limited_to_channels_claims_only_theirs(container: Container) -> None:
    queued = _queue(container, 3)
    with container.transaction() as session:
        other = service.enqueue(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            channel="other",
            destination="x",
            kind="k",
            payload=b"o",
            subject_type="s",
            subject_id="s1",
        ).id
    batching, single = BatchRecorder(), Recorder()
    deliverers: dict[str, service.Deliverer] = {"test": batching, "other": single}
    result = service.deliver_due(
        container.sessions, clock=container.clock, deliverers=deliverers, channels=["test"]
    )
    # The three messages for DE went as one batch; its per-message outcomes were recorded one by one.
    assert batching.batches == [queued]
    assert (result.delivered, result.retried) == (2, 1)
    assert single.delivered == []
    with container.transaction() as session:
        assert session.get(OutboxMessage, other).status == OutboxStatus.PENDING.value  # type: ignore[union-attr]
        statuses = [session.get(OutboxMessage, i).status for i in queued]  # type: ignore[union-attr]
    assert statuses == [
        OutboxStatus.DELIVERED.value,
        OutboxStatus.PENDING.value,
        OutboxStatus.DELIVERED.value,
    ]
    service.deliver_due(container.sessions, clock=container.clock, deliverers=deliverers)
    assert single.delivered == [other]

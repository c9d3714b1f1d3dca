"""The sequencer integrates committed audit events exactly once, and never what rolled back."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from comity.audit import service as audit
from comity.audit.model import AuditEvent
from comity.translog import service as log
from comity.translog.model import EntryRow
from comity.verify import decode_entry, leaf_hash, verify_actor_commitment
from comity.web.container import Container


def test_committed_events_are_integrated_with_a_signed_checkpoint(
    node: Container, record, integrate, base: int
) -> None:
    ids = record(5)
    result = integrate()
    assert (result.integrated, result.tree_size) == (5, base + 5)
    assert result.checkpoint is not None
    assert result.checkpoint.size == base + 5
    with node.transaction() as session:
        for index, event_id in enumerate(ids, start=base):
            entry = log.leaf_for_audit_event(session, event_id)
            assert entry is not None
            assert entry.index == index
            content = decode_entry(entry.data)
            assert content.event_id == event_id
            assert content.index == index
            assert "user_alice" not in entry.data.decode()  # the actor only as a commitment
            salt = log.actor_salt(session, audit_event_id=event_id)
            assert salt is not None
            verify_actor_commitment(entry.data, "user_alice", salt)
            assert entry.leaf_hash == leaf_hash(entry.data)
        log.verify_log(session)
    assert integrate().integrated == 0


def test_a_rolled_back_event_is_never_integrated(node: Container, record, integrate, base: int) -> None:
    record(2)

    def failing_use_case() -> None:
        with node.transaction() as session:
            audit.record(
                session,
                clock=node.clock,
                actor="a",
                tag="tests:thing:lost",
                subject_type="thing",
                subject_id="x",
            )
            session.flush()
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        failing_use_case()
    record(1)
    assert integrate().integrated == 3
    with node.transaction() as session:
        tags = [decode_entry(e.data).tag for e in log.entries(session, start=base, end=base + 10)]
    assert "tests:thing:lost" not in tags
    assert len(tags) == 3


def test_batches_never_skip_or_repeat(node: Container, record, integrate, base: int) -> None:
    record(25)
    sizes = [integrate(limit=10).tree_size - base for _ in range(4)]
    assert sizes == [10, 20, 25, 25]
    with node.transaction() as session:
        seqs = [e.audit_seq for e in log.entries(session, start=0, end=base + 25)]
        assert sorted(seqs) == sorted(session.scalars(select(AuditEvent.seq)).all())
        log.verify_log(session)


def test_an_event_that_commits_after_a_later_one_is_still_integrated(node: Container, integrate) -> None:
    """Sequence values commit out of order: the smaller seq, committed last, must still be integrated.

    On SQLite the second writer waits for the first (one writer at a time), so the order cannot invert;
    the test then checks the plain case. On PostgreSQL both transactions really overlap.
    """

    def add(session, name: str) -> AuditEvent:  # type: ignore[no-untyped-def]
        event = audit.record(
            session,
            clock=node.clock,
            actor="a",
            tag=f"tests:thing:{name}",
            subject_type="thing",
            subject_id=name,
        )
        session.flush()
        return event

    if node.engine.dialect.name != "postgresql":
        with node.transaction() as session:
            add(session, "first")
        with node.transaction() as session:
            add(session, "second")
        assert integrate().integrated == 2
        return
    slow = node.sessions()
    slow.begin()
    early = add(slow, "early")  # draws the smaller seq, commits last
    with node.transaction() as session:
        late = add(session, "late")
    assert early.seq < late.seq
    assert integrate().integrated == 1  # only the committed one
    slow.commit()
    slow.close()
    assert integrate().integrated == 1  # the smaller seq, committed later, is not missed
    with node.transaction() as session:
        assert log.leaf_for_audit_event(session, early.id) is not None
        log.verify_log(session)


def test_two_sequencers_at_once_never_integrate_twice(node: Container, record, signer, base: int) -> None:
    record(40)
    errors: list[BaseException] = []
    results: list[log.IntegrationResult] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # until a pass that held the log found nothing left
                with node.transaction() as session:
                    result = log.integrate_pending(session, clock=node.clock, signer=signer, limit=7)
                results.append(result)
                if not result.skipped and result.integrated == 0:
                    return
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r.integrated for r in results) == 40
    with node.transaction() as session:
        assert session.scalar(select(func.count()).select_from(EntryRow)) == base + 40
        assert session.scalar(select(func.count(func.distinct(EntryRow.audit_seq)))) == base + 40
        log.verify_log(session)

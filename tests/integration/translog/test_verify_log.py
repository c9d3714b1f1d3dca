"""``verify_log`` recomputes the stored log and names the first fault; retention leaves it verifiable."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete, func, select, update

from comity.alerts.model import Alert
from comity.audit.model import AuditEvent
from comity.signing.keys import Ed25519Signer
from comity.translog import service as log
from comity.translog.checkpoints import CheckpointSigner, store_checkpoint
from comity.translog.model import CheckpointRow, EntryRow, NodeRow, StateRow
from comity.translog.tree import node_pos
from comity.verify import LogVerificationError, verify_actor_commitment
from comity.web.container import Container


@pytest.fixture
def grown(node: Container, record, integrate) -> int:  # type: ignore[no-untyped-def]
    record(11)
    integrate()
    record(6)
    return integrate().tree_size


def _fault(node: Container) -> LogVerificationError:
    with pytest.raises(LogVerificationError) as caught, node.transaction() as session:
        log.verify_log(session)
    return caught.value


def test_an_untouched_log_verifies(node: Container, grown: int) -> None:
    with node.transaction() as session:
        log.verify_log(session)
        assert log.current_size(session) == grown


def test_a_changed_interior_node_is_found(node: Container, grown: int) -> None:
    with node.transaction() as session:
        session.execute(update(NodeRow).where(NodeRow.pos == node_pos(2, 1)).values(hash=b"\x00" * 32))
    fault = _fault(node)
    assert fault.code == "leaf_mismatch"
    assert "level 2, index 1" in fault.detail


def test_a_missing_entry_is_found(node: Container, grown: int) -> None:
    with node.transaction() as session:
        session.execute(delete(EntryRow).where(EntryRow.idx == 5))
    fault = _fault(node)
    assert fault.code == "truncated_log"
    assert "entry 5" in fault.detail


def test_an_audit_event_changed_after_integration_is_found(node: Container, grown: int) -> None:
    with node.transaction() as session:
        seq = session.scalar(select(EntryRow.audit_seq).where(EntryRow.idx == 4))
        session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(subject_id="rewritten"))
    fault = _fault(node)
    assert fault.code == "leaf_mismatch"
    assert "entry 4 no longer matches" in fault.detail


def test_a_changed_actor_no_longer_opens_its_commitment(node: Container, grown: int) -> None:
    with node.transaction() as session:
        seq = session.scalar(select(EntryRow.audit_seq).where(EntryRow.idx == 7))
        session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(actor="someone_else"))
    assert "does not open its commitment" in _fault(node).detail


def test_a_wrong_head_is_found(node: Container, grown: int) -> None:
    with node.transaction() as session:
        session.execute(update(StateRow).values(root_hash=b"\x01" * 32))
    assert _fault(node).code == "root_mismatch"


def test_a_checkpoint_signed_by_another_key_is_found(node: Container, grown: int) -> None:
    rogue = CheckpointSigner(origin=log.log_origin(node.settings), signer=Ed25519Signer.generate())
    with node.transaction() as session:
        state = session.get(StateRow, 1)
        assert state is not None
        store_checkpoint(session, clock=node.clock, signer=rogue, size=state.size, root_hash=state.root_hash)
    fault = _fault(node)
    assert fault.code == "no_known_signature"
    assert "registered node key" in fault.detail


def test_a_stored_checkpoint_with_an_edited_note_is_found(node: Container, grown: int) -> None:
    with node.transaction() as session:
        row = session.scalars(select(CheckpointRow).order_by(CheckpointRow.id)).first()
        assert row is not None
        row.note = row.note.replace(f"\n{row.size}\n", f"\n{row.size - 1}\n")
    assert _fault(node).code == "bad_note_signature"


def test_a_fork_at_a_signed_size_raises_the_split_view_alert(node: Container, grown: int, signer) -> None:  # type: ignore[no-untyped-def]
    with node.transaction() as session:
        store_checkpoint(session, clock=node.clock, signer=signer, size=grown, root_hash=b"\x02" * 32)
    with node.transaction() as session:
        alert = session.scalars(select(Alert).where(Alert.kind == "split_view")).one()
        assert (alert.severity, alert.audience) == ("critical", "oversight")
    assert _fault(node).code == "split_view"


def test_an_observed_checkpoint_of_another_root_is_a_split_view(node: Container, grown: int, signer) -> None:  # type: ignore[no-untyped-def]
    from comity.verify import Checkpoint

    forged = signer.sign(Checkpoint(origin=signer.origin, size=grown, root_hash=b"\x03" * 32))
    with node.transaction() as session:
        honest = log.latest_checkpoint(session)
        assert honest is not None
        assert log.record_observed_checkpoint(session, clock=node.clock, note=honest.note)
        assert not log.record_observed_checkpoint(session, clock=node.clock, note=forged)
    with node.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Alert).where(Alert.kind == "split_view")) == 1


def test_forgetting_actors_keeps_the_log_verifiable(node: Container, record, integrate) -> None:  # type: ignore[no-untyped-def]
    ids = record(4, actor="user_bob")
    integrate()
    with node.transaction() as session:
        entry = log.leaf_for_audit_event(session, ids[0])
        salt = log.actor_salt(session, audit_event_id=ids[0])
        assert entry is not None
        assert salt is not None
        verify_actor_commitment(entry.data, "user_bob", salt)
        assert log.forget_actors(session, clock=node.clock, audit_event_ids=ids[:2]) == 2
        # The retention run also purges the personal data itself (here: the actor of the audit rows).
        session.execute(update(AuditEvent).where(AuditEvent.id.in_(ids[:2])).values(actor="purged"))
    with node.transaction() as session:
        assert log.actor_salt(session, audit_event_id=ids[0]) is None
        assert log.actor_salt(session, audit_event_id=ids[2]) is not None
        assert log.forget_actors(session, clock=node.clock, audit_event_ids=ids[:2]) == 0
        log.verify_log(session)


def test_the_scan_floor_catches_up(node: Container, record, integrate) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the floor moves in two phases (grace, then the xid horizon); SQLite's at once."""
    record(3)
    integrate()

    def caught_up() -> bool:
        with node.transaction() as session:
            state = session.get(StateRow, 1)
            assert state is not None
            return state.floor_seq == session.scalar(select(func.max(AuditEvent.seq)))

    deadline = time.monotonic() + 15
    while not caught_up():
        # Only PostgreSQL gets here: the grace period is measured by the database's clock.
        assert node.engine.dialect.name == "postgresql"
        assert time.monotonic() < deadline
        time.sleep(0.5)
        integrate()

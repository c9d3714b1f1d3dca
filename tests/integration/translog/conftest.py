"""Fixtures for the transparency-log tests, on the shared migrated test database (SQLite file, or
PostgreSQL when ``COMITY_TEST_DATABASE_URL`` is set)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from comity.audit import service as audit
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.signing.keys import KeyPurpose
from comity.translog import service as log
from comity.translog.checkpoints import CheckpointSigner
from comity.web.container import Container


@pytest.fixture
def node(container: Container) -> Iterator[Container]:
    """A node container with a registered log (node_signing) key."""
    with container.transaction() as session:
        keystore = Keystore.for_settings(container.settings)
        keys.create_anchor(
            session, clock=container.clock, actor=SYSTEM_ACTOR, keystore=keystore, jurisdiction="IE"
        )
        keys.register_key(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=keystore,
            jurisdiction="IE",
            purpose=KeyPurpose.NODE_SIGNING,
        )
    with container.transaction() as session:
        # The key registry's own audit events come first; tests then count from this base.
        log.integrate_pending(session, clock=container.clock)
    return container


@pytest.fixture
def base(node: Container) -> int:
    """The log's size before the test's own events (the key registry's events)."""
    with node.transaction() as session:
        return log.current_size(session)


@pytest.fixture
def signer(node: Container) -> CheckpointSigner:
    with node.transaction() as session:
        return log.node_log_signer(session, settings=node.settings, clock=node.clock)


Record = Callable[..., list[str]]


@pytest.fixture
def record(node: Container) -> Record:
    """Commit ``n`` audit events (one transaction); return their ids."""

    def _record(n: int = 1, *, actor: str = "user_alice", tag: str = "tests:thing:done") -> list[str]:
        with node.transaction() as session:
            events = [
                audit.record(
                    session,
                    clock=node.clock,
                    actor=actor,
                    tag=tag,
                    subject_type="thing",
                    subject_id=f"thing_{i}",
                    details={"sha256": f"{i:064x}"},
                )
                for i in range(n)
            ]
            session.flush()
            return [e.id for e in events]

    return _record


Integrate = Callable[..., log.IntegrationResult]


@pytest.fixture
def integrate(node: Container, signer: CheckpointSigner) -> Integrate:
    """Run one sequencer pass in its own transaction (signing a checkpoint when the tree grew)."""

    def _integrate(*, limit: int = log.DEFAULT_BATCH, sign: bool = True) -> log.IntegrationResult:
        with node.transaction() as session:
            return log.integrate_pending(
                session, clock=node.clock, signer=signer if sign else None, limit=limit
            )

    return _integrate

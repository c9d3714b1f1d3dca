"""A throwaway SQLite database per test for the governance service, plus principals and a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import comity.audit.model
import comity.governance.model
from comity.clock import FixedClock
from comity.db import Base, make_engine, make_session_factory
from comity.identity.principal import Principal
from comity.kinds import AuthorityType, OrganisationKind, Role
from unit.governance.governance_support import principal


@pytest.fixture
def gov_session(tmp_path: Path) -> Iterator[Session]:
    """One session in one transaction on a fresh database (rolled back and dropped afterwards)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'governance.sqlite3'}")
    Base.metadata.create_all(
        engine,
        tables=[comity.audit.model.AuditEvent.__table__, comity.governance.model.GovernedDocument.__table__],
    )
    session = make_session_factory(engine)()
    try:
        with session.begin():
            yield session
    finally:
        session.close()
        engine.dispose()


@pytest.fixture
def gov_clock() -> FixedClock:
    return FixedClock(datetime(2026, 9, 1, 8, 0, tzinfo=UTC))


@pytest.fixture
def auditor() -> Principal:
    return principal("auditor", Role.AUDITOR, OrganisationKind.OVERSIGHT)


@pytest.fixture
def oversight_admin() -> Principal:
    return principal("oversight-admin", Role.ADMINISTRATOR, OrganisationKind.OVERSIGHT)


@pytest.fixture
def node_admin() -> Principal:
    return principal("node-admin", Role.ADMINISTRATOR, OrganisationKind.AUTHORITY, AuthorityType.POLICE)

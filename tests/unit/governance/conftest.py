"""A session on the shared migrated test database for the governance service, plus principals and a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from comity.clock import FixedClock
from comity.identity.principal import Principal
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.web.container import Container
from unit.governance.governance_support import principal


@pytest.fixture
def gov_session(container: Container) -> Iterator[Session]:
    """One session in one transaction on the shared test database (committed; every table is emptied after
    the test)."""
    with container.transaction() as session:
        yield session


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

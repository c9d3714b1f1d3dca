"""Fixtures of the agreements and governance integration tests, on the shared migrated test database
(emptied after every test), with the node's clock starting at ``NOW``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from comity.clock import FixedClock
from comity.identity import service as identity
from comity.identity.principal import SYSTEM_ACTOR
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.web.container import Container

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    """The shared ``container``'s clock for these tests: it starts at ``NOW``."""
    return FixedClock(NOW)


@pytest.fixture
def agreements_clock(clock: FixedClock) -> FixedClock:
    return clock


@pytest.fixture
def agreements_container(container: Container) -> Container:
    """The shared per-test node container (its clock at ``NOW``)."""
    return container


@pytest.fixture
def agreements_client(client: TestClient) -> TestClient:
    """The shared HTTP client of the app built on ``agreements_container``."""
    return client


TokenFactory = Callable[[str, Role, OrganisationKind], str]


@pytest.fixture
def token_for(agreements_container: Container) -> TokenFactory:
    """Create a user of the given role in a new organisation of the given kind; return a bearer token."""

    def make(username: str, role: Role, kind: OrganisationKind) -> str:
        container = agreements_container
        authority_type = AuthorityType.POLICE if kind is OrganisationKind.AUTHORITY else None
        with container.transaction() as session:
            org = identity.create_organisation(
                session,
                clock=container.clock,
                actor=SYSTEM_ACTOR,
                name=f"{kind.value} of {username}",
                kind=kind,
                jurisdiction="IE",
                authority_type=authority_type,
                # Administrators here run the node (as in the demo, where the oversight board does).
                operates_node=role is Role.ADMINISTRATOR and kind is not OrganisationKind.PLATFORM,
            )
            issued = identity.add_user(
                session,
                clock=container.clock,
                actor=SYSTEM_ACTOR,
                username=username,
                role=role,
                organisation_id=org.id,
            )
        return issued.token

    return make

"""Self-contained database fixtures for the agreements and governance integration tests.

SQLite (a temporary file) by default; PostgreSQL when COMITY_TEST_DATABASE_URL is set, in a schema of its
own that is dropped afterwards, so these tests never touch the tables the shared fixtures migrate.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

import comity.audit.model
import comity.governance.model
import comity.identity.model
from comity.clock import FixedClock
from comity.config import Settings
from comity.db import Base, check_reachable, make_engine, make_session_factory
from comity.identity import service as identity
from comity.identity.principal import SYSTEM_ACTOR
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.web.app import create_app
from comity.web.container import Container

#: The tables these tests use (others registered by concurrent features are left out on purpose).
TABLES = [
    comity.audit.model.AuditEvent.__table__,
    comity.identity.model.Organisation.__table__,
    comity.identity.model.User.__table__,
    comity.identity.model.ApiToken.__table__,
    comity.governance.model.GovernedDocument.__table__,
]

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def agreements_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A fresh database with the tables created from the models (not migrations)."""
    url = os.environ.get("COMITY_TEST_DATABASE_URL")
    schema: str | None = None
    if url and not url.startswith("sqlite"):
        schema = f"agreements_it_{uuid.uuid4().hex[:12]}"
        admin = create_engine(url)
        check_reachable(admin)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"}, pool_pre_ping=True)
    else:
        admin = None
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('agreements') / 'test.sqlite3'}")
    Base.metadata.create_all(engine, tables=TABLES)
    yield engine
    engine.dispose()
    if admin is not None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(TABLES):
            conn.execute(table.delete())


@pytest.fixture
def agreements_clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def agreements_container(
    agreements_engine: Engine, agreements_clock: FixedClock, tmp_path: Path
) -> Iterator[Container]:
    """A node container on the test database; its rows are deleted after each test."""
    settings = Settings(home=tmp_path / "home")
    yield Container(
        settings=settings,
        engine=agreements_engine,
        sessions=make_session_factory(agreements_engine),
        clock=agreements_clock,
    )
    _empty(agreements_engine)


@pytest.fixture
def agreements_client(agreements_container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=agreements_container), raise_server_exceptions=False) as client:
        yield client


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

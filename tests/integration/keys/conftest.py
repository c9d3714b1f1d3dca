"""A self-contained database for the key registry tests.

SQLite in a temporary folder by default; ``COMITY_TEST_DATABASE_URL`` (PostgreSQL) when set. The tables
the registry needs are created with ``Base.metadata.create_all``; tables this fixture created are dropped at
the end, and rows written by each test are deleted after it, so a shared PostgreSQL database is left as found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, inspect

from comity.audit.model import AuditEvent
from comity.clock import FixedClock
from comity.config import Settings
from comity.db import Base, check_reachable, make_engine, make_session_factory
from comity.identity.model import Organisation
from comity.keys.model import KeyStatement, RegisteredKey, TrustAnchor
from comity.kinds import AuthorityType, OrganisationKind
from comity.web.container import Container

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
_TABLES = ("organisations", "audit_events", "trust_anchors", "registered_keys", "key_statements")


@pytest.fixture(scope="module")
def keys_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = os.environ.get("COMITY_TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('keysdb') / 'keys.sqlite3'}"
    )
    engine = make_engine(url)
    check_reachable(engine)
    existing = set(inspect(engine).get_table_names())
    tables = [Base.metadata.tables[name] for name in _TABLES]
    Base.metadata.create_all(engine, tables=tables)
    yield engine
    Base.metadata.drop_all(engine, tables=[t for t in tables if t.name not in existing])
    engine.dispose()


@pytest.fixture
def keys_container(keys_engine: Engine, tmp_path: Path) -> Iterator[Container]:
    settings = Settings(
        home=tmp_path / "home", database_url=keys_engine.url.render_as_string(hide_password=False)
    )
    settings.home.mkdir(parents=True)
    container = Container(
        settings=settings,
        engine=keys_engine,
        sessions=make_session_factory(keys_engine),
        clock=FixedClock(START),
    )
    yield container
    with container.transaction() as session:
        session.execute(delete(KeyStatement))
        session.execute(delete(RegisteredKey))
        session.execute(delete(TrustAnchor))
        session.execute(delete(AuditEvent).where(AuditEvent.tag.like("keys:%")))
        session.execute(delete(Organisation).where(Organisation.id.like("org_keys_test_%")))


OrgFactory = Callable[..., str]


@pytest.fixture
def make_org(keys_container: Container) -> OrgFactory:
    """Create an organisation directly (ids ``org_keys_test_*``, deleted after the test)."""
    counter = {"n": 0}

    def _make(
        kind: OrganisationKind = OrganisationKind.AUTHORITY,
        *,
        jurisdiction: str = "IE",
        authority_type: AuthorityType | None = AuthorityType.POLICE,
    ) -> str:
        counter["n"] += 1
        org_id = f"org_keys_test_{counter['n']}"
        with keys_container.transaction() as session:
            session.add(
                Organisation(
                    id=org_id,
                    name=f"{kind.value} {counter['n']}",
                    kind=kind.value,
                    jurisdiction=jurisdiction,
                    authority_type=authority_type.value if authority_type else None,
                    created_at=START,
                )
            )
        return org_id

    return _make

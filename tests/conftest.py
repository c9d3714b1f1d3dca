"""Shared fixtures: one migrated database per test run (SQLite by default, PostgreSQL when
COMITY_TEST_DATABASE_URL is set), emptied after every test; a fixed clock; the app and HTTP clients."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import comity.models  # noqa: F401  (every table registered)
from comity.clock import FixedClock
from comity.config import Settings
from comity.db import check_reachable, make_engine, make_session_factory
from comity.identity import service as identity
from comity.identity.principal import SYSTEM_ACTOR
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.migrations import upgrade
from comity.web.app import create_app
from comity.web.container import Container
from support import empty_all_tables

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("COMITY_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The test database, migrated to head once (fails loudly if unreachable: never skipped)."""
    eng = make_engine(_database_url(tmp_path_factory))
    check_reachable(eng)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def dialect(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def container(engine: Engine, clock: FixedClock, tmp_path: Path) -> Iterator[Container]:
    """A node container on the test database; every table is emptied after the test."""
    settings = Settings(home=tmp_path / "home", database_url=engine.url.render_as_string(hide_password=False))
    settings.home.mkdir(parents=True, exist_ok=True)
    yield Container(settings=settings, engine=engine, sessions=make_session_factory(engine), clock=clock)
    empty_all_tables(engine)


@pytest.fixture
def app(container: Container):  # type: ignore[no-untyped-def]
    return create_app(container=container)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


UserFactory = Callable[..., str]


@pytest.fixture
def make_user(container: Container) -> UserFactory:
    """Create an organisation and user; return a bearer token."""
    counter = {"n": 0}

    def _make(
        role: Role = Role.OFFICER,
        *,
        jurisdiction: str = "IE",
        kind: OrganisationKind | None = None,
        authority_type: AuthorityType | None = None,
        username: str | None = None,
        operator: bool | None = None,
    ) -> str:
        """``operator``: the organisation runs the node (default: yes for an administrator's authority or
        oversight body, so an administrator is the node's unless a test says otherwise)."""
        counter["n"] += 1
        if kind is None:
            kind = {
                Role.PLATFORM: OrganisationKind.PLATFORM,
                Role.AUDITOR: OrganisationKind.OVERSIGHT,
            }.get(role, OrganisationKind.AUTHORITY)
        if kind is OrganisationKind.AUTHORITY and authority_type is None:
            authority_type = AuthorityType.JUDGE if role is Role.JUDGE else AuthorityType.POLICE
        if operator is None:
            operator = role is Role.ADMINISTRATOR and kind is not OrganisationKind.PLATFORM
        with container.transaction() as session:
            org = identity.create_organisation(
                session,
                clock=container.clock,
                actor=SYSTEM_ACTOR,
                name=f"{kind.value} {counter['n']}",
                kind=kind,
                jurisdiction=jurisdiction,
                authority_type=authority_type,
                operates_node=operator,
            )
            issued = identity.add_user(
                session,
                clock=container.clock,
                actor=SYSTEM_ACTOR,
                username=username or f"{role.value}{counter['n']}",
                role=role,
                organisation_id=org.id,
            )
        return issued.token

    return _make


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_url(container: Container) -> Iterator[str]:
    """Base URL of a live server; stopped after the test."""
    port = _free_port()
    config = uvicorn.Config(create_app(container=container), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    else:
        raise RuntimeError("test server did not start")
    yield base
    server.should_exit = True
    thread.join(timeout=10)

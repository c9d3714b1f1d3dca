"""What a running node holds: settings, database engine, sessions, clock. One per app or CLI run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from comity.clock import Clock, SystemClock
from comity.config import Settings
from comity.db import make_engine, make_session_factory, transaction


@dataclass
class Container:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Container:
        settings.home.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            clock=clock or SystemClock(),
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One use case, one transaction."""
        with transaction(self.sessions) as session:
            yield session

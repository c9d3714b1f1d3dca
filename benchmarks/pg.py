"""Scratch PostgreSQL databases for benchmarks: ``COMITY_BENCH_PG_URL`` names a server (any database on
it, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); each benchmark works in a fresh
database of its own, dropped afterwards, and never touches the one the URL names."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

ENV = "COMITY_BENCH_PG_URL"


def server_url() -> str | None:
    """The PostgreSQL server to benchmark on, if one is configured."""
    return os.environ.get(ENV) or None


@contextmanager
def scratch_database(server: str, name: str) -> Iterator[str]:
    """Create database ``name`` on ``server``, yield its URL, drop it afterwards."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

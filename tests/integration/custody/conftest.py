"""Fixtures of the evidence vault tests: the vault's and the log's tables, a node with a trust anchor."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from comity.web.container import Container
from integration.custody.custody_support import create_anchor, ensure_tables


@pytest.fixture(scope="session")
def vault_engine(engine: Engine) -> Engine:
    ensure_tables(engine)
    return engine


@pytest.fixture
def node(vault_engine: Engine, container: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    """A node of IE with its trust anchor; its keystore is protected by a generated master key."""
    monkeypatch.delenv("COMITY_KEYSTORE_PASSPHRASE", raising=False)
    create_anchor(container)
    return container

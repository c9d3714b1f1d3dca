"""Fixtures of the evidence vault tests: a node with a trust anchor (on the shared migrated database)."""

from __future__ import annotations

import pytest

from comity.web.container import Container
from integration.custody.custody_support import create_anchor


@pytest.fixture
def node(container: Container, monkeypatch: pytest.MonkeyPatch) -> Container:
    """A node of IE with its trust anchor; its keystore is protected by a generated master key."""
    monkeypatch.delenv("COMITY_KEYSTORE_PASSPHRASE", raising=False)
    create_anchor(container)
    return container

"""Fixtures for transport tests (the set-up lives in ``transport_support``)."""

from __future__ import annotations

import pytest

from unit.transport.transport_support import Federation


@pytest.fixture
def fed() -> Federation:
    return Federation()

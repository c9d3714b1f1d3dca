"""Fixtures of the measure tests: a world with authorities, keys, a platform and a case."""

from __future__ import annotations

import pytest

from comity.web.container import Container
from integration.measures.world import World, build_world, ensure_tables


@pytest.fixture
def world(container: Container) -> World:
    # Tables of features imported by the app but not yet in the migration (work in progress elsewhere)
    # would break the shared clean-up; create any that are missing (existing tables are left alone).
    ensure_tables(container)
    return build_world(container)

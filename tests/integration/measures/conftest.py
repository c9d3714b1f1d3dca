"""Fixtures of the measure tests: a world with authorities, keys, a platform and a case."""

from __future__ import annotations

import pytest

from comity.web.container import Container
from integration.measures.world import World, build_world


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)

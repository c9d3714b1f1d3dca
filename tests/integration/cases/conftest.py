from __future__ import annotations

from typing import Any

import pytest

from comity.web.container import Container
from integration.cases.world import World, build_world


@pytest.fixture
def world(container: Container, make_user: Any) -> World:
    return build_world(container, make_user)

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from comity.clock import FixedClock
from comity.web.app import create_app
from integration.federation.nodes import Node, introduce, make_node, node_database

ADDRESSES = {"IE": "http://ie.node.test", "DE": "http://de.node.test", "FR": "http://fr.node.test"}


@pytest.fixture
def nodes(tmp_path: Path, clock: FixedClock) -> Iterator[dict[str, Node]]:
    """IE and DE peers of each other; FR exists but is nobody's peer. Each with its own database."""
    with ExitStack() as stack:
        made: dict[str, Node] = {}
        for code in ("IE", "DE", "FR"):
            url = stack.enter_context(node_database(code, tmp_path))
            made[code] = make_node(code, home=tmp_path / code, database_url=url, clock=clock)
            stack.callback(made[code].container.engine.dispose)
        introduce(made["IE"], made["DE"], base_url=ADDRESSES["DE"])
        introduce(made["DE"], made["IE"], base_url=ADDRESSES["IE"])
        yield made


@pytest.fixture
def http(nodes: dict[str, Node]) -> Iterator[dict[str, TestClient]]:
    """An HTTP client into each node's app (the apps share nothing but the bytes they exchange)."""
    with ExitStack() as stack:
        yield {
            code: stack.enter_context(
                TestClient(create_app(container=node.container), raise_server_exceptions=False)
            )
            for code, node in nodes.items()
        }

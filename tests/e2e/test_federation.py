"""Federation between real node processes on loopback ports, each with its own home and database.

The nodes are set up in this process (migrations, agreements, keys, each other's trust stores and
addresses), then each runs as ``comity serve`` in its own process. The sender's outbox worker runs here
with a clock the test can move past the backoff, or as ``comity worker --once`` in the node's environment.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from comity.clock import FixedClock
from comity.federation.directory import PeerKeys
from comity.federation.inbox import decryption_keys
from comity.federation.model import ReceivedMessage
from comity.outbox.model import OutboxMessage, OutboxStatus
from comity.transport.egress import Outbound
from comity.transport.message import open_message
from comity.transport.tlp import Tlp
from integration.federation.nodes import Node, introduce, make_node, node_database
from integration.federation.test_exchange import ITEM, deliver, outbox_row, queue, received

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``comity serve`` of one node, in its own process."""

    def __init__(self, node: Node, port: int) -> None:
        self.node = node
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "comity.cli.main", "serve", "--port", str(self.port)],
            env=self.node.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"node {self.node.code} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    tmp = tmp_path_factory.mktemp("federation")
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    with ExitStack() as stack:
        servers: dict[str, Server] = {}
        for code in ("IE", "DE"):
            url = stack.enter_context(node_database(code, tmp))
            node = make_node(code, home=Path(tmp / code), database_url=url, clock=clock)
            stack.callback(node.container.engine.dispose)
            servers[code] = Server(node, _free_port())
        introduce(servers["IE"].node, servers["DE"].node, base_url=servers["DE"].url)
        introduce(servers["DE"].node, servers["IE"].node, base_url=servers["IE"].url)
        for server in servers.values():
            stack.callback(server.stop)
            server.start()
        yield servers


def test_round_trip_between_processes_and_nothing_unpermitted_on_the_wire(
    federation: dict[str, Server],
) -> None:
    ie, de = federation["IE"].node, federation["DE"].node
    wire: list[bytes] = []
    client = httpx.Client(event_hooks={"request": [lambda request: wire.append(request.read())]})
    message_id, outbox_id, data = queue(ie)
    assert deliver(ie, client).delivered == 1
    assert wire == [data]  # the exact signed bytes, once
    # Open what went over the wire as DE can: the field the agreement does not permit is not there.
    with de.container.transaction() as session:
        opened = open_message(
            wire[0],
            keys=PeerKeys.load(session),
            recipient="DE",
            at=datetime.now(UTC),
            decryption_keys=decryption_keys(session, keystore=de.keystore, node="DE"),
        )
    assert opened.message.body["data"] == {"subscriber": {"email": "seller@example.org"}}
    assert "shoe_size" in ITEM.data["subscriber"]
    assert outbox_row(ie, outbox_id).evidence["receipt"]["message_id"] == message_id
    assert [m.message_id for m in received(de)] == [message_id]

    # DE answers through its own worker process (``comity worker --once``) to IE's server.
    queue(de, Outbound(kind="production_answer", recipient="IE", tlp=Tlp.AMBER, facts={"request_id": "r"}))
    worker = subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "worker", "--once", "--job", "outbox", "--json"],
        env=de.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == 0, worker.stderr
    assert [m.kind for m in received(ie)] == ["production_answer"]
    with de.container.transaction() as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.DELIVERED.value]


def test_peer_down_during_delivery_is_delivered_once_it_returns(federation: dict[str, Server]) -> None:
    ie, de_server = federation["IE"].node, federation["DE"]
    clock = ie.container.clock
    assert isinstance(clock, FixedClock)
    _, outbox_id, data = queue(ie)
    de_server.stop()
    try:
        result = deliver(ie, httpx.Client(timeout=5))
        assert (result.delivered, result.retried) == (0, 1)
        assert outbox_row(ie, outbox_id).status == OutboxStatus.PENDING.value
    finally:
        de_server.start()
    clock.advance(timedelta(hours=2))  # past the backoff
    try:
        assert deliver(ie, httpx.Client(timeout=5)).delivered == 1
    finally:
        clock.advance(timedelta(hours=-2))  # the other tests' messages are stamped with this clock
    # A retry of the same bytes (say the receipt was lost) is receipted again, not delivered twice.
    again = httpx.post(de_server.url + "/api/v1/federation/inbox", content=data, timeout=5)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    with de_server.node.container.transaction() as session:
        count = session.scalar(
            select(func.count()).select_from(ReceivedMessage).where(ReceivedMessage.data == data)
        )
    assert count == 1


def test_refusals_over_http_carry_their_codes(federation: dict[str, Server]) -> None:
    from integration.federation.test_exchange import forge

    ie, de = federation["IE"].node, federation["DE"]
    url = de.url + "/api/v1/federation/inbox"
    ok = forge(ie, message_id="msg_e2e_forged")
    first = httpx.post(url, content=ok, timeout=5)
    assert first.status_code == 200, first.text
    replay = forge(ie, message_id="msg_e2e_forged", body={"facts": {"x": 1}, "data": {}, "pseudonymised": []})
    response = httpx.post(url, content=replay, timeout=5)
    assert response.status_code == 422
    assert response.json()["code"] == "replayed"
    assert httpx.post(url, content=forge(ie, recipient="FR"), timeout=5).json()["code"] == "wrong_addressee"
    tampered = ok.replace(b'"payload":"', b'"payload":"A', 1)
    assert httpx.post(url, content=tampered, timeout=5).status_code == 422

"""The worker of a node run from its config file: in a background thread, and its witnessing job."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.signing.keys import KeyPurpose
from comity.translog import service as translog
from comity.web.container import Container
from comity.witness.app import create_witness_app
from comity.witness.config import WatchedLog, generate_key
from comity.witness.core import Witness, WitnessState
from comity.worker.background import BackgroundWorker
from comity.worker.jobs import tick
from comity.worker.witnessing import JOB_NAME, WitnessTarget, witnessing_job
from conftest import _free_port


def _node_keys(container: Container) -> None:
    keystore = Keystore.for_settings(container.settings)
    with container.transaction() as session:
        keys.create_anchor(
            session, clock=container.clock, actor=SYSTEM_ACTOR, keystore=keystore, jurisdiction="IE"
        )
        keys.register_key(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=keystore,
            jurisdiction="IE",
            purpose=KeyPurpose.NODE_SIGNING,
        )


@pytest.fixture
def witness(container: Container, tmp_path: Path) -> Iterator[WitnessTarget]:
    """A live witness of the test node's log, on a loopback port."""
    _node_keys(container)
    with container.transaction() as session:
        signer = translog.node_log_signer(session, settings=container.settings, clock=container.clock)
    key = generate_key(tmp_path / "witness.key", name="witness.test/fr")
    app = create_witness_app(
        Witness(
            key=key,
            logs=(WatchedLog(origin=signer.origin, keys=(signer.verifier,)),),
            state=WitnessState(tmp_path / "witness-state.json"),
        )
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield WitnessTarget(url=f"http://127.0.0.1:{port}", vkey=key.verifier.vkey)
    server.should_exit = True
    thread.join(timeout=10)


def test_the_witnessing_job_has_the_latest_checkpoint_cosigned_once(
    container: Container, witness: WitnessTarget
) -> None:
    job = witnessing_job([witness])
    assert job(container) == 0  # no checkpoint yet: nothing to send
    assert tick(container, only=("translog",)).done["translog"] > 0
    report = tick(container, only=(JOB_NAME,), extra={JOB_NAME: job})
    assert report.errors == {}
    assert report.done[JOB_NAME] == 1
    assert job(container) == 0  # already cosigned: not sent again
    with container.transaction() as session:
        latest = translog.latest_checkpoint(session)
    assert latest is not None
    assert latest.witnesses == ("witness.test/fr",)


def test_an_unreachable_witness_is_tried_again_later(container: Container, witness: WitnessTarget) -> None:
    tick(container, only=("translog",))
    down = WitnessTarget(url=f"http://127.0.0.1:{_free_port()}", vkey=witness.vkey)
    assert witnessing_job([down], timeout=1)(container) == 0  # logged, not raised
    assert witnessing_job([witness])(container) == 1


def test_the_background_worker_ticks_until_stopped(container: Container) -> None:
    calls: list[float] = []

    def counting(_: Container) -> int:
        calls.append(time.monotonic())
        return 1

    worker = BackgroundWorker(container, interval=0.05, extra={"test.counting": counting})
    with worker:
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert worker.running
    assert not worker.running
    assert len(calls) >= 3
    stopped_at = len(calls)
    time.sleep(0.2)
    assert len(calls) == stopped_at  # nothing runs after stop()

"""Notices through real channels with confirmation: e-mail to a local SMTP server (aiosmtpd on loopback),
the platform relay (made available, then acknowledged), and a judge-approved deferral that ends by itself."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from comity.measures import service as measures
from comity.measures.schemas import NoticeDeferralIn
from comity.notices import delivery
from comity.notices.model import Notice, NoticeStatus
from comity.outbox.model import OutboxMessage
from comity.web.container import Container
from comity.worker.jobs import tick
from integration.measures.world import TARGET, World, build_world


class Mailbox:
    """An aiosmtpd handler keeping what it accepted."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def _notices(world: World, measure_id: str) -> list[Notice]:
    with world.tx() as session:
        return list(
            session.scalars(select(Notice).where(Notice.measure_id == measure_id).order_by(Notice.created_at))
        )


def test_email_notice_is_sent_only_once_the_smtp_server_accepted_it(
    world: World, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    world.container.settings.smtp_port = port
    m = world.issued_provisional(notice_channel="email", notice_email="seller@example.org")
    [notice] = _notices(world, m.id)
    assert notice.channel == "email"
    assert notice.status == NoticeStatus.SENDING
    # A row written is not "sent": nothing was handed over yet.
    assert mailbox.messages == []
    report = tick(world.container, only=("outbox",))
    assert report.errors == {}
    with world.tx() as session:
        msg = session.get(OutboxMessage, notice.outbox_message_id)
        assert msg is not None
        assert msg.status == "delivered", (msg.status, msg.last_error)
    tick(world.container, only=("notices.delivery",))
    [notice] = _notices(world, m.id)
    assert notice.status == NoticeStatus.SENT
    assert notice.delivery_evidence["smtp_reply"].startswith("250")
    [(_sender, recipients, raw)] = mailbox.messages
    assert recipients == ["seller@example.org"]
    letter = message_from_bytes(raw).get_payload(decode=True).decode()
    assert "Legal basis: Regulation (EU) 2022/2065 Art. 9" in letter
    assert "You may challenge it before the competent court of IE until" in letter


def test_email_notice_stays_unsent_while_the_server_is_down(world: World) -> None:
    world.container.settings.smtp_port = _free_port()  # nobody listens there
    m = world.issued_provisional(notice_channel="email", notice_email="seller@example.org")
    tick(world.container, only=("outbox",))
    tick(world.container, only=("notices.delivery",))
    [notice] = _notices(world, m.id)
    assert notice.status == NoticeStatus.SENDING
    assert notice.sent_at is None
    with world.tx() as session:
        message = session.get(OutboxMessage, notice.outbox_message_id)
        assert message is not None
        assert message.status == "pending"
        assert "SMTP" in (message.last_error or "")


def test_platform_relay_is_sent_after_the_platform_acknowledges(world: World) -> None:
    m = world.issued_provisional()
    [notice] = _notices(world, m.id)
    assert notice.channel == "platform"
    assert notice.recipient == "bazaar-ltd"
    tick(world.container, only=("outbox",))
    tick(world.container, only=("notices.delivery",))
    assert _notices(world, m.id)[0].status == NoticeStatus.SENDING  # made available, not yet picked up
    with world.tx() as session:
        items = delivery.inbox(session, principal=world.platform)
        relayed = [i for i in items if i.kind == "notice.measure_notice"]
        assert len(relayed) == 1
        assert TARGET.encode() in relayed[0].payload
        delivery.acknowledge(session, clock=world.clock, principal=world.platform, message_id=relayed[0].id)
    world.clock.advance(timedelta(hours=2))  # past the retry backoff
    tick(world.container, only=("outbox",))
    tick(world.container, only=("notices.delivery",))
    [notice] = _notices(world, m.id)
    assert notice.status == NoticeStatus.SENT
    assert notice.delivery_evidence["acknowledged_by"] == "user:t-platform"


def test_a_deferred_notice_goes_out_by_itself_when_the_deferral_ends(world: World) -> None:
    m = world.draft(
        kind="removal_order",
        provisional=True,
        urgent=True,
        ends_at=None,
        review_at=(world.clock.now() + timedelta(days=20)).isoformat(),
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="the stock would be moved",
    )
    with world.tx() as session, pytest.raises(Exception, match="at most 60 days"):
        measures.request_notice_deferral(
            session,
            clock=world.clock,
            principal=world.officer,
            measure_id=m.id,
            data=NoticeDeferralIn(reason="investigation", until=world.clock.now() + timedelta(days=61)),
        )
    with world.tx() as session:
        measures.request_notice_deferral(
            session,
            clock=world.clock,
            principal=world.officer,
            measure_id=m.id,
            data=NoticeDeferralIn(
                reason="covert test purchases continue", until=world.clock.now() + timedelta(days=10)
            ),
        )
    world.submit(m.id)
    world.authorise(m.id, approve_prior_notice_skip=True, approve_notice_deferral=True)
    world.issue(m.id)
    [notice] = _notices(world, m.id)
    assert notice.status == NoticeStatus.DEFERRED
    assert notice.outbox_message_id is None
    world.clock.advance(timedelta(days=9))
    assert tick(world.container, only=("notices.deferral_end",)).done == {"notices.deferral_end": 0}
    world.clock.advance(timedelta(days=1))
    assert tick(world.container, only=("notices.deferral_end",)).done == {"notices.deferral_end": 1}
    [notice] = _notices(world, m.id)
    assert notice.status == NoticeStatus.SENDING
    assert notice.outbox_message_id is not None

"""Notices to affected persons (C6, first half): tables, statuses and the notice state machine.

A notice is what the person is told: before a measure (prior notice, with time to reply) and when it takes
effect (legal basis, reasons, territorial scope, criteria, how and until when to challenge it in court).
It travels through a real channel with confirmation: relayed by the platform (DSA Art. 9(5), 10(5)) or
sent by e-mail over SMTP. "Sent" means handed over and confirmed, never a row written.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base
from comity.errors import IllegalTransition


class NoticeKind(StrEnum):
    PRIOR_NOTICE = "prior_notice"  # what is intended; the person may reply before it happens
    MEASURE_NOTICE = "measure_notice"  # what was done, why, and how to challenge it


class Channel(StrEnum):
    PLATFORM = "platform"  # relayed through the platform that holds the account (DSA Art. 9(5))
    EMAIL = "email"  # sent by e-mail over SMTP


class NoticeStatus(StrEnum):
    DEFERRED = "deferred"  # held until deferred_until, with a judge's approval
    SENDING = "sending"  # handed to the outbox; waiting for the channel's confirmation
    SENT = "sent"  # handed over and confirmed (SMTP acceptance, platform acknowledgement)
    FAILED = "failed"  # the channel gave up; an alert was raised


class NoticeAction(StrEnum):
    CREATE = "create"
    RELEASE = "release"  # the deferral ended: the notice goes out by itself
    CONFIRM = "confirm"
    FAIL = "fail"
    RESEND = "resend"


N = NoticeStatus
NOTICE_TRANSITIONS: dict[NoticeStatus, dict[NoticeAction, NoticeStatus]] = {
    N.DEFERRED: {NoticeAction.RELEASE: N.SENDING},
    N.SENDING: {NoticeAction.CONFIRM: N.SENT, NoticeAction.FAIL: N.FAILED},
    N.FAILED: {NoticeAction.RESEND: N.SENDING},
    N.SENT: {},
}


def next_notice_status(notice_id: str, current: str, action: NoticeAction) -> NoticeStatus:
    """The status after ``action``, or IllegalTransition naming the allowed actions."""
    moves = NOTICE_TRANSITIONS[NoticeStatus(current)]
    if action not in moves:
        raise IllegalTransition(f"notice {notice_id}", current, action.value, [a.value for a in moves])
    return moves[action]


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # NoticeKind
    channel: Mapped[str] = mapped_column(String(20))  # Channel
    #: The platform relaying it (organisation id) or the person's mailbox: personal data, never audited.
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20))  # NoticeStatus
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    challenge_until: Mapped[datetime | None]
    deferred_until: Mapped[datetime | None]
    deferral_reason: Mapped[str | None] = mapped_column(Text)
    deferral_approved_by: Mapped[str | None] = mapped_column(String(120))
    outbox_message_id: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime | None]
    delivery_evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    audit_digest: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_notices_status_deferred", "status", "deferred_until"),)


class PlatformAcknowledgement(Base):
    """A platform confirmed it picked up an order or notice made available to it (the relay's receipt)."""

    __tablename__ = "platform_acknowledgements"

    message_id: Mapped[str] = mapped_column(ForeignKey("outbox_messages.id"), primary_key=True)
    organisation: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    acknowledged_by: Mapped[str] = mapped_column(String(120))
    acknowledged_at: Mapped[datetime]


class StatementOfReasons(Base):
    """A platform's DSA Art. 17 statement of reasons for its own decision on a voluntary request, in the
    DSA Transparency Database v2 field names and enum keys (``statement`` holds them verbatim)."""

    __tablename__ = "statements_of_reasons"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    measure_id: Mapped[str] = mapped_column(ForeignKey("measures.id"), index=True)
    puid: Mapped[str] = mapped_column(String(500))
    statement: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime]

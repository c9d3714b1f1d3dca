"""Real channels with confirmation, registered with the worker: e-mail over SMTP, and the platform relay.

- ``email``: hands the letter to the configured SMTP server; delivered means the server accepted the
  message (its 250 reply to DATA is the evidence). A refusal or an unreachable server is retried.
- ``platform``: orders and notices are made available to the platform through the API (its inbox);
  delivered means the platform acknowledged picking the message up. Until it does, the attempt fails
  and the outbox retries with backoff, alerting the administrators if it never does.

The platform inbox (list and acknowledge) lives here too: it is the other half of the relay.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from comity.audit import service as audit
from comity.clock import Clock
from comity.config import Settings
from comity.errors import NotFound
from comity.identity.principal import Principal
from comity.notices.model import Channel, PlatformAcknowledgement
from comity.notices.service import require_platform
from comity.outbox.model import OutboxMessage, OutboxStatus
from comity.outbox.service import DeliveryError, DeliveryResult
from comity.web.container import Container
from comity.worker.jobs import register_deliverer

SMTP_TIMEOUT_S = 10.0


class SmtpDeliverer:
    """Sends ``email`` messages through an SMTP server and keeps its acceptance as evidence."""

    def __init__(self, settings: Settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.sender = settings.mail_from

    def deliver(self, message: OutboxMessage) -> DeliveryResult:
        """Hand the letter over; raise DeliveryError unless the server accepted it."""
        letter = EmailMessage()
        letter["From"] = self.sender
        letter["To"] = message.destination
        letter["Subject"] = f"Comity notice {message.subject_id}"
        letter["Message-ID"] = make_msgid(idstring=message.id)
        # Quoted-printable keeps every line within SMTP's 1000-octet limit (RFC 5321 4.5.3.1.6).
        letter.set_content(message.payload.decode("utf-8"), cte="quoted-printable")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_S) as smtp:
                smtp.ehlo_or_helo_if_needed()
                code, reply = smtp.mail(self.sender)
                if code != 250:
                    raise DeliveryError(f"MAIL FROM refused: {code}")
                code, reply = smtp.rcpt(message.destination)
                if code not in (250, 251):
                    raise DeliveryError(f"recipient refused: {code}")
                # SMTP wants CRLF line ends; smtplib converts str but sends bytes as they are.
                code, reply = smtp.data(letter.as_bytes(policy=SMTP_POLICY))
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from exc
        if code != 250:
            answer = reply.decode("utf-8", "replace")[:200]
            raise DeliveryError(f"message refused by SMTP server: {code} {answer}")
        return DeliveryResult(
            evidence={
                "channel": "email",
                "server": f"{self.host}:{self.port}",
                "smtp_reply": f"{code} {reply.decode('utf-8', 'replace')[:200]}",
                "message_id": letter["Message-ID"],
            }
        )


class PlatformRelay:
    """Delivered once the platform acknowledged the message it found in its inbox."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def deliver(self, message: OutboxMessage) -> DeliveryResult:
        """Evidence of the platform's acknowledgement, or DeliveryError while there is none."""
        with self.sessions() as session:
            ack = session.get(PlatformAcknowledgement, message.id)
            if ack is None:
                raise DeliveryError(f"made available to {message.destination}; not yet acknowledged")
            return DeliveryResult(
                evidence={
                    "channel": "platform",
                    "organisation": ack.organisation,
                    "acknowledged_by": ack.acknowledged_by,
                    "acknowledged_at": ack.acknowledged_at.isoformat(),
                }
            )


def _email(container: Container) -> SmtpDeliverer:
    return SmtpDeliverer(container.settings)


def _platform(container: Container) -> PlatformRelay:
    return PlatformRelay(container.sessions)


register_deliverer(Channel.EMAIL.value, _email)
register_deliverer(Channel.PLATFORM.value, _platform)


# --- the platform's inbox ----------------------------------------------------------------------------


def inbox(
    session: Session, *, principal: Principal, include_acknowledged: bool = False
) -> Sequence[OutboxMessage]:
    """Orders and notices made available to the caller's platform, oldest first."""
    require_platform(principal)
    stmt = select(OutboxMessage).where(
        OutboxMessage.channel == Channel.PLATFORM.value,
        OutboxMessage.destination == principal.organisation_id,
    )
    if not include_acknowledged:
        acked = select(PlatformAcknowledgement.message_id)
        stmt = stmt.where(OutboxMessage.id.not_in(acked), OutboxMessage.status != OutboxStatus.FAILED.value)
    return session.scalars(stmt.order_by(OutboxMessage.created_at, OutboxMessage.id).limit(500)).all()


def acknowledge(
    session: Session, *, clock: Clock, principal: Principal, message_id: str
) -> PlatformAcknowledgement:
    """Record that the platform picked ``message_id`` up (idempotent: a second call returns the first)."""
    require_platform(principal)
    message = session.get(OutboxMessage, message_id)
    if (
        message is None
        or message.channel != Channel.PLATFORM.value
        or message.destination != principal.organisation_id
    ):
        raise NotFound(f"no message {message_id[:60]!r} for your platform")
    existing = session.get(PlatformAcknowledgement, message_id)
    if existing is not None:
        return existing
    ack = PlatformAcknowledgement(
        message_id=message_id,
        organisation=principal.organisation_id,
        acknowledged_by=principal.actor,
        acknowledged_at=clock.now(),
    )
    session.add(ack)
    audit.record(
        session,
        clock=clock,
        actor=principal.actor,
        tag="notices:relay:acknowledged",
        subject_type=message.subject_type,
        subject_id=message.subject_id,
        details={"message_id": message_id, "kind": message.kind},
    )
    return ack

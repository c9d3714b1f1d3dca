"""Queueing messages in the caller's transaction, and delivering them (at least once) with backoff.

Delivery is at-least-once: a worker claims due messages under a lease (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two workers never claim the same row), delivers outside any transaction, then records the
outcome. A worker that dies mid-delivery leaves a lease that expires and the message is retried; receivers
deduplicate by message id (the federation inbox and the platform API are idempotent).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from comity.alerts.model import AlertAudience, AlertSeverity
from comity.alerts.service import raise_alert
from comity.audit import service as audit
from comity.clock import Clock
from comity.db import transaction
from comity.identity.principal import SYSTEM_ACTOR
from comity.ids import new_id
from comity.outbox.model import OutboxMessage, OutboxStatus

log = logging.getLogger("comity.outbox")

#: Backoff: base * 2^(attempt-1), capped, with full jitter (AWS architecture blog's "full jitter").
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(minutes=2)


class DeliveryError(Exception):
    """A deliverer could not hand the message over; the outbox retries later."""


class PermanentDeliveryError(DeliveryError):
    """The destination refused the message for good (tampered, expired, not for it): retrying cannot help,
    so the message fails at once and the failure alert is raised."""


@dataclass(frozen=True)
class DeliveryResult:
    """What a deliverer reports: evidence of hand-over (receipts, server answers)."""

    evidence: Mapping[str, Any] = field(default_factory=dict)


class Deliverer(Protocol):
    """Carries one channel's messages (a peer node, a platform's endpoint, a mail server)."""

    def deliver(self, message: OutboxMessage) -> DeliveryResult: ...


@runtime_checkable
class BatchDeliverer(Deliverer, Protocol):
    """A deliverer that can also carry several messages for one destination in one exchange."""

    def deliver_batch(self, messages: Sequence[OutboxMessage]) -> list[DeliveryResult | DeliveryError]:
        """One outcome per message, in order: its result, or the error that message met."""
        ...


#: Most messages handed to ``deliver_batch`` at once, and how many batches may be in flight together.
MAX_BATCH = 100
BATCHES_IN_FLIGHT = 2
#: Messages a worker sweep claims on batching channels (ten full batches: a backlog drains without the
#: pipeline stopping every two batches) and on the others (one by one: a slow mail server must not hold
#: more under its lease than it can carry before the lease ends).
BATCHING_SWEEP = MAX_BATCH * 10
SINGLE_SWEEP = 100


def enqueue(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    channel: str,
    destination: str,
    kind: str,
    payload: bytes,
    subject_type: str,
    subject_id: str,
    content_type: str = "application/octet-stream",
    idempotency_key: str | None = None,
    max_attempts: int = 8,
) -> OutboxMessage:
    """Queue a message in the caller's transaction (it is sent only if that transaction commits)."""
    if idempotency_key is not None:
        existing = session.scalar(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
        )
        if existing is not None:
            return existing
    now = clock.now()
    message = OutboxMessage(
        id=new_id("msg"),
        channel=channel,
        destination=destination,
        kind=kind,
        payload=payload,
        content_type=content_type,
        subject_type=subject_type,
        subject_id=subject_id,
        idempotency_key=idempotency_key,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
        available_at=now,
        lease_until=None,
        delivered_at=None,
        last_error=None,
        evidence={},
    )
    session.add(message)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="outbox:message:queued",
        subject_type=subject_type,
        subject_id=subject_id,
        details={"message_id": message.id, "channel": channel, "kind": kind, "bytes": len(payload)},
    )
    return message


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> timedelta:
    """Delay before retry number ``attempt`` (1-based): full jitter under an exponential cap."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(max(0, attempt - 1), 20)))
    return timedelta(seconds=ceiling.total_seconds() * rng())


def claim_due(
    session: Session, *, now: datetime, limit: int = 100, channels: Collection[str] | None = None
) -> Sequence[OutboxMessage]:
    """Claim up to ``limit`` due messages (of ``channels``, if given) under a lease.

    Concurrent workers claim disjoint sets.
    """
    due = ((OutboxMessage.status == OutboxStatus.PENDING.value) & (OutboxMessage.available_at <= now)) | (
        (OutboxMessage.status == OutboxStatus.DELIVERING.value) & (OutboxMessage.lease_until <= now)
    )
    stmt = select(OutboxMessage).where(due).order_by(OutboxMessage.available_at).limit(limit)
    if channels is not None:
        stmt = stmt.where(OutboxMessage.channel.in_(list(channels)))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    messages = session.scalars(stmt).all()
    for message in messages:
        message.status = OutboxStatus.DELIVERING.value
        message.lease_until = now + LEASE
        message.attempts += 1
    return messages


@dataclass
class SweepResult:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def _detached(sessions: sessionmaker[Session], ids: Sequence[str]) -> list[OutboxMessage]:
    """Detached copies of the claimed rows, for deliverers: no transaction is held during I/O."""
    with transaction(sessions) as session:
        rows = {m.id: m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
        for row in rows.values():
            session.expunge(row)
    return [rows[i] for i in ids]


def _outcome(
    deliverer: Deliverer | None, channel: str, attempt: DeliveryResult | DeliveryError | None
) -> tuple[str | None, Mapping[str, Any], bool]:
    """(error, evidence, permanent) of one delivery attempt."""
    if deliverer is None:
        return f"no deliverer for channel {channel!r}", {}, False
    if isinstance(attempt, DeliveryError):
        return str(attempt)[:500], {}, isinstance(attempt, PermanentDeliveryError)
    assert attempt is not None
    return None, attempt.evidence, False


def _groups(claimed: Sequence[tuple[str, str, str]], deliverers: Mapping[str, Deliverer]) -> list[list[str]]:
    """Claimed ids in claim order, grouped per (channel, destination) where the deliverer batches."""
    groups: list[list[str]] = []
    open_groups: dict[tuple[str, str], list[str]] = {}
    for message_id, channel, destination in claimed:
        if not isinstance(deliverers.get(channel), BatchDeliverer):
            groups.append([message_id])
            continue
        group = open_groups.get((channel, destination))
        if group is None or len(group) >= MAX_BATCH:
            group = open_groups[(channel, destination)] = []
            groups.append(group)
        group.append(message_id)
    return groups


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    clock: Clock,
    deliverers: Mapping[str, Deliverer],
    limit: int = 100,
    channels: Collection[str] | None = None,
) -> SweepResult:
    """One delivery sweep: claim (only ``channels``, if given), deliver outside the transaction, record.

    Messages for one destination of a channel whose deliverer batches (``BatchDeliverer``) go in one
    exchange, in claim order, and their outcomes are recorded in one transaction; others one by one.
    """
    with transaction(sessions) as session:
        claimed = [
            (m.id, m.channel, m.destination)
            for m in claim_due(session, now=clock.now(), limit=limit, channels=channels)
        ]
    result = SweepResult()
    groups = [_detached(sessions, group) for group in _groups(claimed, deliverers)]
    # Batches go out up to BATCHES_IN_FLIGHT at a time (the peer's inbox works on one while this worker
    # verifies and records the other); outcomes are recorded in claim order, each group in one transaction.
    with ThreadPoolExecutor(BATCHES_IN_FLIGHT, thread_name_prefix="outbox") as pool:
        pending = [
            pool.submit(_carry, deliverers.get(g[0].channel), g)
            if len(g) > 1 and isinstance(deliverers.get(g[0].channel), BatchDeliverer)
            else None
            for g in groups
        ]
        for messages, future in zip(groups, pending, strict=True):
            deliverer = deliverers.get(messages[0].channel)
            attempts = future.result() if future is not None else _carry(deliverer, messages)
            _record_group(
                sessions, clock=clock, deliverer=deliverer, messages=messages, attempts=attempts, into=result
            )
    return result


def _carry(
    deliverer: Deliverer | None, messages: Sequence[OutboxMessage]
) -> list[DeliveryResult | DeliveryError | None]:
    """Hand ``messages`` (one destination) to their deliverer: as one batch where it can, else one by one."""
    if deliverer is None:
        return [None] * len(messages)
    if len(messages) > 1 and isinstance(deliverer, BatchDeliverer):
        return list(deliverer.deliver_batch(messages))
    attempts: list[DeliveryResult | DeliveryError | None] = []
    for message in messages:
        try:
            attempts.append(deliverer.deliver(message))
        except DeliveryError as exc:
            attempts.append(exc)
    return attempts


def _record_group(
    sessions: sessionmaker[Session],
    *,
    clock: Clock,
    deliverer: Deliverer | None,
    messages: Sequence[OutboxMessage],
    attempts: Sequence[DeliveryResult | DeliveryError | None],
    into: SweepResult,
) -> None:
    with transaction(sessions) as session, session.no_autoflush:
        # One query loads the group's rows; ``_record_outcome`` then finds them in the session.
        session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_([m.id for m in messages]))).all()
        for message, attempt in zip(messages, attempts, strict=True):
            error, evidence, permanent = _outcome(deliverer, message.channel, attempt)
            _record_outcome(
                session,
                clock=clock,
                message_id=message.id,
                error=error,
                evidence=evidence,
                permanent=permanent,
            )
            if error is None:
                into.delivered += 1
            elif permanent or message.attempts >= message.max_attempts:
                into.failed += 1
            else:
                into.retried += 1


def _record_outcome(
    session: Session,
    *,
    clock: Clock,
    message_id: str,
    error: str | None,
    evidence: Mapping[str, Any],
    permanent: bool = False,
) -> None:
    message = session.get(OutboxMessage, message_id)
    assert message is not None
    now = clock.now()
    message.lease_until = None
    if error is None:
        message.status = OutboxStatus.DELIVERED.value
        message.delivered_at = now
        message.evidence = dict(evidence)
        message.last_error = None
        action = "delivered"
    elif permanent or message.attempts >= message.max_attempts:
        message.status = OutboxStatus.FAILED.value
        message.last_error = error
        action = "failed"
        raise_alert(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            kind="delivery_failed",
            severity=AlertSeverity.WARNING,
            subject_type=message.subject_type,
            subject_id=message.subject_id,
            audience=AlertAudience.ADMINISTRATORS,
            message=f"{message.kind} to {message.channel}:{message.destination} failed after "
            f"{message.attempts} attempt(s): {error}"[:500],
            details={"message_id": message.id},
            dedup_key=f"delivery_failed:{message.id}",
        )
    else:
        message.status = OutboxStatus.PENDING.value
        message.available_at = now + backoff(message.attempts)
        message.last_error = error
        action = "retry_scheduled"
        log.info("delivery of %s failed; retry scheduled", message.id, extra={"error": error})
    audit.record(
        session,
        clock=clock,
        actor=SYSTEM_ACTOR,
        tag=f"outbox:message:{action}",
        subject_type=message.subject_type,
        subject_id=message.subject_id,
        details={"message_id": message.id, "attempts": message.attempts},
    )

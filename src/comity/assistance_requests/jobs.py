"""Timers and delivery of requests: overdue escalation, preservation lapses, the in-process deliverer.

``overdue`` runs on every worker tick: a deadline passed without the step it calls for raises an
``overdue`` alert to the officers of both states (deduplicated per request and deadline) and records an
audit event once; a preservation whose period ended lapses (a step, with the engine's decision).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from comity.alerts.model import Alert, AlertAudience, AlertSeverity
from comity.alerts.service import raise_alert
from comity.assistance_requests import steps
from comity.assistance_requests.model import AssistanceRequest, Status
from comity.assistance_requests.transmission import CHANNEL
from comity.audit import service as audit
from comity.cases import holds as _holds  # noqa: F401  (the worker's retention sweep must see it)
from comity.clock import Clock
from comity.errors import ComityError
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys.queries import key_ring
from comity.outbox.model import OutboxMessage
from comity.outbox.service import DeliveryError, DeliveryResult
from comity.policy.schemas import iso_instant
from comity.transport.inprocess import Inbox, InProcessNetwork
from comity.web.container import Container
from comity.worker.jobs import register_deliverer, register_job

log = logging.getLogger("comity.assistance_requests")

#: Statuses in which the addressee still owes its answer by ``due_at``.
_AWAITING_ADDRESSEE = (
    Status.TRANSMITTED.value,
    Status.EXECUTING_STATE_REVIEWING.value,
    Status.CLARIFICATION_REQUESTED.value,
    Status.ACCEPTED.value,
)
_LAPSING = (Status.PRESERVED.value, Status.EXTENDED.value)


def _escalate(
    session: Session, *, clock: Clock, request: AssistanceRequest, what: str, due: datetime
) -> bool:
    key = f"overdue:{request.id}:{what}"
    if session.scalar(select(Alert.id).where(Alert.dedup_key == key)) is not None:
        return False
    for jurisdiction in dict.fromkeys((request.from_state, request.to_state)):
        raise_alert(
            session,
            clock=clock,
            actor=SYSTEM_ACTOR,
            kind="overdue",
            severity=AlertSeverity.WARNING,
            subject_type="assistance_request",
            subject_id=request.id,
            audience=AlertAudience.OFFICERS,
            jurisdiction=jurisdiction,
            message=f"request {request.id}: {what.replace('_', ' ')} was due {iso_instant(due)}",
            details={"request_id": request.id, "case_id": request.case_id, "deadline": what},
            # one alert per request, deadline and state; the first is the one the sweep looks for
            dedup_key=key if jurisdiction == request.from_state else f"{key}:{jurisdiction}",
        )
    audit.record(
        session,
        clock=clock,
        actor=SYSTEM_ACTOR,
        tag="requests:request:overdue",
        subject_type="assistance_request",
        subject_id=request.id,
        details={"case_id": request.case_id, "deadline": what, "due_at": iso_instant(due)},
    )
    return True


def sweep(container: Container) -> int:
    """Escalate overdue steps and lapse ended preservations; returns how many things it did."""
    now = container.clock.now()
    done = 0
    with container.transaction() as session:
        overdue = session.scalars(
            select(AssistanceRequest).where(
                or_(
                    (AssistanceRequest.status.in_(_AWAITING_ADDRESSEE)) & (AssistanceRequest.due_at <= now),
                    (AssistanceRequest.emergency.is_(True))
                    & (AssistanceRequest.validated_at.is_(None))
                    & (AssistanceRequest.ex_post_due_at <= now),
                )
            )
        ).all()
        for request in overdue:
            if request.status in _AWAITING_ADDRESSEE and request.due_at is not None and request.due_at <= now:
                done += _escalate(
                    session,
                    clock=container.clock,
                    request=request,
                    what="addressee_answer",
                    due=request.due_at,
                )
            if (
                request.validated_at is None
                and request.ex_post_due_at is not None
                and request.ex_post_due_at <= now
            ):
                done += _escalate(
                    session,
                    clock=container.clock,
                    request=request,
                    what="ex_post_validation",
                    due=request.ex_post_due_at,
                )
        lapsing = session.scalars(
            select(AssistanceRequest.id).where(
                AssistanceRequest.status.in_(_LAPSING), AssistanceRequest.preservation_ends_at <= now
            )
        ).all()
    for request_id in lapsing:
        # One transaction per lapse: one failing request must not hold back the others.
        try:
            with container.transaction() as session:
                steps.lapse(session, clock=container.clock, request_id=request_id)
            done += 1
        except ComityError:
            log.exception("lapsing request %s failed", request_id)
    return done


register_job("assistance_requests")(sweep)


class InProcessJurisdictionDeliverer:
    """Hands a request's signed bytes to the destination jurisdiction's in-process inbox.

    The inbox verifies the signature against this node's key registry and answers with delivery evidence
    (accepted, delivered), which the outbox stores. The federation capability replaces this with HTTP.
    """

    def __init__(self, container: Container) -> None:
        self._container = container
        self._network = InProcessNetwork()

    def deliver(self, message: OutboxMessage) -> DeliveryResult:
        """Deliver one message; a refusal by the inbox becomes a retryable ``DeliveryError``."""
        with self._container.transaction() as session:
            ring = key_ring(session)
        self._network.attach(Inbox(node=message.destination, keys=ring, clock=self._container.clock))
        try:
            receipt = self._network.transport(message.destination).send(message.destination, message.payload)
        except ComityError as exc:
            raise DeliveryError(f"{message.destination} refused {message.kind}: {exc}") from exc
        finally:
            self._network.detach(message.destination)
        evidence: dict[str, Any] = {
            "message_id": receipt.message_id,
            "digest": receipt.digest,
            "status": receipt.status.value,
            "evidence": [
                {"kind": e.kind.value, "at": iso_instant(e.at), "previous": e.previous}
                for e in receipt.evidence
            ],
        }
        return DeliveryResult(evidence=evidence)


register_deliverer(CHANNEL, InProcessJurisdictionDeliverer)

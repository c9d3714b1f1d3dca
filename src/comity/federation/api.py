"""Federation API: the inbox other nodes deliver to, and the administration of peers and their trust."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comity.alerts.model import AlertAudience, AlertSeverity
from comity.alerts.service import raise_alert
from comity.errors import ComityError, FieldError, InvalidInput
from comity.federation import directory, dispatch
from comity.federation.inbox import MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, Received, receive, receive_many
from comity.federation.model import Peer, ReceivedMessage
from comity.federation.schemas import PeerCreate, PeerRead, ReceivedRead, TrustImportRead
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.keys.keystore import Keystore
from comity.signing.errors import CodedVerificationError
from comity.transport.message import digest_of
from comity.web.container import Container
from comity.web.deps import get_container, node_administrator, public
from comity.web.ratelimit import TokenBucketLimiter

router = APIRouter(tags=["federation"])
log = logging.getLogger("comity.federation")
_admin = node_administrator

#: Refusals that suggest tampering or misuse rather than a late or misrouted message: an alert is raised.
ALERTING_CODES = frozenset(
    {"bad_signature", "decryption_failed", "replayed", "key_revoked", "wrong_sender", "untrusted_key"}
)


class PayloadTooLarge(ComityError):
    """The body is larger than the inbox reads (refused before parsing anything)."""

    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


def _refuse_declared_size(request: Request, limit: int, what: str) -> None:
    """Refuse a body whose declared length is over ``limit`` before reading any of it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"{what} is at most {limit} bytes; {declared} declared")


def _alert(container: Container, data: bytes, error: CodedVerificationError) -> None:
    # In its own transaction: the refused delivery's transaction was rolled back, the alert must stay.
    digest = digest_of(data)
    with container.transaction() as session:
        raise_alert(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            kind="federation_refused",
            severity=AlertSeverity.WARNING,
            subject_type="federation_message",
            subject_id=digest,
            audience=AlertAudience.ADMINISTRATORS,
            message=f"a message delivered to the inbox was refused: {error.code}",
            details={"code": error.code, "detail": error.detail[:300], "digest": digest},
            dedup_key=f"federation_refused:{digest}:{error.code}",
        )


def _limited(request: Request) -> None:
    """One token of the caller address's bucket (``web.ratelimit``), before the body is even read."""
    limiter: TokenBucketLimiter = request.app.state.inbox_limiter
    limiter.take(request.client.host if request.client else "unknown")


def _receive(container: Container, data: bytes) -> Received:
    keystore = Keystore.for_settings(container.settings)
    node = container.settings.node_jurisdiction.upper()
    try:
        for attempt in (1, 2):
            try:
                with container.transaction() as session:
                    return receive(session, clock=container.clock, keystore=keystore, node=node, data=data)
            except IntegrityError:
                # Two deliveries of one message raced; the second pass finds the first's row.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
    except CodedVerificationError as exc:
        if exc.code in ALERTING_CODES:
            _alert(container, data, exc)
        raise


@router.post(
    "/federation/inbox",
    dependencies=[Depends(public), Depends(_limited)],
    summary="Deliver a signed message",
)
async def inbox(request: Request, container: Container = Depends(get_container)) -> JSONResponse:
    """Deliver one signed (sealed) message; answers a signed receipt (the same one again for a repeat).

    Public: the signature by a peer's node key authenticates the sender, not a bearer token.
    """
    _refuse_declared_size(request, MAX_MESSAGE_BYTES, "a message")
    data = await request.body()
    if len(data) > MAX_MESSAGE_BYTES:
        raise PayloadTooLarge(f"a message is at most {MAX_MESSAGE_BYTES} bytes")
    received = await run_in_threadpool(_receive, container, data)
    return JSONResponse(received.receipt, status_code=200)


#: Most messages one batch may carry (one transaction: a bound on how long it holds the write lock).
MAX_BATCH = 500


def _receive_batch(container: Container, items: list[bytes]) -> list[dict[str, Any]]:
    keystore = Keystore.for_settings(container.settings)
    node = container.settings.node_jurisdiction.upper()
    results: list[dict[str, Any]] = []
    refused: list[tuple[bytes, CodedVerificationError]] = []
    with container.transaction() as session:
        outcomes = receive_many(session, clock=container.clock, keystore=keystore, node=node, items=items)
    for data, outcome in zip(items, outcomes, strict=True):
        if isinstance(outcome, CodedVerificationError):
            results.append({"status": outcome.status, "code": outcome.code, "detail": outcome.detail})
            if outcome.code in ALERTING_CODES:
                refused.append((data, outcome))
        else:
            results.append({"status": 200, "receipt": outcome.receipt})
    for data, error in refused:
        _alert(container, data, error)
    return results


@router.post(
    "/federation/inbox/batch",
    dependencies=[Depends(public), Depends(_limited)],
    summary="Deliver several signed messages",
)
async def inbox_batch(request: Request, container: Container = Depends(get_container)) -> JSONResponse:
    """Deliver up to 500 messages in one request and one transaction: ``{"messages": [base64, ...]}``.

    Answers ``{"results": [...]}`` in order, each ``{"status": 200, "receipt"}`` or ``{"status", "code",
    "detail"}``: one refused message does not refuse the others.
    """
    _refuse_declared_size(request, MAX_BATCH_BYTES, "a batch")
    raw = await request.body()
    if len(raw) > MAX_BATCH_BYTES:
        raise PayloadTooLarge(f"a batch is at most {MAX_BATCH_BYTES} bytes")
    try:
        document = json.loads(raw)
        encoded = document["messages"]
        if not isinstance(encoded, list) or not all(isinstance(m, str) for m in encoded):
            raise TypeError("messages")
        items = [base64.b64decode(m, validate=True) for m in encoded]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidInput(
            'a batch is {"messages": [base64 envelope, ...]}', [FieldError("messages", str(exc)[:200])]
        ) from None
    if not 0 < len(items) <= MAX_BATCH or any(len(i) > MAX_MESSAGE_BYTES for i in items):
        raise InvalidInput(
            "batch size",
            [FieldError("messages", f"1 to {MAX_BATCH} messages of at most {MAX_MESSAGE_BYTES} bytes")],
        )
    results = await run_in_threadpool(_receive_batch, container, items)
    return JSONResponse({"results": results}, status_code=200)


def _peer_read(session: Session, peer: Peer) -> PeerRead:
    read = PeerRead.model_validate(peer)
    trust = directory.latest_import(session, peer.jurisdiction)
    if trust is not None:
        read.anchors = trust.anchors.split(",")
        read.trust_exported_at = trust.exported_at
    return read


@router.get("/federation/peers", response_model=list[PeerRead])
def list_peers(
    _: Principal = Depends(_admin), container: Container = Depends(get_container)
) -> list[PeerRead]:
    """The peer directory."""
    with container.transaction() as session:
        return [_peer_read(session, p) for p in directory.list_peers(session)]


@router.post("/federation/peers", response_model=PeerRead, status_code=201)
def add_peer(
    body: PeerCreate, principal: Principal = Depends(_admin), container: Container = Depends(get_container)
) -> PeerRead:
    """Record or update a peer node."""
    with container.transaction() as session:
        peer = directory.add_peer(
            session,
            clock=container.clock,
            actor=principal.actor,
            node=container.settings.node_jurisdiction,
            jurisdiction=body.jurisdiction,
            base_url=body.base_url,
            name=body.name,
            agreements=body.agreements,
        )
        return _peer_read(session, peer)


@router.delete("/federation/peers/{jurisdiction}", response_model=PeerRead)
def remove_peer(
    jurisdiction: str, principal: Principal = Depends(_admin), container: Container = Depends(get_container)
) -> PeerRead:
    """Stop exchanging with a peer (kept on record)."""
    with container.transaction() as session:
        peer = directory.remove_peer(
            session, clock=container.clock, actor=principal.actor, jurisdiction=jurisdiction
        )
        return _peer_read(session, peer)


@router.post("/federation/trust", response_model=TrustImportRead, status_code=201)
async def import_trust(
    request: Request, principal: Principal = Depends(_admin), container: Container = Depends(get_container)
) -> TrustImportRead:
    """Import a peer's exported trust store (the request body, as exported): an audited act."""
    document = await request.body()
    if not document:
        raise InvalidInput("the body is the peer's trust store", [FieldError("body", "empty")])

    def _import() -> TrustImportRead:
        with container.transaction() as session:
            row = directory.import_trust(
                session,
                clock=container.clock,
                actor=principal.actor,
                node=container.settings.node_jurisdiction,
                document=document,
            )
            return TrustImportRead.model_validate(row)

    return await run_in_threadpool(_import)


@router.get("/federation/received", response_model=list[ReceivedRead])
def list_received(
    state: Literal["all", "pending", "failed", "retrieved"] = Query("all"),
    limit: int = Query(100, ge=1, le=1000),
    _: Principal = Depends(_admin),
    container: Container = Depends(get_container),
) -> list[ReceivedRead]:
    """Messages received from peers, newest first, with their handling state (``failed``: given up)."""
    stmt = select(ReceivedMessage).order_by(ReceivedMessage.received_at.desc()).limit(limit)
    if state == "pending":
        stmt = stmt.where(
            ReceivedMessage.retrieved_at.is_(None), ReceivedMessage.handling_failed_at.is_(None)
        )
    elif state == "failed":
        stmt = stmt.where(ReceivedMessage.handling_failed_at.is_not(None))
    elif state == "retrieved":
        stmt = stmt.where(ReceivedMessage.retrieved_at.is_not(None))
    with container.transaction() as session:
        return [ReceivedRead.model_validate(row) for row in session.scalars(stmt)]


@router.post("/federation/received/{message_id}/requeue", response_model=ReceivedRead)
def requeue_received(
    message_id: str, principal: Principal = Depends(_admin), container: Container = Depends(get_container)
) -> ReceivedRead:
    """Hand a given-up message to its handler again (after its cause was fixed); audited."""
    with container.transaction() as session:
        row = dispatch.requeue(session, clock=container.clock, actor=principal.actor, message_id=message_id)
        return ReceivedRead.model_validate(row)

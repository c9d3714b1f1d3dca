"""Sending to a peer: the egress gate seals the message into the outbox; the HTTP deliverer carries it.

``send`` runs in the caller's transaction (the message leaves only if the change that causes it commits).
The outbox worker then POSTs the exact stored bytes to the peer's inbox with its backoff; a retry resends
the same bytes, so the peer answers the original receipt and nothing is delivered twice. The receipt is
verified (the peer's node key, this message's id and digest, a chain ending in DELIVERED) before it is kept
as the delivery evidence; a refusal or an unverifiable receipt counts as a failed attempt, and after the
bounded attempts the outbox raises the failed-delivery alert.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy.orm import Session

from comity.agreements.service import get_agreement
from comity.clock import Clock
from comity.errors import ComityError
from comity.federation.directory import PeerKeys, active_peer
from comity.federation.pseudonyms import SharedPseudonymSecrets
from comity.keys.keystore import Keystore
from comity.keys.queries import signer_for
from comity.outbox import service as outbox
from comity.outbox.model import OutboxMessage
from comity.outbox.service import DeliveryError, DeliveryResult, PermanentDeliveryError
from comity.signing.envelope import Envelope, PayloadType
from comity.signing.keys import KeyPurpose
from comity.transport.egress import EgressGate, Outbound, Prepared
from comity.transport.errors import EgressRefused
from comity.transport.inprocess import InProcessNetwork
from comity.transport.message import digest_of
from comity.web.container import Container

#: The outbox channel of messages to peer nodes over HTTP.
CHANNEL = "federation"
INBOX_PATH = "/api/v1/federation/inbox"
BATCH_INBOX_PATH = "/api/v1/federation/inbox/batch"
DEFAULT_MAX_ATTEMPTS = 8


def send(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    keystore: Keystore,
    node: str,
    item: Outbound,
    agreement_id: str,
    subject_type: str,
    subject_id: str,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> tuple[Prepared, OutboxMessage]:
    """Minimise, mark, sign and seal ``item`` to its peer through the egress gate, and queue it."""
    peer = active_peer(session, item.recipient)
    if agreement_id not in peer.agreements:
        raise EgressRefused(
            f"agreement {agreement_id} is not in force with {peer.jurisdiction} on this node",
            path="agreement",
        )
    agreement = get_agreement(session, agreement_id).agreement
    now = clock.now()
    seal_to = PeerKeys.load(session).encryption_key(peer.jurisdiction, now)
    signer = signer_for(
        session, keystore=keystore, purpose=KeyPurpose.NODE_SIGNING, jurisdiction=node, at=now
    )
    # ``prepare`` never uses the gate's transport (the outbox worker carries the bytes); the gate wants one.
    # Pseudonyms under the key the agreement's parties share (never a key of this node alone: see
    # ``comity.federation.pseudonyms``), so that exact matches link on the peer's node too.
    gate = EgressGate(
        node=node,
        signer=signer,
        clock=clock,
        secrets=SharedPseudonymSecrets(session, keystore, node=node, clock=clock),
        transport=InProcessNetwork().transport(node),
    )
    prepared = gate.prepare(item, agreement=agreement, seal_to=seal_to)
    row = outbox.enqueue(
        session,
        clock=clock,
        actor=actor,
        channel=CHANNEL,
        destination=peer.jurisdiction,
        kind=item.kind,
        payload=prepared.data,
        content_type=PayloadType.MESSAGE,
        subject_type=subject_type,
        subject_id=subject_id,
        idempotency_key=f"federation:{prepared.message_id}",
        max_attempts=max_attempts,
    )
    return prepared, row


def _message_id(payload: bytes) -> str:
    """The message id in the header of bytes this node signed itself."""
    header = json.loads(Envelope.from_json(payload).payload)
    return str(header["message_id"])


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return f"{body.get('code') or body.get('type', '')}: {str(body.get('detail', ''))[:300]}"
    return str(body)[:200]


class HttpFederationDeliverer:
    """Carries outbox messages of the ``federation`` channel to peers' inboxes over HTTP(S)."""

    def __init__(self, container: Container, *, client: httpx.Client | None = None) -> None:
        self._container = container
        self._client = client or httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0))

    def deliver(self, message: OutboxMessage) -> DeliveryResult:
        """POST the stored bytes; verify and return the peer's signed receipt as the evidence."""
        with self._container.transaction() as session:
            try:
                peer = active_peer(session, message.destination)
            except ComityError as exc:
                raise DeliveryError(str(exc)) from exc
            keys = PeerKeys.load(session)
            url = peer.base_url + INBOX_PATH
        try:
            response = self._client.post(
                url, content=message.payload, headers={"Content-Type": PayloadType.MESSAGE}
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{message.destination} unreachable at {url}: {exc}") from exc
        if response.status_code != 200:
            # A 4xx is the peer's considered refusal of these exact bytes (tampered, expired, not for it):
            # resending them cannot succeed. A 5xx or 429 may pass, so it is retried with backoff.
            refused = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
            error = PermanentDeliveryError if refused else DeliveryError
            raise error(
                f"{message.destination} refused the message ({response.status_code} {_problem(response)})"
            )
        return self._verified(message, response.content, keys)

    def _verified(self, message: OutboxMessage, answer: bytes, keys: PeerKeys) -> DeliveryResult:
        """The peer's receipt for ``message``, verified, as the delivery evidence; else ``DeliveryError``."""
        from comity.federation.receipts import verify_receipt

        try:
            receipt: dict[str, Any] = verify_receipt(
                answer,
                keys=keys,
                message_id=_message_id(message.payload),
                digest=digest_of(message.payload),
                recipient=message.destination,
                at=self._container.clock.now(),
            )
        except ComityError as exc:
            raise DeliveryError(f"the receipt of {message.destination} does not verify: {exc}") from exc
        return DeliveryResult(evidence={"status": "delivered", "receipt": receipt})

    def deliver_batch(self, messages: Sequence[OutboxMessage]) -> list[DeliveryResult | DeliveryError]:
        """POST several messages for one peer to its batch inbox; one verified outcome per message.

        The batch is one request and one transaction on the peer, so a backlog drains at the inbox's
        batched rate; each message still gets its own receipt (or refusal), verified like a single one.
        """
        destination = messages[0].destination
        if any(m.destination != destination for m in messages):
            raise ValueError("a batch goes to one destination")
        with self._container.transaction() as session:
            try:
                peer = active_peer(session, destination)
            except ComityError as exc:
                return [DeliveryError(str(exc)) for _ in messages]
            keys = PeerKeys.load(session)
            url = peer.base_url + BATCH_INBOX_PATH
        body = {"messages": [base64.b64encode(m.payload).decode("ascii") for m in messages]}
        try:
            response = self._client.post(url, json=body)
        except httpx.HTTPError as exc:
            return [DeliveryError(f"{destination} unreachable at {url}: {exc}") for _ in messages]
        if response.status_code != 200:
            # The batch as a whole was not taken (limit, overload, a node without the batch route):
            # nothing was stored, every message is tried again with backoff.
            why = f"{destination} did not take the batch ({response.status_code} {_problem(response)})"
            return [DeliveryError(why) for _ in messages]
        try:
            results = response.json()["results"]
            if not isinstance(results, list) or len(results) != len(messages):
                raise ValueError("not one result per message")
        except (ValueError, KeyError, TypeError) as exc:
            return [DeliveryError(f"{destination} answered the batch with nonsense: {exc}") for _ in messages]
        outcomes: list[DeliveryResult | DeliveryError] = []
        for message, result in zip(messages, results, strict=True):
            status = result.get("status") if isinstance(result, dict) else None
            if status == 200:
                answer = json.dumps(result.get("receipt")).encode()
                try:
                    outcomes.append(self._verified(message, answer, keys))
                except DeliveryError as exc:
                    outcomes.append(exc)
                continue
            refused = isinstance(status, int) and 400 <= status < 500 and status not in (408, 429)
            kind = PermanentDeliveryError if refused else DeliveryError
            code = result.get("code", "") if isinstance(result, dict) else ""
            outcomes.append(kind(f"{destination} refused the message ({status} {code})"))
        return outcomes

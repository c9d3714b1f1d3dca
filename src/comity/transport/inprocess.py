"""An in-process transport: node inboxes in one process, for tests, the simulator and the demo.

The :class:`Inbox` is the receiving side any transport needs (the HTTP one will persist it): it verifies each
message before taking it, receipts the same bytes idempotently (a retry gets the original receipt, and
nothing is delivered twice), refuses a message id that comes back with other content, and refuses expired
messages. The ids of expired messages can then be forgotten, since expiry alone refuses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import nacl.public

from comity.clock import Clock
from comity.signing.errors import Replayed
from comity.signing.keys import KeyResolver, Signer
from comity.transport.errors import DeliveryFailed
from comity.transport.evidence import make_evidence
from comity.transport.interface import DeliveryReceipt, Evidence, EvidenceType
from comity.transport.message import DEFAULT_MAX_SKEW, InboundMessage, digest_of, open_message


@dataclass
class _Entry:
    inbound: InboundMessage
    evidence: list[Evidence] = field(default_factory=list)
    retrieved: bool = False


class Inbox:
    """The inbox of one node: verification, deduplication, replay refusal and delivery evidence."""

    def __init__(
        self,
        *,
        node: str,
        keys: KeyResolver,
        clock: Clock,
        signer: Signer | None = None,
        decryption_keys: Mapping[str, nacl.public.PrivateKey] | None = None,
        max_skew: timedelta = DEFAULT_MAX_SKEW,
    ) -> None:
        self.node = node
        self._keys = keys
        self._clock = clock
        self._signer = signer
        self._decryption_keys = dict(decryption_keys or {})
        self._max_skew = max_skew
        self._entries: dict[str, _Entry] = {}  # message id -> entry, in arrival order
        self._by_digest: dict[str, str] = {}  # digest of the bytes -> message id

    def _evidence(self, entry: _Entry, kind: EvidenceType) -> None:
        message = entry.inbound.message
        entry.evidence.append(
            make_evidence(
                kind,
                message_id=message.message_id,
                digest=entry.inbound.digest,
                sender=message.sender,
                recipient=message.recipient,
                at=self._clock.now(),
                previous=entry.evidence[-1] if entry.evidence else None,
                signer=self._signer,
            )
        )

    def _receipt(self, entry: _Entry, *, duplicate: bool) -> DeliveryReceipt:
        message = entry.inbound.message
        return DeliveryReceipt(
            message_id=message.message_id,
            digest=entry.inbound.digest,
            sender=message.sender,
            recipient=message.recipient,
            evidence=tuple(entry.evidence),
            duplicate=duplicate,
        )

    def accept(self, data: bytes) -> DeliveryReceipt:
        """Verify ``data`` and put it in the inbox; raises the precise ``VerificationError`` if refused."""
        known = self._by_digest.get(digest_of(data))
        if known is not None:
            # These exact bytes verified before: a retry. Same receipt, nothing delivered twice.
            return self._receipt(self._entries[known], duplicate=True)
        inbound = open_message(
            data,
            keys=self._keys,
            recipient=self.node,
            at=self._clock.now(),
            decryption_keys=self._decryption_keys,
            max_skew=self._max_skew,
        )
        message_id = inbound.message.message_id
        if message_id in self._entries:
            raise Replayed(
                f"message {message_id} was already received with other content: replay refused",
                id=message_id,
            )
        entry = _Entry(inbound=inbound)
        self._evidence(entry, EvidenceType.ACCEPTED)
        self._entries[message_id] = entry
        self._by_digest[inbound.digest] = message_id
        self._evidence(entry, EvidenceType.DELIVERED)
        return self._receipt(entry, duplicate=False)

    def retrieve(self, *, limit: int = 100) -> list[InboundMessage]:
        """Take out up to ``limit`` messages not yet retrieved, oldest first (retrieval evidence)."""
        taken: list[InboundMessage] = []
        for entry in self._entries.values():
            if len(taken) >= limit:
                break
            if not entry.retrieved:
                entry.retrieved = True
                self._evidence(entry, EvidenceType.RETRIEVED)
                taken.append(entry.inbound)
        return taken

    def receipt(self, message_id: str) -> DeliveryReceipt:
        """The evidence so far of one message (the sender asks after retrieval)."""
        entry = self._entries.get(message_id)
        if entry is None:
            raise DeliveryFailed(f"{self.node} holds no message {message_id[:100]}")
        return self._receipt(entry, duplicate=False)

    def prune(self) -> int:
        """Forget retrieved, expired messages (expiry alone now refuses a replay); return how many."""
        now = self._clock.now()
        stale = [
            mid for mid, e in self._entries.items() if e.retrieved and e.inbound.message.expires_at <= now
        ]
        for message_id in stale:
            entry = self._entries.pop(message_id)
            self._by_digest.pop(entry.inbound.digest, None)
        return len(stale)


class InProcessNetwork:
    """A registry of node inboxes in one process; a node missing from it is "down"."""

    def __init__(self) -> None:
        self._inboxes: dict[str, Inbox] = {}

    def attach(self, inbox: Inbox) -> None:
        """Connect a node's inbox."""
        if inbox.node in self._inboxes:
            raise ValueError(f"a node {inbox.node} is already attached")
        self._inboxes[inbox.node] = inbox

    def detach(self, node: str) -> Inbox:
        """Disconnect a node (simulates a peer that is down); returns its inbox to re-attach later."""
        return self._inboxes.pop(node)

    def inbox(self, node: str) -> Inbox:
        """The inbox of ``node``, or :class:`DeliveryFailed` if it is not reachable."""
        try:
            return self._inboxes[node]
        except KeyError:
            raise DeliveryFailed(f"node {node[:40]} is not reachable", destination=node[:40]) from None

    def transport(self, node: str) -> InProcessTransport:
        """The transport of ``node`` on this network."""
        return InProcessTransport(self, node)


class InProcessTransport:
    """The :class:`~comity.transport.interface.Transport` of one node on an :class:`InProcessNetwork`."""

    def __init__(self, network: InProcessNetwork, node: str) -> None:
        self._network = network
        self.node = node

    def send(self, destination: str, message: bytes) -> DeliveryReceipt:
        """Hand the bytes to ``destination``'s inbox (copied: nothing shared but bytes)."""
        return self._network.inbox(destination).accept(bytes(message))

    def receive(self, *, limit: int = 100) -> list[InboundMessage]:
        """Retrieve messages addressed to this node."""
        return self._network.inbox(self.node).retrieve(limit=limit)

    def receipt(self, destination: str, message_id: str) -> DeliveryReceipt:
        """The evidence so far of a message this node sent."""
        return self._network.inbox(destination).receipt(message_id)

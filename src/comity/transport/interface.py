"""The transport contract: serialised bytes between jurisdictions, and the evidence of their delivery.

A transport never sees objects, only the bytes the egress gate produced (minimised, marked, signed and,
where the recipient has an encryption key, sealed). Implementations: in-process (``inprocess.py``) now,
HTTP in the federation capability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from comity.signing.envelope import Envelope
from comity.transport.message import InboundMessage


class EvidenceType(StrEnum):
    """Delivery evidence, after e-CODEX's ETSI REM evidences (``cross_border_requests.md`` §3.3).

    ``accepted``: SUBMISSION_ACCEPTANCE / RELAY_REMMD_ACCEPTANCE (the receiving node verified and took it);
    ``delivered``: DELIVERY (it is in the recipient's inbox); ``retrieved``: RETRIEVAL (the recipient
    took it out). Rejections are not evidence but errors raised to the sender, with their reason.
    """

    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    RETRIEVED = "retrieved"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One delivery event, signed by the receiving node when it has a node signing key."""

    kind: EvidenceType
    message_id: str
    digest: str  # SHA-256 of the exact message bytes
    sender: str
    recipient: str
    at: datetime
    previous: str | None  # digest of the previous evidence of this message: evidence is chained
    signed: Envelope | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What the sender gets back for one message: the evidence so far."""

    message_id: str
    digest: str
    sender: str
    recipient: str
    evidence: tuple[Evidence, ...]
    #: This exact message had been received before; nothing was delivered twice (idempotent receipt).
    duplicate: bool = False

    @property
    def status(self) -> EvidenceType:
        """The latest evidence."""
        return self.evidence[-1].kind


class Transport(Protocol):
    """Carries serialised messages of one node to other nodes and collects those addressed to it."""

    def send(self, destination: str, message: bytes) -> DeliveryReceipt:
        """Hand ``message`` to ``destination``'s node; raises ``DeliveryFailed`` or why it was refused."""
        ...

    def receive(self, *, limit: int = 100) -> Sequence[InboundMessage]:
        """Take up to ``limit`` verified messages out of this node's inbox (retrieval evidence)."""
        ...

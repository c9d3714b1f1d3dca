"""Verifying the custody chains of a bundle, item by item: no database, no network, no shared state.

:func:`verify_items` checks a run of items against a :class:`ChainContext` (the trust store, the verified
checkpoint's size and root, the bundle's lines) and returns what it proved, or the first fault it met as
data, so runs of items can be checked in separate processes and the earliest fault still reported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from comity.custody import bundle_format as fmt
from comity.custody.errors import (
    BundleFileMissing,
    ChainBroken,
    EvidenceHashMismatch,
    IllegalCustodySequence,
    MalformedBundle,
    SignerMismatch,
)
from comity.custody.payload import (
    AUDIT_ENVELOPE_KEY,
    AUDIT_EVENT_KEY,
    AUDIT_EVIDENCE_KEY,
    AUDIT_SUBJECT_TYPE,
    AUDIT_TAG_PREFIX,
    HEX64,
    NODE_ACTOR_PREFIX,
    CustodyPayload,
)
from comity.custody.states import CustodyAction, CustodyState, next_state
from comity.errors import IllegalTransition, VerificationError
from comity.keys.truststore import TrustStore
from comity.signing.envelope import Envelope, PayloadType, verify
from comity.signing.errors import BadSignature, UnexpectedPayloadType, UnknownKey, UntrustedKey
from comity.signing.keys import KeyInfo, KeyPurpose
from comity.signing.payload import Fields
from comity.verify import LeafMismatch, decode_entry, leaf_hash, verify_inclusion

_CUSTODY_PURPOSES = frozenset({KeyPurpose.OFFICER_SIGNING, KeyPurpose.NODE_SIGNING})
_HASH_HEX = 64
#: How long after its stated signing time a custody event may have been recorded in the audit trail.
#: Both happen in one transaction; the margin covers the signing time's truncation to the second.
MAX_RECORDING_DELAY = timedelta(minutes=5)
_HASH_BYTES = 32


@dataclass(frozen=True, slots=True)
class ItemRef:
    """One item of the manifest, and where its events start in the envelope and entry lines."""

    number: int
    evidence: str
    sha256: str
    size: int
    events: int
    file: str | None
    start: int

    @property
    def where(self) -> str:
        """How messages name this item."""
        return f"manifest.items[{self.number}]"


@dataclass(frozen=True)
class ChainContext:
    """What every chain is checked against."""

    trust: TrustStore
    case: str
    tree_size: int
    root_hash: bytes
    files: dict[str, str]
    envelopes: list[bytes]
    entries: list[bytes]
    proofs: list[bytes]


@dataclass
class PartResult:
    """What a run of items proved, or the first fault (class, message, extensions) it met."""

    items: int = 0
    events: int = 0
    evidence_files: int = 0
    evidence_bytes: int = 0
    destroyed: int = 0
    signers: set[str] = field(default_factory=set)
    commitments: dict[str, str | None] = field(default_factory=dict)
    fault: tuple[type[VerificationError], str, dict[str, Any]] | None = None

    def merge(self, other: PartResult) -> None:
        """Add ``other``'s counts (faults are handled by the caller, in order)."""
        self.items += other.items
        self.events += other.events
        self.evidence_files += other.evidence_files
        self.evidence_bytes += other.evidence_bytes
        self.destroyed += other.destroyed
        self.signers |= other.signers
        self.commitments.update(other.commitments)


def parse_items(raw_items: list[Any], *, envelopes: int, entries: int, proofs: int) -> list[ItemRef]:
    """Read the manifest's items; their event counts must account for every envelope and entry line."""
    refs: list[ItemRef] = []
    position = 0
    for number, raw in enumerate(raw_items):
        item = Fields(raw, path=f"manifest.items[{number}]", error=MalformedBundle)
        item.only(("evidence", "sha256", "size", "file", "events"))
        count = item.integer("events")
        if count < 1 or position + count > envelopes:
            raise ChainBroken(f"manifest.items[{number}]: {count} events announced, the bundle holds fewer")
        path = item.raw("file")
        if path is not None and not isinstance(path, str):
            raise MalformedBundle(f"manifest.items[{number}].file: expected a path or null")
        refs.append(
            ItemRef(
                number=number,
                evidence=item.text("evidence"),
                sha256=item.text("sha256", pattern=HEX64),
                size=item.integer("size"),
                events=count,
                file=path,
                start=position,
            )
        )
        position += count
    if position != envelopes:
        raise ChainBroken(f"{fmt.ENVELOPES} holds {envelopes - position} event(s) no item announces")
    for name, count in ((fmt.ENTRIES, entries), (fmt.PROOFS, proofs)):
        if count < envelopes:
            raise BundleFileMissing(f"{name} holds {count} lines for {envelopes} events")
        if count > envelopes:
            raise MalformedBundle(f"{name} holds more lines than there are events")
    return refs


def _proof(line: bytes, where: str) -> tuple[int, list[bytes]]:
    """Read ``<index> <hex>...``; every hash is then checked against the root, so this only refuses
    what is not an index and hashes at all."""
    index, *hashes = line.split(b" ")
    try:
        if not index.isdigit() or any(len(h) != _HASH_HEX for h in hashes):
            raise ValueError("not an index and 64-digit hex hashes")
        joined = bytes.fromhex(b"".join(hashes).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise MalformedBundle(f"{where}: not an index and hex SHA-256 hashes") from None
    return int(index), [joined[i : i + _HASH_BYTES] for i in range(0, len(joined), _HASH_BYTES)]


def check_signer(key: KeyInfo, payload: CustodyPayload, where: str) -> None:
    """Refuse a custody event signed by a key that is not its named actor's (officer or node key)."""
    if payload.is_node_action:
        node = NODE_ACTOR_PREFIX + key.holder.jurisdiction
        ok = key.purpose is KeyPurpose.NODE_SIGNING and payload.actor == node
    else:
        ok = key.purpose is KeyPurpose.OFFICER_SIGNING and key.holder.officer == payload.actor
    if not ok or key.holder.jurisdiction != payload.jurisdiction:
        raise SignerMismatch(
            f"{where} names actor {payload.actor} of {payload.jurisdiction} but is signed by key {key.keyid} "
            f"({key.purpose.value} of {key.holder.describe()})",
            keyid=key.keyid,
        )


def _check_leaf(entry_bytes: bytes, index: int, payload: CustodyPayload, digest: str, where: str) -> None:
    entry = decode_entry(entry_bytes)
    details = entry.details
    expected = {
        "index": (entry.index, index),
        "tag": (entry.tag, AUDIT_TAG_PREFIX + payload.action.value),
        "subject_type": (entry.subject_type, AUDIT_SUBJECT_TYPE),
        "subject_id": (entry.subject_id, payload.evidence),
        AUDIT_EVENT_KEY: (details.get(AUDIT_EVENT_KEY), payload.event),
        AUDIT_ENVELOPE_KEY: (details.get(AUDIT_ENVELOPE_KEY), digest),
        AUDIT_EVIDENCE_KEY: (details.get(AUDIT_EVIDENCE_KEY), payload.sha256),
    }
    for name, (found, wanted) in expected.items():
        if found != wanted:
            raise LeafMismatch(
                f"{where}: log entry {index} records {name} {str(found)[:80]!r}, not {wanted!r}"
            )
    # The signer states when it signed; the node recorded the event in the same transaction, and that
    # record sits under a witnessed checkpoint. Tying the two keeps a signer (or a thief of a key revoked
    # since) from backdating a signature into the key's validity period.
    try:
        recorded = datetime.fromisoformat(entry.occurred_at.removesuffix("Z")).replace(tzinfo=UTC)
    except ValueError:
        raise LeafMismatch(f"{where}: log entry {index} has no readable time") from None
    delay = (recorded - payload.occurred_at).total_seconds()
    if not 0 <= delay <= MAX_RECORDING_DELAY.total_seconds():
        raise LeafMismatch(
            f"{where} claims to be signed at {payload.occurred_at.isoformat()} but the node recorded it "
            f"at {recorded.isoformat()}"
        )


def _signature_holds(trust: TrustStore, envelope: Envelope) -> None:
    """Raise if the envelope's signature itself fails (bad, unknown key, wrong type); else return.

    The signing time is unknown while the payload cannot be read, so key validity is not judged here.
    """
    try:
        verify(
            envelope,
            keys=trust,
            expected_type=PayloadType.CUSTODY_EVENT,
            purposes=_CUSTODY_PURPOSES,
            at=trust.exported_at,
        )
    except (BadSignature, UnknownKey, UnexpectedPayloadType, UntrustedKey):
        raise
    except VerificationError:
        return


def _verify_event(
    ctx: ChainContext, ref: ItemRef, seq: int, previous: str | None, result: PartResult
) -> tuple[CustodyPayload, str]:
    """Check one event; returns its payload and envelope hash (the next event's ``previous``)."""
    where = f"event #{seq} of evidence {ref.evidence}"
    line = ctx.envelopes[ref.start + seq - 1]
    envelope = Envelope.from_json(line)
    try:
        claimed = CustodyPayload.from_payload(envelope.payload)
    except VerificationError:
        _signature_holds(ctx.trust, envelope)  # an altered payload reads as a forgery, not as a typo
        raise
    verified = verify(
        envelope,
        keys=ctx.trust,
        expected_type=PayloadType.CUSTODY_EVENT,
        purposes=_CUSTODY_PURPOSES,
        at=claimed.occurred_at,
    )
    check_signer(verified.key, claimed, where)
    result.signers.add(verified.key.keyid)
    if claimed.evidence != ref.evidence or claimed.seq != seq:
        raise ChainBroken(f"{where}: found event #{claimed.seq} of evidence {claimed.evidence} instead")
    if claimed.sha256 != ref.sha256 or claimed.size != ref.size:
        raise EvidenceHashMismatch(
            f"{where} is signed about bytes {claimed.sha256} ({claimed.size} bytes); "
            f"the manifest says {ref.sha256} ({ref.size} bytes)"
        )
    if claimed.case != ctx.case:
        raise MalformedBundle(f"{where} belongs to case {claimed.case}, not {ctx.case}")
    if claimed.previous != previous:
        raise ChainBroken(f"{where} does not link to the event before it (reordered, removed or inserted)")
    digest = hashlib.sha256(line).hexdigest()
    entry_bytes = ctx.entries[ref.start + seq - 1]
    index, proof = _proof(ctx.proofs[ref.start + seq - 1], f"{fmt.PROOFS}: {where}")
    _check_leaf(entry_bytes, index, claimed, digest, where)
    verify_inclusion(index, ctx.tree_size, leaf_hash(entry_bytes), proof, ctx.root_hash)
    return claimed, digest


def _verify_item(ctx: ChainContext, ref: ItemRef, result: PartResult) -> None:
    state: CustodyState | None = None
    previous: str | None = None
    last: CustodyPayload | None = None
    for seq in range(1, ref.events + 1):
        claimed, previous = _verify_event(ctx, ref, seq, previous, result)
        if last is not None and claimed.occurred_at < last.occurred_at:
            raise ChainBroken(f"event #{seq} of evidence {ref.evidence} is dated before the event it follows")
        try:
            state = next_state(state, claimed.action, subject=f"evidence {ref.evidence}")
        except IllegalTransition as exc:
            raise IllegalCustodySequence(f"event #{seq} of evidence {ref.evidence}: {exc.detail}") from None
        # A ``collected`` event commits to the item's personal data (keyed by the item); any other event,
        # including a ``received`` that opens the chain of an item from another node, to its own note.
        opens_item = seq == 1 and claimed.action is CustodyAction.COLLECTED
        result.commitments[ref.evidence if opens_item else claimed.event] = claimed.commitment
        last = claimed
    result.events += ref.events
    result.items += 1
    if state is CustodyState.DESTROYED:
        result.destroyed += 1
        if ref.file is not None:
            raise MalformedBundle(
                f"{ref.where}: evidence {ref.evidence} was destroyed yet its bytes are shipped"
            )
    elif ref.file != fmt.evidence_path(ref.sha256):
        raise BundleFileMissing(f"{ref.where}: the bytes of evidence {ref.evidence} are not in the bundle")
    elif ctx.files.get(ref.file) != ref.sha256:
        raise EvidenceHashMismatch(
            f"{ref.file} hashes to {ctx.files.get(ref.file)}, not to the signed SHA-256 {ref.sha256}"
        )
    else:
        result.evidence_files += 1
        result.evidence_bytes += ref.size


def verify_items(ctx: ChainContext, refs: Sequence[ItemRef]) -> PartResult:
    """Check the chains of ``refs`` in order; stop at the first fault and return it as data."""
    result = PartResult()
    for ref in refs:
        try:
            _verify_item(ctx, ref, result)
        except VerificationError as exc:
            extensions = {k: v for k, v in exc.extensions.items() if k != "code"}
            result.fault = (type(exc), exc.detail, extensions)
            break
    return result


def raise_fault(fault: tuple[type[VerificationError], str, dict[str, Any]]) -> None:
    """Raise a fault returned by :func:`verify_items` (possibly from another process)."""
    cls, detail, extensions = fault
    raise cls(detail, **extensions)

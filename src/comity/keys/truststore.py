"""The pinned trust store: what a platform (or a peer node) needs to verify Comity signatures offline.

A trust store is a JSON file::

    {"format": "comity-trust-store/v1", "exported_at": "...Z",
     "anchors": [{"jurisdiction", "keyid", "public_key", "manifest": <envelope>}],
     "keys": [<registration envelope>...], "revocations": [<revocation envelope>...]}

The anchors are the pins (check their key ids out of band, once). Every statement is an envelope signed by
an anchor; each anchor also signs a manifest listing the digest of every statement it exported, so nobody
can quietly drop a revocation from, or add a statement to, the file after export.

Loading verifies everything. A defect confined to one key (a statement re-signed by a foreign anchor,
altered, missing from the manifest) does not make the whole file unusable: that key is marked untrusted and
:meth:`TrustStore.lookup` raises the precise reason whenever it is asked for. Defects in the file's
structure or in a manifest make the whole file refused.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.clock import Clock
from comity.keys.keystore import Keystore
from comity.keys.model import AnchorStatus, KeyStatement, TrustAnchor
from comity.keys.statements import Manifest, ManifestEntry, Registration, Revocation, statement_digest
from comity.signing.envelope import Envelope, PayloadType, VerifiedPayload, sign, verify
from comity.signing.errors import (
    CodedVerificationError,
    MalformedTrustStore,
    UnexpectedPayloadType,
    UnknownKey,
    UntrustedKey,
)
from comity.signing.keys import KEYID_PATTERN, Algorithm, Holder, KeyInfo, KeyPurpose, KeyRing, compute_keyid
from comity.signing.payload import Fields, format_time, loads_strict, truncate_to_second

FORMAT = "comity-trust-store/v1"
_ANCHOR_ONLY = frozenset({KeyPurpose.TRUST_ANCHOR})


# -- export -----------------------------------------------------------------------------------------


def export_trust_store(
    session: Session, *, clock: Clock, keystore: Keystore, jurisdictions: Collection[str] | None = None
) -> bytes:
    """The trust store of this node's anchors (all, or those of ``jurisdictions``), as JSON bytes."""
    exported_at = truncate_to_second(clock.now())
    stmt = select(TrustAnchor).where(TrustAnchor.local, TrustAnchor.status == AnchorStatus.ACTIVE)
    if jurisdictions is not None:
        stmt = stmt.where(TrustAnchor.jurisdiction.in_([j.upper() for j in jurisdictions]))
    anchors: list[dict[str, object]] = []
    keys: list[object] = []
    revocations: list[object] = []
    for anchor in session.scalars(stmt.order_by(TrustAnchor.jurisdiction, TrustAnchor.keyid)):
        statements = session.scalars(
            select(KeyStatement)
            .where(KeyStatement.anchor_keyid == anchor.keyid)
            .order_by(KeyStatement.issued_at, KeyStatement.id)
        ).all()
        entries: list[ManifestEntry] = []
        for statement in statements:
            envelope = Envelope.from_json(statement.envelope)
            entries.append(ManifestEntry(statement.keyid, envelope.payload_type, statement.digest))
            target = keys if envelope.payload_type == PayloadType.KEY_REGISTRATION else revocations
            target.append(envelope.to_obj())
        manifest = Manifest(anchor.jurisdiction, anchor.keyid, exported_at, tuple(entries))
        signed = sign(manifest.to_payload(), PayloadType.TRUST_STORE_MANIFEST, keystore.signer(anchor.keyid))
        anchors.append(
            {
                "jurisdiction": anchor.jurisdiction,
                "keyid": anchor.keyid,
                "public_key": anchor.public_key,
                "manifest": signed.to_obj(),
            }
        )
    document = {
        "format": FORMAT,
        "exported_at": format_time(exported_at),
        "anchors": anchors,
        "keys": keys,
        "revocations": revocations,
    }
    return json.dumps(document, indent=2, sort_keys=True).encode("utf-8") + b"\n"


# -- load -------------------------------------------------------------------------------------------


@dataclass
class _Loading:
    """State while a trust store is being verified."""

    exported_at: datetime
    anchors: dict[str, KeyInfo] = field(default_factory=dict)
    manifests: dict[str, dict[str, ManifestEntry]] = field(default_factory=dict)
    seen_digests: set[str] = field(default_factory=set)
    registrations: dict[str, tuple[Registration, str]] = field(
        default_factory=dict
    )  # keyid -> (stmt, digest)
    revocations: list[Revocation] = field(default_factory=list)
    poisoned: dict[str, CodedVerificationError] = field(default_factory=dict)

    def poison(self, keyid: str, error: CodedVerificationError) -> None:
        self.poisoned.setdefault(keyid, error)  # the first defect found is the one reported


def _claimed_keyid(envelope: Envelope, where: str) -> str:
    """The key a statement says it is about, read before verification only to attribute a defect."""
    try:
        claimed = loads_strict(envelope.payload, what=where, error=MalformedTrustStore).get("keyid")
    except (CodedVerificationError, AttributeError):
        claimed = None
    if not isinstance(claimed, str) or not KEYID_PATTERN.match(claimed):
        raise MalformedTrustStore(f"{where}: the statement does not say which key it concerns")
    return claimed


def _load_anchor(state: _Loading, raw: object, index: int) -> None:
    where = f"anchors[{index}]"
    entry = Fields(raw, path=where, error=MalformedTrustStore).only(
        ("jurisdiction", "keyid", "public_key", "manifest")
    )
    public_key = entry.b64("public_key")
    keyid = entry.text("keyid")
    if len(public_key) != 32 or compute_keyid(Algorithm.ED25519, public_key) != keyid:
        raise MalformedTrustStore(f"{where}.keyid: not the key id of the anchor's public key")
    if keyid in state.anchors:
        raise MalformedTrustStore(f"{where}: anchor {keyid} is listed twice")
    anchor = KeyInfo(
        keyid=keyid,
        algorithm=Algorithm.ED25519,
        public_key=public_key,
        purpose=KeyPurpose.TRUST_ANCHOR,
        holder=Holder(jurisdiction=entry.text("jurisdiction")),
        anchor=None,
    )
    try:
        envelope = Envelope.from_obj(entry.raw("manifest"))
        verified = verify(
            envelope,
            keys=KeyRing([anchor]),
            expected_type=PayloadType.TRUST_STORE_MANIFEST,
            purposes=_ANCHOR_ONLY,
            at=state.exported_at,
        )
        manifest = Manifest.from_payload(verified.payload)
    except CodedVerificationError as exc:
        raise type(exc)(f"{where}.manifest of anchor {keyid}: {exc.detail}") from None
    if (manifest.anchor, manifest.jurisdiction, manifest.exported_at) != (
        keyid,
        anchor.holder.jurisdiction,
        state.exported_at,
    ):
        raise MalformedTrustStore(f"{where}.manifest: signed for another anchor, jurisdiction or export time")
    state.anchors[keyid] = anchor
    state.manifests[keyid] = {e.digest: e for e in manifest.entries}


def _load_statement(state: _Loading, raw: object, where: str, payload_type: PayloadType) -> None:
    try:
        envelope = Envelope.from_obj(raw)
    except CodedVerificationError as exc:
        raise MalformedTrustStore(f"{where}: {exc.detail}") from None
    keyid = _claimed_keyid(envelope, where)
    kind = "registration" if payload_type is PayloadType.KEY_REGISTRATION else "revocation"
    try:
        verified: VerifiedPayload = verify(
            envelope,
            keys=KeyRing(state.anchors.values()),
            expected_type=payload_type,
            purposes=_ANCHOR_ONLY,
            at=state.exported_at,
        )
    except UnknownKey:
        signers = ", ".join(s.keyid for s in envelope.signatures)
        state.poison(
            keyid,
            UntrustedKey(
                f"the {kind} statement of key {keyid} is signed by {signers}, not by a pinned anchor"
            ),
        )
        return
    except UnexpectedPayloadType:
        state.poison(keyid, MalformedTrustStore(f"{where}: a {envelope.payload_type[:80]} is not a {kind}"))
        return
    except CodedVerificationError as exc:
        state.poison(keyid, type(exc)(f"the {kind} statement of key {keyid}: {exc.detail}"))
        return
    anchor = verified.key
    try:
        statement: Registration | Revocation = (
            Registration.from_payload(verified.payload)
            if payload_type is PayloadType.KEY_REGISTRATION
            else Revocation.from_payload(verified.payload)
        )
    except CodedVerificationError as exc:
        state.poison(keyid, type(exc)(f"the {kind} statement of key {keyid}: {exc.detail}"))
        return
    if (statement.anchor, statement.jurisdiction) != (anchor.keyid, anchor.holder.jurisdiction):
        state.poison(
            keyid,
            UntrustedKey(
                f"key {keyid} of {statement.jurisdiction} is vouched for by the anchor of "
                f"{anchor.holder.jurisdiction} ({anchor.keyid}), not by its own jurisdiction's anchor"
            ),
        )
        return
    digest = statement_digest(envelope)
    if digest not in state.manifests[anchor.keyid]:
        state.poison(
            keyid,
            UntrustedKey(f"the {kind} statement of key {keyid} is not in its anchor's signed manifest"),
        )
        return
    state.seen_digests.add(digest)
    if isinstance(statement, Revocation):
        state.revocations.append(statement)
        return
    previous = state.registrations.get(keyid)
    if previous is not None and previous[1] != digest:
        state.poison(keyid, MalformedTrustStore(f"key {keyid} has two different registrations"))
    state.registrations[keyid] = (statement, digest)


def key_info(registration: Registration, revocations: list[Revocation]) -> KeyInfo:
    """The key a registration statement describes, as its earliest revocation (if any) leaves it."""
    ends = sorted(revocations, key=lambda r: r.revoked_at)
    first = ends[0] if ends else None
    successor = next((r.replaced_by for r in ends if r.replaced_by), None)
    return KeyInfo(
        keyid=registration.keyid,
        algorithm=registration.algorithm,
        public_key=registration.public_key,
        purpose=registration.purpose,
        holder=registration.holder,
        anchor=registration.anchor,
        valid_from=registration.valid_from,
        valid_until=registration.valid_until,
        revoked_at=first.revoked_at if first else None,
        revocation_reason=first.reason if first else None,
        replaced_by=successor,
    )


class TrustStore:
    """A verified trust store: a :class:`KeyResolver` for offline verification."""

    def __init__(
        self,
        *,
        exported_at: datetime,
        anchors: dict[str, KeyInfo],
        keys: dict[str, KeyInfo],
        poisoned: dict[str, CodedVerificationError],
    ) -> None:
        self.exported_at = exported_at
        self._anchors = anchors
        self._keys = keys
        self._poisoned = poisoned

    @classmethod
    def load(cls, path: Path) -> TrustStore:
        """Read and verify the trust store file at ``path``."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise MalformedTrustStore(f"cannot read trust store {path}: {exc.strerror}") from None
        return cls.from_json(data)

    @classmethod
    def from_json(cls, data: bytes) -> TrustStore:
        """Verify a trust store document; raises when its structure or a manifest is broken."""
        top = Fields(
            loads_strict(data, what="trust store", error=MalformedTrustStore),
            path="",
            error=MalformedTrustStore,
        )
        top.only(("format", "exported_at", "anchors", "keys", "revocations"))
        if top.raw("format") != FORMAT:
            raise MalformedTrustStore(f"format: expected {FORMAT}")
        state = _Loading(exported_at=top.instant("exported_at"))
        for index, raw in enumerate(top.array("anchors")):
            _load_anchor(state, raw, index)
        if not state.anchors:
            raise MalformedTrustStore("anchors: a trust store pins at least one anchor")
        for index, raw in enumerate(top.array("keys")):
            _load_statement(state, raw, f"keys[{index}]", PayloadType.KEY_REGISTRATION)
        for index, raw in enumerate(top.array("revocations")):
            _load_statement(state, raw, f"revocations[{index}]", PayloadType.KEY_REVOCATION)
        for anchor_keyid, entries in state.manifests.items():
            for digest, entry in entries.items():
                if digest not in state.seen_digests:
                    state.poison(
                        entry.keyid,
                        UntrustedKey(
                            f"a statement about key {entry.keyid} listed in the signed manifest of anchor "
                            f"{anchor_keyid} is missing from the trust store (removed after export)"
                        ),
                    )
        keys: dict[str, KeyInfo] = {}
        for keyid, (registration, _digest) in state.registrations.items():
            mine = [r for r in state.revocations if r.keyid == keyid]
            if any(r.anchor != registration.anchor for r in mine):
                state.poison(
                    keyid, UntrustedKey(f"key {keyid} is revoked by an anchor that did not register it")
                )
            keys[keyid] = key_info(registration, mine)
        return cls(exported_at=state.exported_at, anchors=state.anchors, keys=keys, poisoned=state.poisoned)

    # -- KeyResolver ------------------------------------------------------------------------------

    def lookup(self, keyid: str) -> KeyInfo:
        """The key ``keyid`` as its statements say, or the precise reason it cannot be trusted."""
        if keyid in self._poisoned:
            error = self._poisoned[keyid]
            raise type(error)(error.detail, keyid=keyid)
        if keyid in self._anchors:
            return self._anchors[keyid]
        if keyid in self._keys:
            return self._keys[keyid]
        raise UnknownKey(
            f"key {keyid[:80]} is not in the trust store exported at {format_time(self.exported_at)}"
        )

    def resolve(self, keyid: str, at: datetime) -> KeyInfo:
        """The key ``keyid`` if it may be relied on at ``at``; else why not (unknown, revoked, expired...)."""
        info = self.lookup(keyid)
        info.check_valid_at(at)
        return info

    def verify(
        self,
        envelope: Envelope | bytes,
        *,
        expected_type: str,
        purposes: Collection[KeyPurpose],
        at: datetime,
    ) -> VerifiedPayload:
        """Verify ``envelope`` against this trust store (see :func:`comity.signing.envelope.verify`)."""
        return verify(envelope, keys=self, expected_type=expected_type, purposes=purposes, at=at)

    # -- inspection -------------------------------------------------------------------------------

    @property
    def anchors(self) -> tuple[KeyInfo, ...]:
        """The pinned anchors."""
        return tuple(self._anchors.values())

    def trusted_keys(self) -> Iterator[KeyInfo]:
        """Every trusted registered key (valid or not at a given time)."""
        return (k for keyid, k in self._keys.items() if keyid not in self._poisoned)

    @property
    def problems(self) -> dict[str, str]:
        """Key id -> why it is untrusted, for diagnostics (``comity verify`` prints these)."""
        return {keyid: error.detail for keyid, error in self._poisoned.items()}

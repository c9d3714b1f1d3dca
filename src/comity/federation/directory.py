"""The peer directory and peers' trust: who this node talks to, where, under which agreements, which keys.

Importing a peer's trust store is the deliberate, audited act by which this node starts to believe that
peer's node keys: the file is verified (``comity.keys.truststore``), its anchors are pinned on first
import, and a later import must keep the pinned anchors and must not be older than the last one (an older
export could silently drop a revocation).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.audit import service as audit
from comity.clock import Clock
from comity.errors import Conflict, FieldError, InvalidInput, NotFound
from comity.federation.errors import UnknownPeer
from comity.federation.model import Peer, PeerStatus, PeerTrustImport
from comity.ids import new_id
from comity.keys.queries import jurisdiction_code
from comity.keys.truststore import TrustStore
from comity.signing.errors import CodedVerificationError, UnknownKey
from comity.signing.keys import KeyInfo, KeyPurpose
from comity.signing.payload import format_time

#: Verified trust stores by digest: verifying one costs a signature check per statement, and the inbox
#: needs the peers' keys on every request. A digest names exactly one document, so this never goes stale.
_VERIFIED: dict[str, TrustStore] = {}


def _base_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidInput("not a node base URL", [FieldError("base_url", "http(s)://host[:port][/path]")])
    return value.strip().rstrip("/")


def add_peer(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    node: str,
    jurisdiction: str,
    base_url: str,
    name: str = "",
    agreements: Sequence[str] = (),
) -> Peer:
    """Record (or update, or re-activate) the peer node of ``jurisdiction``."""
    code = jurisdiction_code(jurisdiction)
    if code == jurisdiction_code(node):
        raise InvalidInput("a node is not its own peer", [FieldError("jurisdiction", "this node's own")])
    url = _base_url(base_url)
    agreement_ids = sorted({a.strip() for a in agreements if a.strip()})
    now = clock.now()
    peer = session.get(Peer, code)
    if peer is None:
        peer = Peer(jurisdiction=code, added_at=now)
        session.add(peer)
    peer.name = (name or code)[:120]
    peer.base_url = url
    peer.agreements = agreement_ids
    peer.status = PeerStatus.ACTIVE.value
    peer.updated_at = now
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="federation:peer:added",
        subject_type="peer",
        subject_id=code,
        details={"base_url": url, "agreements": agreement_ids},
    )
    return peer


def remove_peer(session: Session, *, clock: Clock, actor: str, jurisdiction: str) -> Peer:
    """Stop talking to a peer: nothing is sent to it or accepted from it afterwards. Kept on record."""
    peer = get_peer(session, jurisdiction)
    peer.status = PeerStatus.REMOVED.value
    peer.updated_at = clock.now()
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="federation:peer:removed",
        subject_type="peer",
        subject_id=peer.jurisdiction,
        details={},
    )
    return peer


def get_peer(session: Session, jurisdiction: str) -> Peer:
    """The peer of ``jurisdiction`` (active or removed), or :class:`NotFound`."""
    peer = session.get(Peer, jurisdiction_code(jurisdiction))
    if peer is None:
        raise NotFound(f"no peer {jurisdiction[:2].upper()} in this node's directory")
    return peer


def active_peer(session: Session, jurisdiction: str) -> Peer:
    """The active peer of ``jurisdiction``, or :class:`UnknownPeer`."""
    peer = session.get(Peer, jurisdiction[:2].upper())
    if peer is None or peer.status != PeerStatus.ACTIVE.value:
        raise UnknownPeer(f"{jurisdiction[:2]} is not an active peer of this node")
    return peer


def list_peers(session: Session) -> Sequence[Peer]:
    """Every peer on record, by jurisdiction."""
    return session.scalars(select(Peer).order_by(Peer.jurisdiction)).all()


# -- trust ------------------------------------------------------------------------------------------


def verified_store(document: bytes) -> TrustStore:
    """The verified trust store of ``document`` (cached by digest)."""
    digest = hashlib.sha256(document).hexdigest()
    store = _VERIFIED.get(digest)
    if store is None:
        store = _VERIFIED[digest] = TrustStore.from_json(document)
    return store


def latest_import(session: Session, jurisdiction: str) -> PeerTrustImport | None:
    """The last trust store imported for ``jurisdiction``."""
    return session.scalars(
        select(PeerTrustImport)
        .where(PeerTrustImport.jurisdiction == jurisdiction)
        .order_by(PeerTrustImport.exported_at.desc(), PeerTrustImport.imported_at.desc())
        .limit(1)
    ).first()


def import_trust(
    session: Session, *, clock: Clock, actor: str, node: str, document: bytes
) -> PeerTrustImport:
    """Verify a peer's exported trust store and record it; pins its anchors on the first import."""
    store = verified_store(document)
    codes = {a.holder.jurisdiction for a in store.anchors}
    if len(codes) != 1:
        raise InvalidInput(
            "a peer's trust store holds the anchors of one jurisdiction",
            [FieldError("anchors", f"found {', '.join(sorted(codes))}")],
        )
    (code,) = codes
    if code == jurisdiction_code(node):
        raise InvalidInput("this is this node's own trust store", [FieldError("anchors", code)])
    anchors = ",".join(sorted(a.keyid for a in store.anchors))
    previous = latest_import(session, code)
    if previous is not None:
        if not set(previous.anchors.split(",")) <= set(anchors.split(",")):
            raise Conflict(
                f"the trust store of {code} does not keep the pinned anchor(s) {previous.anchors}: "
                "replacing a jurisdiction's anchor must be agreed out of band",
                jurisdiction=code,
            )
        if store.exported_at < previous.exported_at:
            raise Conflict(
                f"this trust store of {code} was exported at {format_time(store.exported_at)}, before the "
                f"one already imported ({format_time(previous.exported_at)}): it may lack revocations",
                jurisdiction=code,
            )
    digest = hashlib.sha256(document).hexdigest()
    row = PeerTrustImport(
        id=new_id("tsi"),
        jurisdiction=code,
        anchors=anchors,
        digest=digest,
        document=document.decode("utf-8"),
        exported_at=store.exported_at,
        imported_at=clock.now(),
        imported_by=actor[:120],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag="federation:trust:imported",
        subject_type="peer",
        subject_id=code,
        details={"digest": digest, "anchors": anchors, "exported_at": format_time(store.exported_at)},
    )
    return row


class PeerKeys:
    """A :class:`~comity.signing.keys.KeyResolver` over the latest trust store of every active peer."""

    def __init__(self, stores: dict[str, TrustStore]) -> None:
        self._stores = stores

    @classmethod
    def load(cls, session: Session) -> PeerKeys:
        """The keys of this node's active peers, as their last imported trust stores say."""
        stores: dict[str, TrustStore] = {}
        for peer in session.scalars(select(Peer).where(Peer.status == PeerStatus.ACTIVE.value)):
            row = latest_import(session, peer.jurisdiction)
            if row is not None:
                stores[peer.jurisdiction] = verified_store(row.document.encode("utf-8"))
        return cls(stores)

    def lookup(self, keyid: str) -> KeyInfo:
        """The peer key ``keyid`` (or why it is untrusted); :class:`UnknownKey` if no peer vouches for it."""
        for store in self._stores.values():
            try:
                return store.lookup(keyid)
            except UnknownKey:
                continue
        raise UnknownKey(f"no active peer of this node vouches for key {keyid[:80]!r}", keyid=keyid[:80])

    def encryption_key(self, jurisdiction: str, at: datetime) -> KeyInfo:
        """The peer's newest node encryption key valid at ``at`` (to seal messages to it)."""
        store = self._stores.get(jurisdiction)
        if store is None:
            raise UnknownPeer(f"{jurisdiction} is not an active peer with an imported trust store")
        candidates = []
        for key in store.trusted_keys():
            if key.purpose is not KeyPurpose.NODE_ENCRYPTION or key.holder.jurisdiction != jurisdiction:
                continue
            try:
                key.check_valid_at(at)
            except CodedVerificationError:  # revoked, expired or not yet valid: not a candidate
                continue
            candidates.append(key)
        if not candidates:
            raise NotFound(f"{jurisdiction}'s trust store has no node encryption key valid now")
        return max(candidates, key=lambda k: k.valid_from or at)

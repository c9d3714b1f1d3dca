"""Offline verification of an evidence bundle of 100,000 custody events, beside the bare crypto rates.

The bundle is built without a database but in the real format and by the real code: custody payloads and
envelopes from :mod:`comity.custody`, log entries as the sequencer encodes audit events
(:class:`comity.verify.entries.EntryContent`), an RFC 9162 tree and inclusion proofs from
:class:`comity.translog.tree.MemoryTree`, a checkpoint signed as the node signs it, a trust store of signed
registration statements under an anchor's signed manifest, and the zip written by
:func:`comity.custody.bundle.write_bundle`. 1,000 evidence items carry 100 events each (10,000 with
``quick``: 100 items of 100 events); every event is signed by one of 20 officers' keys.

Timed: :func:`comity.custody.bundle_verify.verify_bundle` over the file, the whole check (file hashes, trust
store, checkpoint, every signature, chain link, state transition, log entry and inclusion proof). Beside it,
measured in the same run on the same data: the bare SHA-256 rate (hashlib over 100-byte inputs) and the bare
Ed25519-verify rate (PyNaCl over the same envelopes' PAE), and what 1 signature check plus the proof's
hashes per event would cost at those rates: the bound, and the ratio of the real run to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.signing

from comity.custody import bundle_format as fmt
from comity.custody.bundle import BundleContent, proof_line, write_bundle
from comity.custody.bundle_verify import verify_bundle
from comity.custody.payload import (
    AUDIT_ENVELOPE_KEY,
    AUDIT_EVENT_KEY,
    AUDIT_EVIDENCE_KEY,
    AUDIT_SUBJECT_TYPE,
    AUDIT_TAG_PREFIX,
    CustodyPayload,
    EvidenceFacts,
    envelope_digest,
)
from comity.custody.states import CustodyAction
from comity.custody.store import FolderStore
from comity.keys.statements import Manifest, ManifestEntry, Registration, statement_digest
from comity.kinds import AuthorityType
from comity.signing.envelope import Envelope, PayloadType, pae, sign
from comity.signing.keys import Ed25519Signer, Holder, KeyPurpose
from comity.signing.payload import b64encode, format_time
from comity.translog.checkpoints import CheckpointSigner
from comity.translog.tree import MemoryTree
from comity.verify.checkpoint import Checkpoint
from comity.verify.entries import EntryContent, actor_commitment

TARGET_S = 10.0
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ORIGIN = "node.example/ie/log"
#: A legal chain that can run for ever: collected, then sealed -> transferred -> received -> analysed...
CYCLE = (CustodyAction.SEALED, CustodyAction.TRANSFERRED, CustodyAction.RECEIVED, CustodyAction.ANALYSED)


def legal_actions(count: int) -> list[CustodyAction]:
    """``count`` actions the custody state machine allows, starting with ``collected``."""
    return [CustodyAction.COLLECTED] + [CYCLE[i % len(CYCLE)] for i in range(count - 1)]


@dataclass
class SyntheticNode:
    """Keys of a synthetic node: anchor, node (log) key and officers, with their registrations."""

    jurisdiction: str = "IE"
    anchor: Ed25519Signer = field(default_factory=Ed25519Signer.generate)
    node: Ed25519Signer = field(default_factory=Ed25519Signer.generate)
    officers: dict[str, Ed25519Signer] = field(default_factory=dict)
    statements: list[Envelope] = field(default_factory=list)

    def register(
        self,
        signer: Ed25519Signer,
        purpose: KeyPurpose,
        holder: Holder,
        *,
        valid_from: datetime = T0 - timedelta(days=1),
    ) -> None:
        """Register ``signer`` under the anchor, as the key registry does."""
        registration = Registration(
            jurisdiction=self.jurisdiction,
            anchor=self.anchor.keyid,
            keyid=signer.keyid,
            algorithm=purpose.algorithm,
            public_key=signer.public_key,
            purpose=purpose,
            holder=holder,
            valid_from=valid_from,
            valid_until=valid_from + timedelta(days=365),
            issued_at=valid_from,
        )
        self.statements.append(sign(registration.to_payload(), PayloadType.KEY_REGISTRATION, self.anchor))

    def trust_store(self) -> bytes:
        """The trust store document, as ``export_trust_store`` writes it."""
        exported = T0 + timedelta(days=30)
        entries = tuple(
            ManifestEntry(json.loads(e.payload)["keyid"], e.payload_type, statement_digest(e))
            for e in self.statements
        )
        manifest = Manifest(self.jurisdiction, self.anchor.keyid, exported, entries)
        document = {
            "format": "comity-trust-store/v1",
            "exported_at": format_time(exported),
            "anchors": [
                {
                    "jurisdiction": self.jurisdiction,
                    "keyid": self.anchor.keyid,
                    "public_key": b64encode(self.anchor.public_key),
                    "manifest": sign(
                        manifest.to_payload(), PayloadType.TRUST_STORE_MANIFEST, self.anchor
                    ).to_obj(),
                }
            ],
            "keys": [e.to_obj() for e in self.statements],
            "revocations": [],
        }
        return json.dumps(document, indent=2, sort_keys=True).encode("utf-8")


def synthetic_node(officers: int = 20, jurisdiction: str = "IE") -> SyntheticNode:
    """A node with a node key and ``officers`` officer keys, all registered."""
    node = SyntheticNode(jurisdiction=jurisdiction)
    node.register(node.node, KeyPurpose.NODE_SIGNING, Holder(jurisdiction=jurisdiction))
    for number in range(officers):
        user = f"usr_{number:04d}"
        signer = Ed25519Signer.generate()
        node.officers[user] = signer
        holder = Holder(jurisdiction, "org_police", AuthorityType.POLICE, officer=user)
        node.register(signer, KeyPurpose.OFFICER_SIGNING, holder)
    return node


def build_bundle(
    out: Path,
    *,
    items: int,
    events_per_item: int,
    node: SyntheticNode | None = None,
    actions: Sequence[CustodyAction] | None = None,
    case_id: str = "case_bench",
    record_delay: timedelta = timedelta(0),
) -> SyntheticNode:
    """Write a bundle of ``items`` x ``events_per_item`` custody events to ``out``; returns the node.

    ``record_delay`` is how long after signing the node records each event in its audit trail.
    """
    node = node or synthetic_node()
    chain = list(actions) if actions is not None else legal_actions(events_per_item)
    users = sorted(node.officers)
    tree = MemoryTree()
    leaves: list[bytes] = []
    content = BundleContent(
        case_id=case_id,
        jurisdiction=node.jurisdiction,
        exported_at=format_time(T0 + timedelta(days=30)),
        origin=ORIGIN,
        tree_size=0,
        checkpoint="",
        log_vkey=CheckpointSigner(ORIGIN, node.node).verifier.vkey,
        witness_vkeys=[],
        trust_store=node.trust_store(),
    )
    store = FolderStore(out.parent / f".{out.name}.store")
    salt = os.urandom(32)
    for number in range(items):
        blob = store.put([f"evidence {number} ".encode() * 4])
        evidence = f"evd_{number:08d}"
        previous: str | None = None
        for seq, action in enumerate(chain, 1):
            user = users[(number + seq) % len(users)]
            occurred = T0 + timedelta(seconds=number * len(chain) + seq)
            payload = CustodyPayload(
                event=f"cev_{number:08d}_{seq:04d}",
                evidence=evidence,
                sha256=blob.sha256,
                size=blob.size,
                seq=seq,
                action=action,
                occurred_at=occurred,
                actor=user,
                jurisdiction=node.jurisdiction,
                organisation="org_police",
                case=case_id,
                previous=previous,
                facts=EvidenceFacts("webpage_capture", "content", "amber", "text/html", "IE-W-1")
                if seq == 1
                else None,
            )
            envelope = sign(payload.to_payload(), PayloadType.CUSTODY_EVENT, node.officers[user]).to_json()
            previous = envelope_digest(envelope)
            leaf = EntryContent(
                index=tree.size,
                audit_seq=tree.size + 1,
                event_id=f"evt_{number:08d}_{seq:04d}",
                occurred_at=(occurred + record_delay).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                tag=AUDIT_TAG_PREFIX + action.value,
                subject_type=AUDIT_SUBJECT_TYPE,
                subject_id=evidence,
                details={
                    AUDIT_EVENT_KEY: payload.event,
                    "seq": seq,
                    AUDIT_ENVELOPE_KEY: previous,
                    AUDIT_EVIDENCE_KEY: blob.sha256,
                    "case": case_id,
                },
                actor_commitment=actor_commitment(f"user:{user}", salt),
            ).encode()
            tree.append(leaf)
            leaves.append(leaf)
            content.envelopes.append(envelope)
        content.items.append(
            {
                "evidence": evidence,
                "sha256": blob.sha256,
                "size": blob.size,
                "file": fmt.evidence_path(blob.sha256),
                "events": len(chain),
            }
        )
    for index, leaf in enumerate(leaves):
        content.entries.append(leaf)
        content.proofs.append(proof_line(index, tree.inclusion_proof(index)))
    content.tree_size = tree.size
    content.checkpoint = CheckpointSigner(ORIGIN, node.node).sign(Checkpoint(ORIGIN, tree.size, tree.root()))
    write_bundle(content, store=store, out=out)
    return node


def _bare_rates(out: Path, samples: int) -> tuple[float, float]:
    """SHA-256 per second (100-byte inputs) and Ed25519 verifications per second (PyNaCl)."""
    data = [os.urandom(100) for _ in range(samples)]
    started = time.perf_counter()
    for value in data:
        hashlib.sha256(value).digest()
    sha_rate = samples / (time.perf_counter() - started)
    with zipfile.ZipFile(out) as archive:
        lines = archive.read(fmt.ENVELOPES).split(b"\n")[: min(samples, 20_000)]
    envelopes = [Envelope.from_json(line) for line in lines if line]
    key = nacl.signing.SigningKey.generate()
    signed = [(key.verify_key, key.sign(pae(e.payload_type, e.payload))) for e in envelopes]
    started = time.perf_counter()
    for verify_key, message in signed:
        verify_key.verify(message)
    verify_rate = len(signed) / (time.perf_counter() - started)
    return sha_rate, verify_rate


def run(quick: bool = False) -> dict[str, Any]:
    """Build a bundle, verify it in one process and in one per CPU, and report beside the crypto bound."""
    items, per_item = (100, 100) if quick else (1_000, 100)
    workers = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "bundle.zip"
        started = time.perf_counter()
        build_bundle(out, items=items, events_per_item=per_item)
        build_s = time.perf_counter() - started
        size = out.stat().st_size
        started = time.perf_counter()
        report = verify_bundle(out, workers=workers)
        verify_s = time.perf_counter() - started
        started = time.perf_counter()
        verify_bundle(out, workers=1)
        single_s = time.perf_counter() - started
        sha_rate, ed_rate = _bare_rates(out, 200_000 if not quick else 50_000)
    events = report.events
    depth = max(1, (events - 1).bit_length())
    # Per event at least: one Ed25519 verification, the leaf hash and one hash per proof level, on one core.
    bound_s = events / ed_rate + events * (depth + 1) / sha_rate
    return {
        "events": events,
        "items": report.items,
        "bundle_bytes": size,
        "build_s": round(build_s, 2),
        "workers": workers,
        "verify_s": round(verify_s, 2),
        "events_per_s": round(events / verify_s),
        "verify_one_process_s": round(single_s, 2),
        "bare_sha256_per_s": round(sha_rate),
        "bare_ed25519_verify_per_s": round(ed_rate),
        "crypto_bound_one_core_s": round(bound_s, 2),
        "ratio_one_process_to_bound": round(single_s / bound_s, 2),
        "ratio_to_bound_per_core": round(verify_s * workers / bound_s, 2),
        "target_s": TARGET_S,
        "met": verify_s < TARGET_S if not quick else None,
        "cpu": os.cpu_count(),
        "notes": "every file hash, signature, chain link, transition, log entry and inclusion proof checked",
    }


if __name__ == "__main__":
    print(json.dumps(run(quick=True), indent=2))

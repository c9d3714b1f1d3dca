"""Exporting a case's evidence as a bundle anyone can verify offline (format: :mod:`bundle_format`).

The export first integrates every pending audit event into the transparency log and makes sure a signed
checkpoint covers them all, then collects, per custody event, its envelope, its log entry and the inclusion
proof to that checkpoint, plus the keys a verifier needs: the trust store of the jurisdictions whose keys
signed, the log's vkey and the witnesses' vkeys. Personal data still held ships with the salts that open
its commitments. The export itself is audited.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from comity.audit import service as audit
from comity.clock import Clock
from comity.config import Settings
from comity.custody import bundle_format as fmt
from comity.custody.actors import node_actor
from comity.custody.caseuco import case_document
from comity.custody.events import events_of
from comity.custody.model import CustodyEvent, EvidenceItem
from comity.custody.service import personal_fields
from comity.custody.store import CHUNK_SIZE, EvidenceStore
from comity.db import transaction
from comity.errors import Conflict, NotFound
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys.keystore import Keystore
from comity.keys.truststore import export_trust_store
from comity.signing.payload import format_time, truncate_to_second
from comity.translog import service as translog
from comity.translog.model import CosignatureRow


@dataclass
class BundleContent:
    """Everything a bundle holds except the evidence bytes, which are streamed from the store."""

    case_id: str
    jurisdiction: str
    exported_at: str
    origin: str
    tree_size: int
    checkpoint: str
    log_vkey: str
    witness_vkeys: list[str]
    trust_store: bytes
    items: list[dict[str, object]] = field(default_factory=list)
    envelopes: list[bytes] = field(default_factory=list)
    entries: list[bytes] = field(default_factory=list)  # leaf bytes, one per envelope
    proofs: list[bytes] = field(default_factory=list)  # lines of log/proofs.txt
    personal: dict[str, dict[str, object]] = field(default_factory=lambda: {"items": {}, "events": {}})


def anchor_log(session: Session, *, clock: Clock, settings: Settings, keystore: Keystore) -> None:
    """Integrate every pending audit event and make sure a signed checkpoint covers the whole log.

    The log signs with the node key; a node that has none yet gets one here, as for retention.
    """
    node_actor(session, clock=clock, keystore=keystore, jurisdiction=settings.node_jurisdiction)
    signer = translog.node_log_signer(session, settings=settings, clock=clock)
    while True:
        result = translog.integrate_pending(session, clock=clock, signer=signer)
        if result.skipped:
            raise Conflict("another process is integrating the log; export again in a moment")
        if result.integrated == 0:
            break
    latest = translog.latest_checkpoint(session)
    if latest is None or latest.size < result.tree_size:
        translog.sign_head(session, clock=clock, signer=signer)


def _log_lines(session: Session, event: CustodyEvent, tree_size: int) -> tuple[bytes, bytes]:
    """The entry line and proof line of one event (see :mod:`bundle_format`)."""
    entry = translog.leaf_for_audit_event(session, event.audit_event_id)
    if entry is None or entry.index >= tree_size:
        raise Conflict(f"custody event {event.id} is not yet in a signed checkpoint; export again")
    proof = translog.inclusion_proof(session, index=entry.index, tree_size=tree_size)
    return entry.data, proof_line(entry.index, proof.hashes)


def proof_line(index: int, hashes: Sequence[bytes]) -> bytes:
    """``<index> <hex> <hex>...``: one line of ``log/proofs.txt``."""
    return " ".join([str(index), *(h.hex() for h in hashes)]).encode("ascii")


def collect_bundle(
    session: Session, *, clock: Clock, settings: Settings, keystore: Keystore, case_id: str
) -> BundleContent:
    """Gather a case's bundle (the log must be anchored first: :func:`anchor_log`)."""
    items = session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.case_id == case_id)
        .order_by(EvidenceItem.collected_at, EvidenceItem.id)
    ).all()
    if not items:
        raise NotFound(f"no evidence for case {case_id[:120]!r} on this node")
    checkpoint = translog.latest_checkpoint(session)
    if checkpoint is None:
        raise Conflict("the log has no signed checkpoint yet")
    witnesses = session.scalars(
        select(CosignatureRow.witness_vkey).where(CosignatureRow.checkpoint_id == checkpoint.id)
    ).all()
    jurisdictions = {settings.node_jurisdiction, *(i.jurisdiction for i in items)}
    content = BundleContent(
        case_id=case_id,
        jurisdiction=settings.node_jurisdiction,
        exported_at=format_time(truncate_to_second(clock.now())),
        origin=checkpoint.origin,
        tree_size=checkpoint.size,
        checkpoint=checkpoint.note,
        log_vkey=checkpoint.vkey,
        witness_vkeys=sorted(set(witnesses)),
        trust_store=export_trust_store(session, clock=clock, keystore=keystore, jurisdictions=jurisdictions),
    )
    for item in items:
        events = events_of(session, item.id)
        destroyed = item.state == "destroyed"
        content.items.append(
            {
                "evidence": item.id,
                "sha256": item.sha256,
                "size": item.size_bytes,
                "file": None if destroyed else fmt.evidence_path(item.sha256),
                "events": len(events),
            }
        )
        if item.personal_salt is not None:
            content.personal["items"][item.id] = {"salt": item.personal_salt, "fields": personal_fields(item)}
        for event in events:
            content.envelopes.append(event.envelope.encode("utf-8"))
            entry, proof = _log_lines(session, event, checkpoint.size)
            content.entries.append(entry)
            content.proofs.append(proof)
            if event.note_salt is not None:
                content.personal["events"][event.id] = {
                    "salt": event.note_salt,
                    "fields": {"note": event.note},
                }
    return content


def _jsonl(lines: Sequence[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def write_bundle(content: BundleContent, *, store: EvidenceStore, out: Path) -> str:
    """Write the bundle zip to ``out`` (via a temporary file); returns the manifest's SHA-256."""
    files: dict[str, bytes] = {
        fmt.ENVELOPES: _jsonl(content.envelopes),
        fmt.ENTRIES: _jsonl(content.entries),
        fmt.PROOFS: _jsonl(content.proofs),
        fmt.CHECKPOINT: content.checkpoint.encode("utf-8"),
        fmt.TRUST_STORE: content.trust_store,
        fmt.LOG_VKEY: content.log_vkey.encode("utf-8") + b"\n",
        fmt.WITNESSES: "".join(f"{v}\n" for v in content.witness_vkeys).encode("utf-8"),
        fmt.PERSONAL: json.dumps(content.personal, sort_keys=True, indent=1, ensure_ascii=False).encode(
            "utf-8"
        ),
    }
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    temporary = out.with_name(f".{out.name}.part")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        shipped: set[str] = set()
        for item in content.items:
            path = item["file"]
            if not isinstance(path, str) or path in shipped:
                continue  # destroyed, or the same bytes as another item (content addressing)
            shipped.add(path)
            digest = hashlib.sha256()
            reader = store.open(str(item["sha256"]))  # hash-checked: corrupted bytes are never exported
            with archive.open(path, "w", force_zip64=True) as target:
                for chunk in reader.chunks(CHUNK_SIZE):
                    digest.update(chunk)
                    target.write(chunk)
            hashes[path] = digest.hexdigest()
        manifest = {
            "format": fmt.FORMAT,
            "case": content.case_id,
            "jurisdiction": content.jurisdiction,
            "exported_at": content.exported_at,
            "log": {"origin": content.origin, "tree_size": content.tree_size},
            "items": content.items,
            "files": dict(sorted(hashes.items())),
        }
        manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8")
        archive.writestr(fmt.MANIFEST, manifest_bytes)
    temporary.replace(out)
    return hashlib.sha256(manifest_bytes).hexdigest()


def record_export(session: Session, *, clock: Clock, case_id: str, manifest_sha256: str, items: int) -> None:
    """Audit the export (ids and hashes only)."""
    audit.record(
        session,
        clock=clock,
        actor=SYSTEM_ACTOR,
        tag="custody:bundle:exported",
        subject_type="case",
        subject_id=case_id,
        details={"manifest_sha256": manifest_sha256, "items": items},
    )


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    case_id: str
    path: Path
    manifest_sha256: str
    items: int
    events: int
    tree_size: int


def export_bundle(
    sessions: sessionmaker[Session],
    *,
    clock: Clock,
    settings: Settings,
    keystore: Keystore,
    store: EvidenceStore,
    case_id: str,
    out: Path,
) -> ExportSummary:
    """Anchor the log, gather the case's bundle, write it to ``out`` and audit the export."""
    with transaction(sessions) as session:
        anchor_log(session, clock=clock, settings=settings, keystore=keystore)
    with transaction(sessions) as session:
        content = collect_bundle(session, clock=clock, settings=settings, keystore=keystore, case_id=case_id)
    digest = write_bundle(content, store=store, out=out)
    with transaction(sessions) as session:
        record_export(session, clock=clock, case_id=case_id, manifest_sha256=digest, items=len(content.items))
    return ExportSummary(
        case_id=case_id,
        path=out,
        manifest_sha256=digest,
        items=len(content.items),
        events=len(content.envelopes),
        tree_size=content.tree_size,
    )


def case_uco_export(session: Session, *, clock: Clock, case_id: str) -> dict[str, Any]:
    """The CASE/UCO JSON-LD document of a case's evidence and custody chain; the export is audited."""
    items = session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.case_id == case_id)
        .order_by(EvidenceItem.collected_at, EvidenceItem.id)
    ).all()
    if not items:
        raise NotFound(f"no evidence for case {case_id[:120]!r} on this node")
    chains = [[e.envelope.encode("utf-8") for e in events_of(session, item.id)] for item in items]
    document = case_document(case_id, chains)
    audit.record(
        session,
        clock=clock,
        actor=SYSTEM_ACTOR,
        tag="custody:case_uco:exported",
        subject_type="case",
        subject_id=case_id,
        details={"items": len(items), "actions": sum(len(c) for c in chains)},
    )
    return document

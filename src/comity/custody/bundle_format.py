"""The evidence bundle format (``comity-evidence-bundle/v1``), shared by export and offline verification.

A bundle is a zip file::

    manifest.json                 format, case, jurisdiction, log origin and tree size, items, and the
                                  SHA-256 of every other file of the bundle
    evidence/<sha256>             the evidence bytes (absent once destroyed)
    custody/envelopes.jsonl       one custody-event envelope per line, exactly as signed and stored
    log/entries.jsonl             line i: the exact leaf bytes (canonical JSON of the audit event) of the log
                                  entry proving envelope i
    log/proofs.txt                line i: that entry's index, then its RFC 9162 inclusion proof to the
                                  checkpoint, as space-separated hex hashes
    log/checkpoint                the signed checkpoint (C2SP signed note) with witness cosignatures
    keys/trust-store.json         the trust store of the jurisdictions whose keys signed (anchors pinned)
    keys/log.vkey                 the log's C2SP verifier key
    keys/witnesses.vkeys          the witnesses' verifier keys, one per line (may be empty)
    personal.json                 personal data still held, with the salts that open its commitments

Envelopes are grouped by item and ordered by sequence number; the manifest lists items in that order. Lines
are plain so a verifier reads 100,000s of them without parsing a wrapper around each.
"""

from __future__ import annotations

FORMAT = "comity-evidence-bundle/v1"
MANIFEST = "manifest.json"
ENVELOPES = "custody/envelopes.jsonl"
ENTRIES = "log/entries.jsonl"
PROOFS = "log/proofs.txt"
CHECKPOINT = "log/checkpoint"
TRUST_STORE = "keys/trust-store.json"
LOG_VKEY = "keys/log.vkey"
WITNESSES = "keys/witnesses.vkeys"
PERSONAL = "personal.json"
EVIDENCE_DIR = "evidence/"


def evidence_path(sha256: str) -> str:
    """Where an item's bytes are in the bundle."""
    return f"{EVIDENCE_DIR}{sha256}"

"""Build the tampered-log corpus: each case is a folder with its inputs and the error code it must raise.

Deterministic (keys from fixed seeds, Ed25519 signatures are deterministic, fixed cosignature times), so
``python tests/assets/tampered/log/make_corpus.py`` rewrites the same bytes; a test checks that it does.

Case kinds:
- ``entries``: ``entries.b64`` (one entry per line) against ``checkpoint.note`` and ``log.vkey``
- ``inclusion``: ``entry.b64``, ``proof.json`` ({index, tree_size, hashes hex}) against the checkpoint
- ``consistency``: ``old.note``, ``new.note`` and ``proof.json`` ({hashes hex}) under ``log.vkey``
- ``cosigned``: ``checkpoint.note`` with cosignatures, checked with ``witness.vkey`` and a quorum of 1
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import sys
from pathlib import Path

import nacl.signing

from comity.translog.tree import MemoryTree
from comity.verify import COSIGNATURE_V1, ED25519, Checkpoint, EntryContent, NoteSignature, NoteVerifier
from comity.verify.note import cosignature_message

ORIGIN = "comity.example/ie/log"
OTHER_ORIGIN = "comity.example/fr/log"
WITNESS = "witness.example/fr"


def _key(label: str) -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey(hashlib.sha256(f"comity tampered corpus {label}".encode()).digest())


LOG_KEY, ROGUE_KEY, OTHER_LOG_KEY, WITNESS_KEY = (_key(x) for x in ("log", "rogue", "other log", "witness"))


def _verifier(name: str, key_type: int, key: nacl.signing.SigningKey) -> NoteVerifier:
    return NoteVerifier(name, key_type, bytes(key.verify_key))


def entry(index: int, *, salt: str = "") -> bytes:
    """A valid v1 entry (as the sequencer writes them) for a synthetic audit event."""
    return EntryContent(
        index=index,
        audit_seq=100 + index,
        event_id=f"evt_{index:032x}",
        occurred_at=f"2026-09-01T08:{index // 60:02d}:{index % 60:02d}.000000Z",
        tag="custody:evidence:sealed",
        subject_type="evidence",
        subject_id=f"evd_{index:04d}",
        details={"sha256": hashlib.sha256(f"evidence {index}{salt}".encode()).hexdigest()},
        actor_commitment=hashlib.sha256(f"commitment {index}".encode()).hexdigest(),
    ).encode()


def sign(origin: str, size: int, root: bytes, key: nacl.signing.SigningKey) -> str:
    text = Checkpoint(origin=origin, size=size, root_hash=root).text()
    verifier = _verifier(origin, ED25519, key)
    return text + "\n" + NoteSignature(origin, verifier.key_id, key.sign(text.encode()).signature).line()


def cosign(note: str, timestamp: int) -> str:
    text = note[: note.index("\n\n") + 1]
    verifier = _verifier(WITNESS, COSIGNATURE_V1, WITNESS_KEY)
    signature = WITNESS_KEY.sign(cosignature_message(text, timestamp)).signature
    return NoteSignature(WITNESS, verifier.key_id, struct.pack(">Q", timestamp) + signature).line()


def _write(folder: Path, files: dict[str, str], case: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    (folder / "case.json").write_text(json.dumps(case, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _lines(entries: list[bytes]) -> str:
    return "".join(base64.b64encode(e).decode("ascii") + "\n" for e in entries)


def build(out: Path) -> None:
    """Write every case under ``out``."""
    entries = [entry(i) for i in range(16)]
    tree = MemoryTree(entries)
    vkey = _verifier(ORIGIN, ED25519, LOG_KEY).vkey + "\n"
    witness_vkey = _verifier(WITNESS, COSIGNATURE_V1, WITNESS_KEY).vkey + "\n"
    note16 = sign(ORIGIN, 16, tree.root(), LOG_KEY)
    note12 = sign(ORIGIN, 12, tree.root(12), LOG_KEY)
    base = {"log.vkey": vkey, "checkpoint.note": note16}

    def entries_case(name: str, rows: list[bytes], expect: str, description: str, **extra: str) -> None:
        _write(
            out / name,
            {**base, "entries.b64": _lines(rows), **extra},
            {"kind": "entries", "expect": expect, "description": description},
        )

    entries_case("valid-log", entries, "", "the untampered log: verifies")
    swapped = list(entries)
    swapped[5], swapped[6] = swapped[6], swapped[5]
    entries_case("reordered", swapped, "entry_out_of_order", "entries 5 and 6 swapped")
    entries_case("truncated", entries[:13], "truncated_log", "the last 3 entries removed")
    changed = list(entries)
    digest = hashlib.sha256(b"evidence 4").hexdigest()
    flipped = digest[:10] + ("0" if digest[10] != "0" else "1") + digest[11:]
    changed[4] = changed[4].replace(digest.encode(), flipped.encode())
    entries_case(
        "one-byte-changed", changed, "root_mismatch", "one hex digit of entry 4's evidence hash changed"
    )
    entries_case(
        "duplicated-entry", [*entries, entries[3]], "duplicate_entry", "entry 3 appended a second time"
    )
    entries_case(
        "resigned-other-key",
        entries,
        "no_known_signature",
        "the checkpoint re-signed, under the log's name, by another key",
        **{"checkpoint.note": sign(ORIGIN, 16, tree.root(), ROGUE_KEY)},
    )
    other = sign(OTHER_ORIGIN, 16, tree.root(), OTHER_LOG_KEY)
    entries_case(
        "other-origin", entries, "wrong_origin", "a checkpoint of another log", **{"checkpoint.note": other}
    )

    proof = {"index": 7, "tree_size": 15, "hashes": [h.hex() for h in tree.inclusion_proof(7, 15)]}
    _write(
        out / "wrong-tree-size",
        {**base, "entry.b64": _lines([entries[7]]), "proof.json": json.dumps(proof) + "\n"},
        {
            "kind": "inclusion",
            "expect": "tree_size_mismatch",
            "description": "a proof for size 15 with the checkpoint of 16",
        },
    )
    bad = {"index": 7, "tree_size": 16, "hashes": [h.hex() for h in tree.inclusion_proof(9, 16)]}
    _write(
        out / "wrong-inclusion-proof",
        {**base, "entry.b64": _lines([entries[7]]), "proof.json": json.dumps(bad) + "\n"},
        {
            "kind": "inclusion",
            "expect": "inclusion_mismatch",
            "description": "entry 7 with the path of entry 9",
        },
    )

    fork = MemoryTree([*entries[:5], entry(5, salt=" forked"), *entries[6:]])
    forked16 = sign(ORIGIN, 16, fork.root(), LOG_KEY)
    fork_proof = {"hashes": [h.hex() for h in fork.consistency_proof(12, 16)]}
    _write(
        out / "forked-log",
        {
            "log.vkey": vkey,
            "old.note": note12,
            "new.note": forked16,
            "proof.json": json.dumps(fork_proof) + "\n",
        },
        {
            "kind": "consistency",
            "expect": "consistency_mismatch",
            "description": "size 16 of a fork (entry 5 rewritten) after size 12",
        },
    )
    forked12 = sign(ORIGIN, 12, fork.root(12), LOG_KEY)
    _write(
        out / "split-view",
        {
            "log.vkey": vkey,
            "old.note": note12,
            "new.note": forked12,
            "proof.json": json.dumps({"hashes": []}) + "\n",
        },
        {
            "kind": "consistency",
            "expect": "split_view",
            "description": "two signed checkpoints of size 12, two roots",
        },
    )
    _write(
        out / "stale-cosignature",
        {
            "log.vkey": vkey,
            "witness.vkey": witness_vkey,
            "checkpoint.note": note16 + cosign(note12, 1_788_249_600),
        },
        {
            "kind": "cosigned",
            "expect": "cosignature_mismatch",
            "description": "the witness's cosignature of size 12 attached to size 16",
        },
    )
    _write(
        out / "cosigned",
        {
            "log.vkey": vkey,
            "witness.vkey": witness_vkey,
            "checkpoint.note": note16 + cosign(note16, 1_788_249_700),
        },
        {
            "kind": "cosigned",
            "expect": "",
            "description": "a checkpoint with its witness's cosignature: verifies",
        },
    )


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent)

"""The witness protocol (C2SP tlog-witness ``add-checkpoint``), without HTTP.

The check of the old size against the last cosigned checkpoint and the update of that record happen in
one ``BEGIN IMMEDIATE`` SQLite transaction under a process lock, and are on disk (synchronous=FULL)
before the cosignature is returned: two racing requests can never roll the witness's view back.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from comity.verify.checkpoint import parse_checkpoint
from comity.verify.errors import LogVerificationError
from comity.verify.merkle import HASH_SIZE, verify_consistency
from comity.verify.note import NoteSignature, cosignature_message, open_note, parse_note
from comity.witness.config import WatchedLog, WitnessKey

SIZE_MEDIA_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body, media type."""

    status: int
    body: str
    media_type: str = "text/plain; charset=utf-8"


class WitnessState:
    """The latest cosigned checkpoint of each log, in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS cosigned (origin TEXT PRIMARY KEY, size INTEGER NOT NULL, "
                "root BLOB NOT NULL, note TEXT NOT NULL, cosigned_at INTEGER NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")  # persisted before we answer
        return connection

    def latest(self, origin: str) -> tuple[int, bytes | None]:
        """The size and root last cosigned for ``origin`` ((0, None) if never)."""
        with self._connect() as connection:
            row = connection.execute("SELECT size, root FROM cosigned WHERE origin = ?", (origin,)).fetchone()
        return (0, None) if row is None else (int(row[0]), bytes(row[1]))

    def update(
        self,
        origin: str,
        decide: Callable[[int, bytes | None], Answer | None],
        record: tuple[int, bytes, str],
    ) -> Answer | None:
        """Atomically: read the last record, let ``decide`` refuse (an Answer) or accept (None), store."""
        with self._lock:
            connection = self._connect()
            try:
                connection.execute("BEGIN IMMEDIATE")
                row = connection.execute(
                    "SELECT size, root FROM cosigned WHERE origin = ?", (origin,)
                ).fetchone()
                size, root = (0, None) if row is None else (int(row[0]), bytes(row[1]))
                refusal = decide(size, root)
                if refusal is not None:
                    connection.execute("ROLLBACK")
                    return refusal
                connection.execute(
                    "INSERT INTO cosigned (origin, size, root, note, cosigned_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
                    "note = excluded.note, cosigned_at = excluded.cosigned_at",
                    (origin, record[0], record[1], record[2], int(time.time())),
                )
                connection.execute("COMMIT")
                return None
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            finally:
                connection.close()


def cosign(key: WitnessKey, text: str, *, timestamp: int) -> str:
    """A tlog-cosignature/v1 signature line over a checkpoint text."""
    signature = key.signing_key.sign(cosignature_message(text, timestamp)).signature
    return NoteSignature(key.name, key.verifier.key_id, struct.pack(">Q", timestamp) + signature).line()


def _parse_request(body: bytes) -> tuple[int, list[bytes], str] | Answer:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Answer(400, "the request is not UTF-8\n")
    head, separator, note = text.partition("\n\n")
    lines = head.split("\n")
    if not separator or not lines[0].startswith("old "):
        return Answer(400, "expected 'old <size>', proof lines, a blank line, then the checkpoint\n")
    old_text = lines[0][4:]
    if not old_text.isdigit() or (old_text != "0" and old_text.startswith("0")):
        return Answer(400, "the old size is not a decimal without leading zeros\n")
    if len(lines) - 1 > MAX_PROOF_LINES:
        return Answer(400, f"at most {MAX_PROOF_LINES} proof lines\n")
    proof: list[bytes] = []
    for line in lines[1:]:
        try:
            value = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            return Answer(400, "a proof line is not base64\n")
        if len(value) != HASH_SIZE:
            return Answer(400, "a proof line is not a 32-byte hash\n")
        proof.append(value)
    return int(old_text), proof, note


class Witness:
    """The witness: its key, the logs it watches, its state."""

    def __init__(self, *, key: WitnessKey, logs: tuple[WatchedLog, ...], state: WitnessState) -> None:
        self.key = key
        self.logs = {log.origin: log for log in logs}
        self.state = state

    def add_checkpoint(self, body: bytes, *, now: int | None = None) -> Answer:
        """Handle one ``add-checkpoint`` request body; cosign only a consistent, newer-or-equal checkpoint."""
        parsed = _parse_request(body)
        if isinstance(parsed, Answer):
            return parsed
        old, proof, note_text = parsed
        try:
            note = parse_note(note_text)
            origin = note.text.split("\n", 1)[0]
        except LogVerificationError as exc:
            return Answer(400, f"{exc.detail}\n")
        log = self.logs.get(origin)
        if log is None:
            return Answer(404, f"unknown log {origin[:100]!r}\n")
        try:
            open_note(note, log.keys)
        except LogVerificationError as exc:
            return Answer(403, f"no valid signature by a trusted key of {origin}: {exc.detail}\n")
        try:
            checkpoint = parse_checkpoint(note.text)
        except LogVerificationError as exc:
            return Answer(400, f"{exc.detail}\n")
        if old > checkpoint.size:
            return Answer(400, f"old size {old} is larger than the checkpoint's {checkpoint.size}\n")

        def decide(size: int, root: bytes | None) -> Answer | None:
            """Refuse (an Answer) or accept (None) against the last cosigned size and root."""
            conflict = Answer(409, f"{size}\n", SIZE_MEDIA_TYPE)
            if old != size:
                return conflict
            if old == checkpoint.size:
                return None if root == checkpoint.root_hash or root is None else conflict
            if old == 0:
                return None if not proof else Answer(422, "a proof from size 0 must be empty\n")
            try:
                verify_consistency(old, checkpoint.size, root or b"", checkpoint.root_hash, proof)
            except LogVerificationError as exc:
                return Answer(422, f"{exc.detail}\n")
            return None

        refusal = self.state.update(origin, decide, (checkpoint.size, checkpoint.root_hash, note.render()))
        if refusal is not None:
            return refusal
        return Answer(200, cosign(self.key, note.text, timestamp=int(time.time()) if now is None else now))

"""C2SP tlog-checkpoint notes: parse strictly, verify the log's signature and the witnesses' cosignatures.

A checkpoint's text is three lines (origin, decimal tree size without leading zeros, base64 root hash),
optionally followed by extension lines, which Comity never writes and keeps only to re-render the text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from comity.verify.errors import MalformedCheckpoint, MalformedNote, QuorumNotMet, WrongOrigin
from comity.verify.merkle import HASH_SIZE
from comity.verify.note import (
    COSIGNATURE_V1,
    ED25519,
    Note,
    NoteVerifier,
    VerifiedSignature,
    b64_strict,
    open_note,
    parse_note,
    parse_vkey,
)

_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")
_MAX_SIZE = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The three facts a checkpoint commits to (and any extension lines)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The checkpoint body, as signed."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body strictly: each line ends in a newline, no empty line, canonical numbers."""
    if not text.endswith("\n"):
        raise MalformedCheckpoint("the checkpoint text does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint(f"a checkpoint has origin, size and root lines; got {len(lines)} lines")
    origin, size_text, root_text, *extensions = lines
    if not origin or origin != origin.strip():
        raise MalformedCheckpoint("the origin line is empty or has surrounding spaces")
    if not _SIZE.match(size_text) or int(size_text) > _MAX_SIZE:
        raise MalformedCheckpoint(f"tree size {size_text[:30]!r} is not a decimal without leading zeros")
    try:
        root = b64_strict(root_text, what="the root hash", error=MalformedNote)
    except MalformedNote as exc:
        raise MalformedCheckpoint(exc.detail) from None
    if len(root) != HASH_SIZE:
        raise MalformedCheckpoint(f"the root hash is {len(root)} bytes, not {HASH_SIZE}")
    if any(not line for line in extensions):
        raise MalformedCheckpoint("the checkpoint has an empty extension line")
    return Checkpoint(origin=origin, size=int(size_text), root_hash=root, extensions=tuple(extensions))


@dataclass(frozen=True, slots=True)
class OpenedCheckpoint:
    """A checkpoint whose log signature verified, with the cosignatures that verified."""

    checkpoint: Checkpoint
    note: Note
    cosignatures: tuple[VerifiedSignature, ...]


def _verifier(key: NoteVerifier | str) -> NoteVerifier:
    return key if isinstance(key, NoteVerifier) else parse_vkey(key)


def open_checkpoint(
    note: str | bytes | Note,
    log_vkey: NoteVerifier | str,
    *,
    origin: str | None = None,
    witness_vkeys: Iterable[NoteVerifier | str] = (),
    quorum: int = 0,
) -> OpenedCheckpoint:
    """Verify a checkpoint note: the log's signature, its origin, and a quorum of witness cosignatures.

    ``origin`` defaults to the log key's name (C2SP: the key name should be the origin). Cosignatures by
    keys not listed are ignored; one by a listed witness that fails makes the whole note fail.
    """
    parsed = note if isinstance(note, Note) else parse_note(note)
    log_key = _verifier(log_vkey)
    if log_key.key_type != ED25519:
        raise MalformedCheckpoint("the log key must be an Ed25519 (0x01) note key")
    checkpoint = parse_checkpoint(parsed.text)
    expected_origin = origin if origin is not None else log_key.name
    if checkpoint.origin != expected_origin:
        raise WrongOrigin(f"checkpoint of {checkpoint.origin[:100]!r}, expected {expected_origin!r}")
    open_note(parsed, [log_key])
    witnesses = [_verifier(w) for w in witness_vkeys]
    if any(w.key_type != COSIGNATURE_V1 for w in witnesses):
        raise MalformedCheckpoint("witness keys must be cosignature/v1 (0x04) keys")
    cosigned: Sequence[VerifiedSignature] = ()
    listed = {(w.name, w.key_id) for w in witnesses}
    if any((s.name, s.key_id) in listed for s in parsed.signatures):
        cosigned = open_note(parsed, witnesses)
    if len({c.verifier.name for c in cosigned}) < quorum:
        raise QuorumNotMet(
            f"{len(cosigned)} trusted witness(es) cosigned checkpoint {checkpoint.size}; {quorum} required"
        )
    return OpenedCheckpoint(checkpoint=checkpoint, note=parsed, cosignatures=tuple(cosigned))


def verify_checkpoint(
    note: str | bytes | Note,
    log_vkey: NoteVerifier | str,
    *,
    origin: str | None = None,
    witness_vkeys: Iterable[NoteVerifier | str] = (),
    quorum: int = 0,
) -> None:
    """Like :func:`open_checkpoint`, returning nothing."""
    open_checkpoint(note, log_vkey, origin=origin, witness_vkeys=witness_vkeys, quorum=quorum)

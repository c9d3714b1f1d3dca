"""C2SP signed notes: parsing, verifier keys (vkeys) and signature checking.

A note is UTF-8 text ending in a newline, a blank line, then signature lines
``— <key name> <base64(4-byte key id || signature)>``. The key id is
``SHA-256(name || 0x0A || type || public key)[:4]``. Verifiers ignore unknown keys, refuse the note when no
known key verifies, and refuse it too when a known key's signature fails (C2SP signed-note "SHOULD").

Two key types are understood: 0x01 (Ed25519 over the note text) and 0x04 (tlog-cosignature/v1, an
Ed25519 signature over ``cosignature/v1\\ntime <t>\\n<text>`` prefixed by the 8-byte big-endian time).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import nacl.exceptions
import nacl.signing

from comity.verify.errors import (
    BadNoteSignature,
    CosignatureMismatch,
    MalformedNote,
    MalformedVerifierKey,
    NoKnownSignature,
)

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
#: Go's note package accepts at most 100 signatures; C2SP requires accepting at least 16.
MAX_SIGNATURES = 100


def b64_strict(text: str, *, what: str, error: type[MalformedNote] | type[MalformedVerifierKey]) -> bytes:
    """Standard padded base64, refusing any other spelling of the same bytes."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise error(f"{what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise error(f"{what} is not canonical padded base64")
    return raw


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """The 4-byte C2SP key id of a named key."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def valid_key_name(name: str) -> bool:
    """Non-empty, no spaces, no ``+``, no control characters (C2SP signed-note)."""
    return bool(name) and not any(c in " +" or ord(c) < 0x20 or ord(c) == 0x7F for c in name)


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a tlog-cosignature/v1 signs over a checkpoint ``text``."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode("utf-8")


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted key: name, type (0x01 or 0x04) and 32-byte Ed25519 public key."""

    name: str
    key_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """The 4-byte key id."""
        return key_id(self.name, self.key_type, self.public_key)

    @property
    def vkey(self) -> str:
        """This key as a C2SP vkey string."""
        encoded = base64.b64encode(bytes([self.key_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def check(self, text: str, signature: bytes) -> int | None:
        """Verify ``signature`` over ``text``; returns the cosignature time (None for plain notes)."""
        key = nacl.signing.VerifyKey(self.public_key)
        if self.key_type == COSIGNATURE_V1:
            if len(signature) != 72:
                raise CosignatureMismatch(f"cosignature by {self.name} is {len(signature)} bytes, not 72")
            (timestamp,) = struct.unpack(">Q", signature[:8])
            try:
                key.verify(cosignature_message(text, timestamp), signature[8:])
            except nacl.exceptions.BadSignatureError:
                raise CosignatureMismatch(
                    f"the cosignature by {self.name} (time {timestamp}) does not cover this checkpoint: "
                    "it is stale, from another checkpoint, or forged"
                ) from None
            return int(timestamp)
        try:
            key.verify(text.encode("utf-8"), signature)
        except nacl.exceptions.BadSignatureError:
            raise BadNoteSignature(
                f"the signature by {self.name} does not verify: the note was altered"
            ) from None
        return None


def parse_vkey(vkey: str) -> NoteVerifier:
    """Parse ``name+hexid+base64(type||key)``; the id must match, the type be Ed25519 or cosignature/v1."""
    # Only the first two '+' separate fields: base64 itself may hold '+'.
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise MalformedVerifierKey(f"a vkey is name+id+key; got {len(parts)} parts")
    name, hex_id, encoded = parts
    if not valid_key_name(name):
        raise MalformedVerifierKey(f"invalid key name {name[:80]!r}")
    if len(hex_id) != 8 or hex_id != hex_id.lower():
        raise MalformedVerifierKey(f"key id {hex_id[:20]!r} is not 8 lowercase hex digits")
    try:
        claimed = bytes.fromhex(hex_id)
    except ValueError:
        raise MalformedVerifierKey(f"key id {hex_id!r} is not hex") from None
    raw = b64_strict(encoded, what="the vkey key", error=MalformedVerifierKey)
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise MalformedVerifierKey("only Ed25519 (0x01) and cosignature/v1 (0x04) 32-byte keys are supported")
    verifier = NoteVerifier(name=name, key_type=raw[0], public_key=raw[1:])
    if verifier.key_id != claimed:
        raise MalformedVerifierKey(f"key id {hex_id} does not match the key of {name}")
    return verifier


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key name, the 4-byte key id and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The signature line, newline included."""
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{EM_DASH} {self.name} {encoded}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed signed note: its text (ending in a newline) and its signature lines, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        """The note as text again."""
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """A signature that verified: by whom, and the cosignature time when it is one."""

    verifier: NoteVerifier
    timestamp: int | None


def parse_note(note: str | bytes) -> Note:
    """Split a signed note into text and signature lines, checking the layout strictly."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNote("the note is not UTF-8") from None
    if any((ord(c) < 0x20 and c != "\n") or ord(c) == 0x7F for c in note):
        raise MalformedNote("the note holds control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("the note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNote("the last signature line does not end in a newline")
    signatures: list[NoteSignature] = []
    for number, line in enumerate(block[:-1].split("\n"), start=1):
        prefix = EM_DASH + " "
        if not line.startswith(prefix):
            raise MalformedNote(f"signature line {number} does not start with an em dash and a space")
        fields = line[len(prefix) :].split(" ")
        if len(fields) != 2 or not valid_key_name(fields[0]):
            raise MalformedNote(f"signature line {number} is not '— <name> <base64>'")
        raw = b64_strict(fields[1], what=f"signature line {number}", error=MalformedNote)
        if len(raw) < 5:
            raise MalformedNote(f"signature line {number} is too short to hold a key id and a signature")
        signatures.append(NoteSignature(name=fields[0], key_id=raw[:4], signature=raw[4:]))
    if not signatures:
        raise MalformedNote("the note has no signatures")
    if len(signatures) > MAX_SIGNATURES:
        raise MalformedNote(f"the note has {len(signatures)} signatures; at most {MAX_SIGNATURES}")
    return Note(text=text, signatures=tuple(signatures))


def _as_verifiers(keys: Iterable[NoteVerifier | str]) -> list[NoteVerifier]:
    return [k if isinstance(k, NoteVerifier) else parse_vkey(k) for k in keys]


def open_note(
    note: str | bytes | Note, verifiers: Iterable[NoteVerifier | str]
) -> Sequence[VerifiedSignature]:
    """Verify a note against trusted keys; return the signatures that verified (at least one).

    Unknown keys are ignored; a known key whose signature fails makes the whole note fail.
    """
    parsed = note if isinstance(note, Note) else parse_note(note)
    known = {(v.name, v.key_id): v for v in _as_verifiers(verifiers)}
    verified: list[VerifiedSignature] = []
    seen: set[tuple[str, bytes]] = set()
    for signature in parsed.signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None or (signature.name, signature.key_id) in seen:
            continue
        seen.add((signature.name, signature.key_id))
        verified.append(VerifiedSignature(verifier, verifier.check(parsed.text, signature.signature)))
    if not verified:
        names = ", ".join(sorted({s.name for s in parsed.signatures}))
        raise NoKnownSignature(f"no trusted key signed this note (signed by: {names})")
    return verified


def verify_note(note: str | bytes | Note, verifiers: Iterable[NoteVerifier | str]) -> None:
    """Like :func:`open_note`, returning nothing."""
    open_note(note, verifiers)

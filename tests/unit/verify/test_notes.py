"""Signed notes, vkeys, checkpoints and cosignatures: strict parsing and precise errors."""

from __future__ import annotations

import base64
import struct

import nacl.signing
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.translog.tree import MemoryTree
from comity.verify import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    LogVerificationError,
    NoteSignature,
    NoteVerifier,
    open_checkpoint,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify_checkpoint,
)
from comity.verify.entries import ENTRY_FORMAT, EntryContent, canonical, decode_entry
from comity.verify.note import cosignature_message

ORIGIN = "comity.example/ie/log"
LOG_KEY = nacl.signing.SigningKey(b"\x01" * 32)
WITNESS_KEY = nacl.signing.SigningKey(b"\x02" * 32)
LOG = NoteVerifier(ORIGIN, ED25519, bytes(LOG_KEY.verify_key))
WITNESS = NoteVerifier("witness.example/w1", COSIGNATURE_V1, bytes(WITNESS_KEY.verify_key))
TREE = MemoryTree(str(i).encode() for i in range(10))


def _note(checkpoint: Checkpoint) -> str:
    text = checkpoint.text()
    return text + "\n" + NoteSignature(ORIGIN, LOG.key_id, LOG_KEY.sign(text.encode()).signature).line()


def _cosign(note: str, timestamp: int) -> str:
    text = parse_note(note).text
    signature = WITNESS_KEY.sign(cosignature_message(text, timestamp)).signature
    return NoteSignature(WITNESS.name, WITNESS.key_id, struct.pack(">Q", timestamp) + signature).line()


NOTE = _note(Checkpoint(ORIGIN, 10, TREE.root()))


def _code(call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(LogVerificationError) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_a_checkpoint_with_a_cosignature_verifies_with_its_time() -> None:
    opened = open_checkpoint(
        NOTE + _cosign(NOTE, 1_800_000_000), LOG.vkey, witness_vkeys=[WITNESS.vkey], quorum=1
    )
    assert opened.checkpoint == Checkpoint(ORIGIN, 10, TREE.root())
    assert [c.timestamp for c in opened.cosignatures] == [1_800_000_000]
    assert parse_vkey(WITNESS.vkey) == WITNESS


def test_quorum_and_cosignature_failures_are_distinct() -> None:
    assert (
        _code(verify_checkpoint, NOTE, LOG.vkey, witness_vkeys=[WITNESS.vkey], quorum=1) == "quorum_not_met"
    )
    other = _note(Checkpoint(ORIGIN, 9, TREE.root(9)))
    stale = NOTE + _cosign(other, 1_800_000_000)
    assert (
        _code(verify_checkpoint, stale, LOG.vkey, witness_vkeys=[WITNESS.vkey], quorum=1)
        == "cosignature_mismatch"
    )
    # Unknown witnesses are ignored, not failures.
    verify_checkpoint(stale, LOG.vkey)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("comity.example/ie/log\n010\nAAAA\n", "malformed_checkpoint"),
        ("comity.example/ie/log\n10\n", "malformed_checkpoint"),
        ("comity.example/ie/log\n10\n" + base64.b64encode(b"x" * 31).decode() + "\n", "malformed_checkpoint"),
        ("comity.example/ie/log\n-1\n" + base64.b64encode(b"x" * 32).decode() + "\n", "malformed_checkpoint"),
        ("comity.example/ie/log\n10\n" + base64.b64encode(b"x" * 32).decode(), "malformed_checkpoint"),
        (
            "comity.example/ie/log\n10\n" + base64.b64encode(b"x" * 32).decode() + "\n\n",
            "malformed_checkpoint",
        ),
    ],
)
def test_checkpoint_text_is_parsed_strictly(text: str, code: str) -> None:
    assert _code(parse_checkpoint, text) == code


@pytest.mark.parametrize(
    ("note", "code"),
    [
        ("no blank line\n— a AAAAAAA=\n", "malformed_note"),
        ("text\n\n— a AAAAAAA=", "malformed_note"),
        ("text\n\n- a AAAAAAAA\n", "malformed_note"),
        ("text\n\n— a b AAAAAAAA\n", "malformed_note"),
        ("text\n\n— a !!!!\n", "malformed_note"),
        ("te\x07xt\n\n— a AAAAAAAA\n", "malformed_note"),
        ("text\n\n— a AAAA\n", "malformed_note"),
    ],
)
def test_note_layout_is_parsed_strictly(note: str, code: str) -> None:
    assert _code(parse_note, note) == code


@pytest.mark.parametrize(
    "vkey",
    [
        "name+abcd+AQ==",
        "name+0000000g+" + base64.b64encode(b"\x01" + b"k" * 32).decode(),
        "na me+00000000+" + base64.b64encode(b"\x01" + b"k" * 32).decode(),
        "name+00000000+" + base64.b64encode(b"\x01" + b"k" * 32).decode(),
        "name+00000000+" + base64.b64encode(b"\x09" + b"k" * 32).decode(),
        "onlyname",
    ],
)
def test_bad_vkeys_are_refused(vkey: str) -> None:
    assert _code(parse_vkey, vkey) == "malformed_vkey"


def test_origin_signature_and_signer_errors_are_distinct() -> None:
    other = NoteVerifier("comity.example/fr/log", ED25519, bytes(LOG_KEY.verify_key))
    assert _code(verify_checkpoint, NOTE, other.vkey) == "wrong_origin"
    tampered = NOTE.replace("\n10\n", "\n11\n")
    assert _code(verify_checkpoint, tampered, LOG.vkey) == "bad_note_signature"
    stranger = NoteVerifier(ORIGIN, ED25519, bytes(WITNESS_KEY.verify_key))
    assert _code(verify_checkpoint, NOTE, stranger.vkey) == "no_known_signature"


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(),
    number=st.integers(0, 2**63),
    details=st.dictionaries(
        st.text(),
        st.one_of(st.text(), st.integers(), st.booleans(), st.none(), st.lists(st.text(), max_size=3)),
    ),
)
def test_entry_encoding_is_the_canonical_json_of_its_fields(
    text: str, number: int, details: dict[str, object]
) -> None:
    entry = EntryContent(
        index=number,
        audit_seq=number + 1,
        event_id=text,
        occurred_at="2026-09-01T08:00:00.000000Z",
        tag=text[::-1],
        subject_type="t\\u0001" + text,
        subject_id='"' + text,
        details=details,
        actor_commitment=text + "\n",
    )
    fields = {k: getattr(entry, k) for k in EntryContent.__slots__}
    assert entry.encode() == canonical({**fields, "details": dict(details), "format": ENTRY_FORMAT})
    assert decode_entry(entry.encode()) == entry

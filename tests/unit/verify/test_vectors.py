"""Independent vectors: the 196 transparency-dev/merkle proofs and the C2SP signed-note example."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from comity.verify import (
    LogVerificationError,
    NoKnownSignature,
    open_note,
    parse_vkey,
    verify_consistency,
    verify_inclusion,
    verify_note,
)

VECTORS = Path(__file__).parents[2] / "assets" / "vectors"
MERKLE = VECTORS / "transparency-dev-merkle" / "testdata"
INCLUSION = sorted((MERKLE / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((MERKLE / "consistency").rglob("*.json"))


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _proof(raw: dict[str, Any]) -> list[bytes]:
    return [_b64(h) for h in raw["proof"] or []]


def _id(path: Path) -> str:
    return str(path.relative_to(MERKLE))


def test_all_196_vectors_are_present() -> None:
    assert len(INCLUSION) + len(CONSISTENCY) == 196


@pytest.mark.parametrize("path", INCLUSION, ids=_id)
def test_inclusion_vector(path: Path) -> None:
    raw = json.loads(path.read_text())
    args = (raw["leafIdx"], raw["treeSize"], _b64(raw["leafHash"]), _proof(raw), _b64(raw["root"]))
    if raw["wantErr"]:
        with pytest.raises(LogVerificationError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=_id)
def test_consistency_vector(path: Path) -> None:
    raw = json.loads(path.read_text())
    args = (raw["size1"], raw["size2"], _b64(raw["root1"]), _b64(raw["root2"]), _proof(raw))
    if raw["wantErr"]:
        with pytest.raises(LogVerificationError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


NOTE = (VECTORS / "c2sp" / "signed-note.txt").read_bytes()
VKEY = (VECTORS / "c2sp" / "signed-note.vkey").read_text().strip()


def test_c2sp_signed_note_vector_verifies() -> None:
    verified = open_note(NOTE, [VKEY])
    assert [v.verifier.name for v in verified] == ["PeterNeumann"]
    assert parse_vkey(VKEY).vkey == VKEY


def test_unknown_keys_are_ignored_but_one_known_key_is_needed() -> None:
    other = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    verify_note(NOTE, [other, VKEY])
    with pytest.raises(NoKnownSignature):
        verify_note(NOTE, [other])


@pytest.mark.parametrize("position", range(len(NOTE)))
def test_every_single_byte_change_of_the_note_fails(position: int) -> None:
    tampered = bytearray(NOTE)
    tampered[position] ^= 0x01
    with pytest.raises(LogVerificationError):
        verify_note(bytes(tampered), [VKEY])

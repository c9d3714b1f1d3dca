"""Key statements: exact payloads, strict reading, and the checks that bind a key id to its key."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from comity.keys.statements import Registration, Revocation, statement_digest
from comity.kinds import AuthorityType
from comity.signing.envelope import PayloadType, sign
from comity.signing.errors import MalformedPayload
from comity.signing.keys import Algorithm, Ed25519Signer, Holder, KeyPurpose, RevocationReason
from unit.keys.keys_support import T0


def _registration(**changes: object) -> Registration:
    key = Ed25519Signer.generate()
    base = Registration(
        jurisdiction="IE",
        anchor="a" * 64,
        keyid=key.keyid,
        algorithm=Algorithm.ED25519,
        public_key=key.public_key,
        purpose=KeyPurpose.AUTHORITY_SIGNING,
        holder=Holder("IE", "org_1", AuthorityType.POLICE),
        valid_from=T0,
        valid_until=T0 + timedelta(days=1),
        issued_at=T0,
    )
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


def test_registration_round_trip_is_byte_exact() -> None:
    registration = _registration()
    payload = registration.to_payload()
    assert Registration.from_payload(payload) == registration
    assert Registration.from_payload(payload).to_payload() == payload
    assert json.loads(payload)["holder"] == {
        "organisation": "org_1",
        "authority_type": "police",
        "officer": None,
    }


def test_revocation_round_trip() -> None:
    revocation = Revocation(
        "IE", "a" * 64, "b" * 64, T0, RevocationReason.SUPERSEDED, "rotated", T0, "c" * 64
    )
    assert Revocation.from_payload(revocation.to_payload()) == revocation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"keyid": "c" * 64}, "not the hash of the public key"),
        ({"purpose": "node_encryption"}, "needs an x25519 key"),
        ({"purpose": "archangel"}, "unknown KeyPurpose"),
        ({"valid_until": "2026-03-01T00:00:00Z"}, "must be after valid_from"),
        ({"jurisdiction": "ie"}, "does not match"),
        ({"holder": {"authority_type": "sheriff"}}, "unknown AuthorityType"),
        ({"extra": True}, "unexpected field"),
    ],
)
def test_registration_read_strictly(change: dict[str, object], message: str) -> None:
    document = json.loads(_registration().to_payload())
    document.update(change)
    with pytest.raises(MalformedPayload, match=message):
        Registration.from_payload(json.dumps(document).encode())


def test_digest_binds_type_and_payload_not_signatures() -> None:
    payload = _registration().to_payload()
    one = sign(payload, PayloadType.KEY_REGISTRATION, Ed25519Signer.generate())
    two = sign(payload, PayloadType.KEY_REGISTRATION, Ed25519Signer.generate())
    other_type = sign(payload, PayloadType.KEY_REVOCATION, Ed25519Signer.generate())
    assert statement_digest(one) == statement_digest(two) != statement_digest(other_type)

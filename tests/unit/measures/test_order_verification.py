"""Offline verification of orders with in-memory keys: every check and its stable reason code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from comity.kinds import AuthorityType
from comity.measures.orders import OrderContent, Party, sign_order, verify_order
from comity.signing.checks import MemorySeenIds
from comity.signing.errors import CodedVerificationError
from comity.signing.keys import Ed25519Signer, Holder, KeyInfo, KeyPurpose, KeyRing

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
POLICE, JUDGE, PLATFORM_NODE = Ed25519Signer.generate(), Ed25519Signer.generate(), Ed25519Signer.generate()


def _info(
    signer: Ed25519Signer, purpose: KeyPurpose, org: str | None, authority: AuthorityType | None
) -> KeyInfo:
    return KeyInfo(
        keyid=signer.keyid,
        algorithm=KeyPurpose.AUTHORITY_SIGNING.algorithm,
        public_key=signer.public_key,
        purpose=purpose,
        holder=Holder("IE", org, authority),
        anchor="a" * 64,
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=365),
    )


RING = KeyRing(
    [
        _info(POLICE, KeyPurpose.AUTHORITY_SIGNING, "police", AuthorityType.POLICE),
        _info(JUDGE, KeyPurpose.AUTHORITY_SIGNING, "court", AuthorityType.JUDGE),
        _info(PLATFORM_NODE, KeyPurpose.NODE_SIGNING, None, None),
    ]
)


def _order(**changes: object) -> OrderContent:
    fields: dict[str, object] = dict(
        order_id="ord_1",
        measure_id="msr_1",
        instruction="apply",
        measure="removal_order",
        step="judicial_order",
        regime="dsa_order",
        agreement="dsa-eu5",
        addressee="bazaar",
        issuing=Party("police", "IE", AuthorityType.POLICE),
        validating=Party("court", "IE", AuthorityType.JUDGE),
        legal_basis="DSA Art. 9",
        territorial_scope=("IE",),
        target="seller",
        data_category=None,
        issued_at=NOW,
        expires_at=NOW + timedelta(days=30),
        respond_by=None,
        provisional=False,
        review_deadline=None,
        case_reference="case_1",
    )
    fields.update(changes)
    return OrderContent(**fields)  # type: ignore[arg-type]


def _code(data: bytes, **kwargs: object) -> str:
    with pytest.raises(CodedVerificationError) as caught:
        verify_order(data, keys=RING, addressee=str(kwargs.pop("addressee", "bazaar")), at=NOW, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


def test_a_judicial_order_signed_by_issuer_and_judge_verifies_once() -> None:
    data = sign_order(_order(), POLICE, JUDGE).to_json()
    seen = MemorySeenIds()
    verified = verify_order(data, keys=RING, addressee="bazaar", at=NOW, seen=seen)
    assert verified.summary()["validating"]["organisation"] == "court"
    assert _code(data, seen=seen) == "replayed"


def test_refusals() -> None:
    assert _code(sign_order(_order(), POLICE).to_json()) == "not_competent"  # no judge's signature
    assert _code(sign_order(_order(validating=None), POLICE).to_json()) == "not_competent"
    assert _code(sign_order(_order(), JUDGE, POLICE).to_json()) == "not_competent"  # issuer is not the signer
    assert _code(sign_order(_order(), POLICE, JUDGE).to_json(), addressee="other") == "wrong_addressee"
    assert _code(sign_order(_order(expires_at=NOW), POLICE, JUDGE).to_json()) == "expired"
    assert _code(sign_order(_order(), PLATFORM_NODE).to_json()) == "wrong_key_purpose"
    assert _code(sign_order(_order(), Ed25519Signer.generate()).to_json()) == "unknown_key"
    assert _code(b"{not json") == "malformed_envelope"

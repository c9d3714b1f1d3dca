"""The signing envelope: PAE exactness, round trip, and a corpus of tampered envelopes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import nacl.signing
import pytest

from comity.errors import VerificationError
from comity.kinds import AuthorityType
from comity.signing import errors as errs
from comity.signing.envelope import Envelope, PayloadType, cosign, pae, sign, verify
from comity.signing.keys import Algorithm, KeyPurpose, KeyRing, RevocationReason, compute_keyid
from unit.signing.signing_support import T0, Pair, PairFactory

ORDER = PayloadType.ORDER
PAYLOAD = b'{"order_id":"ord_1","addressee":"org_platform","measure":"removal_order"}'
AT = T0 + timedelta(days=10)
JUDGES = {KeyPurpose.AUTHORITY_SIGNING}


def _verify(data: Envelope | bytes, keys: KeyRing, **kw: Any) -> Any:
    options: dict[str, Any] = {"expected_type": ORDER, "purposes": JUDGES, "at": AT}
    options.update(kw)
    return verify(data, keys=keys, **options)


# -- PAE ----------------------------------------------------------------------------------------------


def test_pae_matches_the_dsse_spec_example() -> None:
    # DSSE v1.0 protocol.md: PAE("http://example.com/HelloWorld", "hello world").
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_of_a_comity_type_counted_by_hand() -> None:
    # "application/vnd.comity.order+json" = 12 + 21 = 33 bytes; b'{"a":1}' = 7 bytes.
    assert pae(ORDER, b'{"a":1}') == b'DSSEv1 33 application/vnd.comity.order+json 7 {"a":1}'
    assert pae(ORDER, b"") == b"DSSEv1 33 application/vnd.comity.order+json 0 "


def test_pae_counts_bytes_not_characters() -> None:
    body = "é".encode()  # two bytes
    assert pae(ORDER, body) == b"DSSEv1 33 application/vnd.comity.order+json 2 " + body


def test_signature_is_over_the_pae_not_the_payload(judge: Pair) -> None:
    envelope = sign(PAYLOAD, ORDER, judge.signer)
    key = nacl.signing.VerifyKey(judge.info.public_key)
    key.verify(pae(ORDER, PAYLOAD), envelope.signatures[0].sig)
    with pytest.raises(nacl.exceptions.BadSignatureError):
        key.verify(PAYLOAD, envelope.signatures[0].sig)


# -- round trip ----------------------------------------------------------------------------------------


def test_round_trip(judge: Pair, ring: KeyRing) -> None:
    envelope = sign(PAYLOAD, ORDER, judge.signer)
    wire = envelope.to_json()
    assert json.loads(wire) == {
        "payload": base64.b64encode(PAYLOAD).decode(),
        "payloadType": ORDER,
        "signatures": [{"keyid": judge.keyid, "sig": base64.b64encode(envelope.signatures[0].sig).decode()}],
    }
    parsed = Envelope.from_json(wire)
    assert parsed == envelope
    assert parsed.to_json() == wire
    verified = _verify(parsed, ring)
    assert verified.payload == PAYLOAD
    assert verified.key.keyid == judge.keyid
    assert verified.key.holder.authority_type is AuthorityType.JUDGE
    assert verified.fields().text("order_id") == "ord_1"


def test_verify_accepts_the_wire_bytes(judge: Pair, ring: KeyRing) -> None:
    assert _verify(sign(PAYLOAD, ORDER, judge.signer).to_json(), ring).payload == PAYLOAD


def test_sign_refuses_a_type_outside_the_comity_domain(judge: Pair) -> None:
    with pytest.raises(ValueError, match=r"vnd\.comity"):
        sign(PAYLOAD, "application/json", judge.signer)


def test_keyid_is_the_hash_of_algorithm_and_public_key(judge: Pair) -> None:
    import hashlib

    expected = hashlib.sha256(b"ed25519\n" + judge.info.public_key).hexdigest()
    assert judge.keyid == expected == compute_keyid(Algorithm.ED25519, judge.info.public_key)
    assert compute_keyid(Algorithm.X25519, judge.info.public_key) != expected


def test_cosigned_envelope_verifies_both_signers(make_pair: PairFactory, judge: Pair) -> None:
    prosecutor = make_pair(authority_type=AuthorityType.PROSECUTOR)
    envelope = cosign(sign(PAYLOAD, ORDER, prosecutor.signer), judge.signer)
    verified = _verify(envelope, KeyRing([prosecutor.info, judge.info]))
    assert [s.keyid for s in verified.signers] == [prosecutor.keyid, judge.keyid]
    with pytest.raises(ValueError, match="already signed"):
        cosign(envelope, judge.signer)


def test_unknown_cosigner_refused_unless_ignored(make_pair: PairFactory, judge: Pair, ring: KeyRing) -> None:
    witness = make_pair(KeyPurpose.WITNESS_SIGNING, authority_type=None)
    envelope = cosign(sign(PAYLOAD, ORDER, judge.signer), witness.signer)
    with pytest.raises(errs.UnknownKey):
        _verify(envelope, ring)
    assert [s.keyid for s in _verify(envelope, ring, ignore_unknown=True).signers] == [judge.keyid]
    only_unknown = sign(PAYLOAD, ORDER, witness.signer)
    with pytest.raises(errs.UnknownKey):
        _verify(only_unknown, ring, ignore_unknown=True)


def test_verify_needs_a_purpose(judge: Pair, ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="purpose"):
        _verify(sign(PAYLOAD, ORDER, judge.signer), ring, purposes=set())


# -- key validity and purpose -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"valid_from": AT + timedelta(seconds=1)}, errs.KeyNotYetValid, "valid from"),
        ({"valid_until": AT}, errs.KeyExpired, "expired"),
        (
            {"revoked_at": AT, "revocation_reason": RevocationReason.KEY_COMPROMISE},
            errs.KeyRevoked,
            "key_compromise",
        ),
        (
            {"revoked_at": AT - timedelta(days=1), "revocation_reason": RevocationReason.SUPERSEDED},
            errs.KeyRevoked,
            "superseded",
        ),
        ({"purpose": KeyPurpose.NODE_SIGNING}, errs.WrongKeyPurpose, "node_signing"),
    ],
)
def test_key_not_usable_at_that_time_or_for_that_purpose(
    make_pair: PairFactory, overrides: dict[str, Any], error: type[errs.CodedVerificationError], message: str
) -> None:
    pair = make_pair(**overrides)
    with pytest.raises(error, match=message) as caught:
        _verify(sign(PAYLOAD, ORDER, pair.signer), KeyRing([pair.info]))
    assert caught.value.code == error.code
    assert caught.value.extensions["code"] == error.code


def test_key_valid_just_before_revocation(make_pair: PairFactory) -> None:
    pair = make_pair(revoked_at=AT + timedelta(seconds=1), revocation_reason=RevocationReason.KEY_COMPROMISE)
    assert _verify(sign(PAYLOAD, ORDER, pair.signer), KeyRing([pair.info])).payload == PAYLOAD


def test_an_encryption_key_cannot_sign(make_pair: PairFactory) -> None:
    pair = make_pair(KeyPurpose.NODE_ENCRYPTION, authority_type=None)
    with pytest.raises(errs.WrongKeyPurpose, match="cannot sign"):
        _verify(sign(PAYLOAD, ORDER, pair.signer), KeyRing([pair.info]))


# -- the tampered corpus ------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any], Pair, Pair], dict[str, Any] | bytes]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _alter_payload_byte(obj: dict[str, Any], *_: Pair) -> dict[str, Any]:
    payload = bytearray(base64.b64decode(obj["payload"]))
    payload[10] ^= 0x01
    return {**obj, "payload": _b64(bytes(payload))}


def _signed_by_other_key_same_keyid(obj: dict[str, Any], _judge: Pair, other: Pair) -> dict[str, Any]:
    sig = other.signer.sign(pae(ORDER, base64.b64decode(obj["payload"])))
    return {**obj, "signatures": [{"keyid": obj["signatures"][0]["keyid"], "sig": _b64(sig)}]}


def _signed_by_untrusted_key(obj: dict[str, Any], _judge: Pair, other: Pair) -> dict[str, Any]:
    return sign(base64.b64decode(obj["payload"]), ORDER, other.signer).to_obj()


def _with_signature(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**obj, "signatures": [{**obj["signatures"][0], **changes}]}


_URLSAFE = str.maketrans("+/", "-_")
Bad = errs.BadSignature
Malformed = errs.MalformedEnvelope
CORPUS: dict[str, tuple[Mutation, type[VerificationError]]] = {
    "altered payload byte": (_alter_payload_byte, Bad),
    "altered payload type": (
        lambda o, *_: {**o, "payloadType": PayloadType.RECEIPT.value},
        errs.UnexpectedPayloadType,
    ),
    "signature by another key under the trusted keyid": (_signed_by_other_key_same_keyid, Bad),
    "signature by an untrusted key": (_signed_by_untrusted_key, errs.UnknownKey),
    "truncated signature": (
        lambda o, *_: _with_signature(o, sig=_b64(base64.b64decode(o["signatures"][0]["sig"])[:63])),
        Malformed,
    ),
    "zeroed signature": (lambda o, *_: _with_signature(o, sig=_b64(bytes(64))), Bad),
    "bad base64 payload": (lambda o, *_: {**o, "payload": "not*base64!"}, Malformed),
    "unpadded base64 payload": (
        lambda o, *_: {**o, "payload": o["payload"].rstrip("=")},
        Malformed,
    ),
    "url-safe base64 signature": (
        lambda o, *_: _with_signature(
            o, sig=o["signatures"][0]["sig"].replace("+", "-").replace("/", "_") + "-"
        ),
        Malformed,
    ),
    "missing payload": (lambda o, *_: {k: v for k, v in o.items() if k != "payload"}, Malformed),
    "missing signatures": (
        lambda o, *_: {k: v for k, v in o.items() if k != "signatures"},
        Malformed,
    ),
    "empty signatures": (lambda o, *_: {**o, "signatures": []}, Malformed),
    "extra top-level field": (lambda o, *_: {**o, "note": "trust me"}, Malformed),
    "extra signature field": (lambda o, *_: _with_signature(o, cert="x"), Malformed),
    "missing keyid": (
        lambda o, *_: {**o, "signatures": [{"sig": o["signatures"][0]["sig"]}]},
        Malformed,
    ),
    "keyid not hex": (lambda o, *_: _with_signature(o, keyid="judge-key"), Malformed),
    "wrong keyid (another trusted key)": (
        lambda o, _j, other: _with_signature(o, keyid=other.keyid),
        Bad,
    ),
    "same key signing twice": (lambda o, *_: {**o, "signatures": o["signatures"] * 2}, Malformed),
    "payload type not a string": (lambda o, *_: {**o, "payloadType": 7}, Malformed),
    "payload type with spaces": (
        lambda o, *_: {**o, "payloadType": "application/vnd.comity.order json"},
        Malformed,
    ),
    "not an object": (lambda o, *_: [o], Malformed),
    "duplicated payload field": (
        lambda o, *_: ('{"payload":"' + _b64(b"{}") + '",' + json.dumps(o, sort_keys=True)[1:]).encode(),
        Malformed,
    ),
    "trailing junk": (lambda o, *_: json.dumps(o).encode() + b" garbage", Malformed),
    "invalid utf-8": (lambda o, *_: b"\xff" + json.dumps(o).encode(), Malformed),
    "NaN smuggled in": (lambda o, *_: json.dumps({**o, "x": float("nan")}).encode(), Malformed),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_tampered_envelope_is_refused_with_its_reason(case: str, judge: Pair, make_pair: PairFactory) -> None:
    other = make_pair()  # a second, trusted judge key: tampering must not borrow its trust
    keys = KeyRing([judge.info, other.info]) if "another trusted" in case else KeyRing([judge.info])
    if "under the trusted keyid" in case:
        keys = KeyRing([judge.info])
    mutate, expected = CORPUS[case]
    tampered = mutate(sign(PAYLOAD, ORDER, judge.signer).to_obj(), judge, other)
    data = tampered if isinstance(tampered, bytes) else json.dumps(tampered).encode()
    with pytest.raises(expected) as caught:
        _verify(Envelope.from_json(data), keys)
    assert isinstance(caught.value, errs.CodedVerificationError)
    assert caught.value.status == 422


def test_altered_type_does_not_verify_even_when_expected(judge: Pair, ring: KeyRing) -> None:
    obj = {**sign(PAYLOAD, ORDER, judge.signer).to_obj(), "payloadType": PayloadType.RECEIPT.value}
    with pytest.raises(errs.BadSignature):
        _verify(Envelope.from_obj(obj), ring, expected_type=PayloadType.RECEIPT)


def test_oversized_envelope_is_refused_before_parsing() -> None:
    from comity.signing.envelope import MAX_ENVELOPE_BYTES

    with pytest.raises(errs.MalformedEnvelope, match="exceeds"):
        Envelope.from_json(b" " * (MAX_ENVELOPE_BYTES + 1))


def test_deep_nesting_is_a_verification_error_not_a_crash() -> None:
    with pytest.raises(errs.MalformedEnvelope):
        Envelope.from_json(b"[" * 100_000)


def test_error_codes_are_unique_and_stable() -> None:
    codes = [cls.code for cls in errs.ALL_ERRORS]
    assert len(codes) == len(set(codes))
    assert all(issubclass(cls, VerificationError) for cls in errs.ALL_ERRORS)
    assert errs.BadSignature.code == "bad_signature"
    assert errs.NotCompetent.code == "not_competent"

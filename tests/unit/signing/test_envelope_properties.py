"""Properties of the envelope parser and verifier under hostile input (hypothesis)."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comity.errors import VerificationError
from comity.signing.envelope import Envelope, PayloadType, sign, verify
from comity.signing.keys import KeyPurpose, KeyRing
from unit.signing.signing_support import T0, new_pair

JUDGE = new_pair()
KEYS = KeyRing([JUDGE.info])
GOOD = sign(b'{"order_id":"ord_1"}', PayloadType.ORDER, JUDGE.signer).to_json()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
envelope_like = st.fixed_dictionaries(
    {},
    optional={
        "payload": st.text(max_size=40) | json_values,
        "payloadType": st.sampled_from([PayloadType.ORDER.value, "x"]) | json_values,
        "signatures": st.lists(
            st.dictionaries(st.sampled_from(["keyid", "sig", "extra"]), st.text(max_size=90) | json_values),
            max_size=3,
        )
        | json_values,
        "other": json_values,
    },
)


def _parse_and_verify(data: bytes) -> None:
    envelope = Envelope.from_json(data)
    verify(
        envelope,
        keys=KEYS,
        expected_type=PayloadType.ORDER,
        purposes={KeyPurpose.AUTHORITY_SIGNING},
        at=T0 + timedelta(days=1),
    )


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_random_bytes_raise_only_verification_errors(data: bytes) -> None:
    with contextlib.suppress(VerificationError):
        _parse_and_verify(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(envelope_like)
def test_envelope_shaped_json_raises_only_verification_errors(value: dict[str, Any]) -> None:
    with contextlib.suppress(VerificationError):
        _parse_and_verify(json.dumps(value).encode())


@settings(max_examples=300)
@given(st.integers(min_value=0, max_value=len(GOOD) - 1), st.integers(min_value=1, max_value=255))
def test_any_single_byte_change_of_a_signed_envelope_is_refused(position: int, delta: int) -> None:
    tampered = bytearray(GOOD)
    tampered[position] = (tampered[position] + delta) % 256
    try:
        _parse_and_verify(bytes(tampered))
    except VerificationError:
        return
    raise AssertionError(f"a change at byte {position} went unnoticed")

"""The egress gate: fields dropped, categories refused, pseudonyms, TLP, signing and sealing."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

import pytest

from comity.errors import InvalidInput
from comity.signing import errors as errs
from comity.signing.envelope import MAX_ENVELOPE_BYTES, Envelope, PayloadType
from comity.transport.egress import (
    MAX_ATTACHMENT_BYTES,
    Attachment,
    AttachmentsTooLarge,
    Outbound,
    pseudonymise,
)
from comity.transport.errors import DataCategoryNotPermitted, EgressRefused
from comity.transport.message import open_message
from comity.transport.tlp import Tlp
from unit.transport.transport_support import Federation, agreement

EMAIL = "seller@example.test"


def _item(**changes: object) -> Outbound:
    base: dict[str, object] = {
        "kind": "production_answer",
        "recipient": "FR",
        "tlp": Tlp.AMBER,
        "facts": {"request_id": "req_1", "offence": "counterfeit_goods"},
        "data": {"subscriber": {"email": EMAIL, "country": "IE", "phone": "+353 1 555 0100"}},
    }
    base.update(changes)
    return Outbound(**base)  # type: ignore[arg-type]


def _open(fed: Federation, data: bytes) -> dict[str, object]:
    inbound = open_message(
        data,
        keys=fed.keys,
        recipient="FR",
        at=fed.clock.now(),
        decryption_keys={fed.fr_encryption.keyid: fed.fr_private},
    )
    return dict(inbound.message.body)


def test_fields_not_shareable_are_dropped_and_never_on_the_wire(fed: Federation) -> None:
    prepared = fed.gate.prepare(_item(), agreement=agreement())
    assert prepared.minimisation.dropped == ("subscriber.phone",)
    assert set(prepared.minimisation.kept) == {"subscriber.email", "subscriber.country"}
    assert b"555 0100" not in prepared.data
    assert b"phone" not in Envelope.from_json(prepared.data).payload
    body = _open(fed, prepared.data)
    assert body["data"] == {
        "subscriber": {"email": pseudonymise(fed.secrets.secret_for("eev-ie-fr", 1), EMAIL), "country": "IE"}
    }
    assert body["facts"] == {"request_id": "req_1", "offence": "counterfeit_goods"}


@pytest.mark.parametrize("category", ["traffic", "content", "biometrics"])
def test_a_category_the_agreement_does_not_permit_is_refused_naming_it(
    fed: Federation, category: str
) -> None:
    with pytest.raises(DataCategoryNotPermitted, match=repr(category)) as caught:
        fed.gate.prepare(_item(data={category: {"x": "y"}}), agreement=agreement())
    assert caught.value.path == f"data.{category}"
    assert caught.value.status == 422


def test_pseudonyms_are_stable_within_an_agreement_and_differ_across(fed: Federation) -> None:
    first = fed.gate.prepare(_item(), agreement=agreement("eev-ie-fr"))
    again = fed.gate.prepare(_item(), agreement=agreement("eev-ie-fr"))
    other = fed.gate.prepare(_item(), agreement=agreement("mla-ie-fr"))
    email = [_open(fed, p.data)["data"]["subscriber"]["email"] for p in (first, again, other)]  # type: ignore[index]
    assert email[0] == email[1] != email[2]
    assert str(email[0]).startswith("hmac-sha256:")
    assert EMAIL.encode() not in first.data
    assert first.minimisation.pseudonymised == ("subscriber.email",)


def test_lists_of_identifiers_are_pseudonymised_each(fed: Federation) -> None:
    item = _item(data={"subscriber": {"account_id": ["a1", "a2"]}})
    body = _open(fed, fed.gate.prepare(item, agreement=agreement()).data)
    secret = fed.secrets.secret_for("eev-ie-fr", 1)
    assert body["data"] == {
        "subscriber": {"account_id": [pseudonymise(secret, "a1"), pseudonymise(secret, "a2")]}
    }
    with pytest.raises(InvalidInput, match="string or a list of strings"):
        fed.gate.prepare(_item(data={"subscriber": {"account_id": 42}}), agreement=agreement())


def test_tlp_marking_is_in_the_signed_header(fed: Federation) -> None:
    prepared = fed.gate.prepare(_item(tlp=Tlp.AMBER_STRICT), agreement=agreement())
    inbound = open_message(prepared.data, keys=fed.keys, recipient="FR", at=fed.clock.now())
    assert inbound.message.tlp is Tlp.AMBER_STRICT
    assert inbound.message.tlp.label == "TLP:AMBER+STRICT"
    assert prepared.tlp is Tlp.AMBER_STRICT


def test_personal_data_is_never_clear_or_green(fed: Federation) -> None:
    for tlp in (Tlp.CLEAR, Tlp.GREEN):
        with pytest.raises(EgressRefused, match="cannot be marked"):
            fed.gate.prepare(_item(tlp=tlp), agreement=agreement())
    facts_only = fed.gate.prepare(_item(tlp=Tlp.CLEAR, data={}), agreement=agreement())
    assert facts_only.minimisation.kept == ()


def test_personal_data_cannot_travel_as_facts(fed: Federation) -> None:
    with pytest.raises(EgressRefused, match=r"facts\.target\.email") as caught:
        fed.gate.prepare(_item(facts={"target": {"email": EMAIL}}), agreement=agreement())
    assert caught.value.path == "facts.target.email"


def test_the_agreement_must_be_in_force_and_bind_both_parties(fed: Federation) -> None:
    with pytest.raises(EgressRefused, match="not a party") as caught:
        fed.gate.prepare(_item(recipient="DE"), agreement=agreement())
    assert caught.value.path == "recipient"
    with pytest.raises(EgressRefused, match="not a party"):
        fed.gate.prepare(_item(), agreement=agreement(parties=("FR", "DE")))
    fed.clock.advance(timedelta(days=800))
    with pytest.raises(EgressRefused, match="not in force"):
        fed.gate.prepare(_item(), agreement=agreement())


def test_bad_kind_and_non_json_values_are_input_errors(fed: Federation) -> None:
    with pytest.raises(InvalidInput):
        fed.gate.prepare(_item(kind="Not A Kind"), agreement=agreement())
    with pytest.raises(InvalidInput, match="not JSON"):
        fed.gate.prepare(_item(facts={"when": object()}), agreement=agreement())


def test_sealed_to_the_recipient(fed: Federation) -> None:
    prepared = fed.gate.prepare(_item(), agreement=agreement(), seal_to=fed.fr_encryption)
    envelope = Envelope.from_json(prepared.data)
    assert envelope.payload_type == PayloadType.MESSAGE
    assert b"req_1" not in prepared.data  # the body, facts included, is only inside the sealed box
    assert _open(fed, prepared.data)["facts"] == {"request_id": "req_1", "offence": "counterfeit_goods"}
    with pytest.raises(errs.DecryptionFailed, match="does not hold"):
        open_message(prepared.data, keys=fed.keys, recipient="FR", at=fed.clock.now())
    with pytest.raises(EgressRefused, match="not to the recipient DE"):
        fed.gate.prepare(
            _item(recipient="DE"), agreement=agreement(parties=("IE", "DE")), seal_to=fed.fr_encryption
        )


def test_send_hands_the_signed_bytes_to_the_transport(fed: Federation) -> None:
    prepared, receipt = fed.gate.send(_item(), agreement=agreement())
    assert receipt.message_id == prepared.message_id
    assert receipt.digest == prepared.digest
    [inbound] = fed.fr_transport.receive()
    assert inbound.data == prepared.data
    assert inbound.signer.keyid == fed.ie_key.keyid


# -- attachments (evidence bytes) ---------------------------------------------------------------------

BYTES = b"\x89PNG evidence bytes \x00\x01"


def _attached(*attachments: Attachment, **changes: object) -> Outbound:
    return _item(data={}, attachments=attachments, **changes)


def test_attachments_travel_sealed_with_their_hash_size_and_content(fed: Federation) -> None:
    item = _attached(Attachment("evd_1", "subscriber", "image/png", BYTES))
    prepared = fed.gate.prepare(item, agreement=agreement(), seal_to=fed.fr_encryption)
    assert prepared.minimisation.attachments == ("evd_1",)
    assert BYTES not in prepared.data
    assert base64.b64encode(BYTES) not in prepared.data
    attachments: Any = _open(fed, prepared.data)["attachments"]
    (carried,) = attachments
    assert carried == {
        "name": "evd_1",
        "data_category": "subscriber",
        "media_type": "image/png",
        "sha256": hashlib.sha256(BYTES).hexdigest(),
        "size": len(BYTES),
        "content": base64.b64encode(BYTES).decode("ascii"),
    }


def test_a_body_without_attachments_is_unchanged(fed: Federation) -> None:
    body = _open(fed, fed.gate.prepare(_item(), agreement=agreement(), seal_to=fed.fr_encryption).data)
    assert set(body) == {"facts", "data", "pseudonymised"}


def test_an_attachment_of_a_category_the_agreement_does_not_permit_is_refused(fed: Federation) -> None:
    item = _attached(
        Attachment("evd_1", "subscriber", "image/png", BYTES),
        Attachment("evd_2", "content", "image/png", BYTES),
    )
    with pytest.raises(DataCategoryNotPermitted, match="'content'") as caught:
        fed.gate.prepare(item, agreement=agreement())
    assert caught.value.path == "attachments[1]"
    with pytest.raises(DataCategoryNotPermitted) as unknown:
        fed.gate.prepare(
            _attached(Attachment("evd_1", "biometrics", "image/png", BYTES)), agreement=agreement()
        )
    assert unknown.value.path == "attachments[0]"


@pytest.mark.parametrize("tlp", [Tlp.CLEAR, Tlp.GREEN])
def test_attachments_are_never_clear_or_green(fed: Federation, tlp: Tlp) -> None:
    item = _attached(Attachment("evd_1", "subscriber", "image/png", BYTES), tlp=tlp)
    with pytest.raises(EgressRefused, match="cannot be marked") as caught:
        fed.gate.prepare(item, agreement=agreement())
    assert caught.value.path == "tlp"


def test_attachments_over_the_limit_are_refused_with_413(fed: Federation) -> None:
    half = MAX_ATTACHMENT_BYTES // 2 + 1
    item = _attached(
        Attachment("evd_1", "subscriber", "application/octet-stream", b"a" * half),
        Attachment("evd_2", "subscriber", "application/octet-stream", b"b" * half),
    )
    with pytest.raises(AttachmentsTooLarge, match="chunked channel") as caught:
        fed.gate.prepare(item, agreement=agreement())
    assert caught.value.status == 413
    assert caught.value.path == "attachments"


def test_the_largest_attachment_fits_what_an_inbox_reads(fed: Federation) -> None:
    content = bytes(range(256)) * (MAX_ATTACHMENT_BYTES // 256)
    item = _attached(Attachment("evd_1", "subscriber", "application/octet-stream", content))
    prepared = fed.gate.prepare(item, agreement=agreement(), seal_to=fed.fr_encryption)
    assert len(prepared.data) <= MAX_ENVELOPE_BYTES


def test_malformed_attachments_are_input_errors(fed: Federation) -> None:
    # a name is an id, never a (personal) file name
    named = _attached(Attachment("listing 42.png", "subscriber", "not a type", BYTES))
    with pytest.raises(InvalidInput) as caught:
        fed.gate.prepare(named, agreement=agreement())
    assert [e.path for e in caught.value.errors] == ["attachments[0].name", "attachments[0].media_type"]
    twice = _attached(*[Attachment("evd_1", "subscriber", "image/png", BYTES)] * 2)
    with pytest.raises(InvalidInput) as again:
        fed.gate.prepare(twice, agreement=agreement())
    assert [e.path for e in again.value.errors] == ["attachments[1].name"]


def test_a_caller_may_fix_the_message_id(fed: Federation) -> None:
    prepared = fed.gate.prepare(_item(message_id="msg_fixed_1"), agreement=agreement())
    assert prepared.message_id == "msg_fixed_1"
    inbound = open_message(prepared.data, keys=fed.keys, recipient="FR", at=fed.clock.now())
    assert inbound.message.message_id == "msg_fixed_1"

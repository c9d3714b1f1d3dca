"""The trust store loader: what a platform relies on offline, and every way it refuses a key."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.errors import VerificationError
from comity.keys.truststore import TrustStore
from comity.kinds import JUDICIAL_AUTHORITIES, AuthorityType
from comity.signing import errors as errs
from comity.signing.checks import require_authority
from comity.signing.envelope import PayloadType, sign
from comity.signing.keys import KeyPurpose, RevocationReason
from unit.keys.keys_support import EXPORTED, T0, StoreBuilder, to_bytes

ORDER = b'{"order_id":"ord_1"}'


@pytest.fixture
def builder() -> StoreBuilder:
    b = StoreBuilder()
    b.anchor("IE")
    b.anchor("FR")
    return b


def _load(builder: StoreBuilder) -> TrustStore:
    return TrustStore.from_json(to_bytes(builder.document()))


def test_a_registered_key_resolves_with_its_signed_facts(builder: StoreBuilder) -> None:
    judge = builder.register()
    store = _load(builder)
    info = store.resolve(judge.keyid, T0 + timedelta(days=1))
    assert info.purpose is KeyPurpose.AUTHORITY_SIGNING
    assert info.holder.authority_type is AuthorityType.JUDGE
    assert info.holder.jurisdiction == "IE"
    assert info.anchor == builder.anchors["IE"].keyid
    assert {a.holder.jurisdiction for a in store.anchors} == {"IE", "FR"}
    assert [k.keyid for k in store.trusted_keys()] == [judge.keyid]
    assert store.problems == {}


def test_an_order_verifies_offline_and_competence_is_a_signed_fact(builder: StoreBuilder) -> None:
    judge = builder.register(authority_type=AuthorityType.JUDGE)
    police = builder.register(authority_type=AuthorityType.POLICE)
    store = _load(builder)
    at = T0 + timedelta(days=2)
    purposes = {KeyPurpose.AUTHORITY_SIGNING}
    ok = store.verify(
        sign(ORDER, PayloadType.ORDER, judge), expected_type=PayloadType.ORDER, purposes=purposes, at=at
    )
    require_authority(ok.key, allowed=JUDICIAL_AUTHORITIES, act="a removal order")
    forged = store.verify(
        sign(ORDER, PayloadType.ORDER, police), expected_type=PayloadType.ORDER, purposes=purposes, at=at
    )
    with pytest.raises(errs.NotCompetent, match="police"):
        require_authority(forged.key, allowed=JUDICIAL_AUTHORITIES, act="a removal order")


def test_unknown_key(builder: StoreBuilder) -> None:
    with pytest.raises(errs.UnknownKey, match="not in the trust store"):
        _load(builder).lookup("ab" * 32)


def test_revoked_key_is_valid_before_and_refused_after_revocation(builder: StoreBuilder) -> None:
    key = builder.register()
    revoked_at = T0 + timedelta(days=10)
    builder.revoke(key, at=revoked_at)
    store = _load(builder)
    store.resolve(key.keyid, revoked_at - timedelta(seconds=1))
    with pytest.raises(errs.KeyRevoked, match="key_compromise"):
        store.resolve(key.keyid, revoked_at)


def test_superseded_key_stays_valid_until_the_cutover(builder: StoreBuilder) -> None:
    old = builder.register()
    new = builder.register(valid_from=T0 + timedelta(days=5))
    cutover = T0 + timedelta(days=12)
    builder.revoke(old, at=cutover, reason=RevocationReason.SUPERSEDED, replaced_by=new.keyid)
    store = _load(builder)
    overlap = T0 + timedelta(days=6)
    store.resolve(old.keyid, overlap)
    store.resolve(new.keyid, overlap)
    with pytest.raises(errs.KeyRevoked, match=f"superseded by {new.keyid}"):
        store.resolve(old.keyid, cutover)
    assert store.resolve(new.keyid, cutover).keyid == new.keyid


def test_expired_and_not_yet_valid_keys(builder: StoreBuilder) -> None:
    key = builder.register(valid_from=T0 + timedelta(days=1), valid_until=T0 + timedelta(days=2))
    store = _load(builder)
    with pytest.raises(errs.KeyNotYetValid):
        store.resolve(key.keyid, T0)
    store.resolve(key.keyid, T0 + timedelta(days=1))
    with pytest.raises(errs.KeyExpired):
        store.resolve(key.keyid, T0 + timedelta(days=2))


def test_statement_re_signed_by_another_pinned_anchor(builder: StoreBuilder) -> None:
    # France's anchor cannot vouch for an Irish judge, even though France's anchor is pinned.
    forged = builder.register("IE", signed_by=builder.anchors["FR"], listed_by="FR")
    honest = builder.register("IE")
    store = _load(builder)
    with pytest.raises(errs.UntrustedKey, match="vouched for by the anchor of FR"):
        store.lookup(forged.keyid)
    assert store.lookup(honest.keyid).keyid == honest.keyid  # one bad key does not spoil the others
    assert forged.keyid in store.problems


def test_statement_signed_by_an_anchor_that_is_not_pinned(builder: StoreBuilder) -> None:
    rogue = StoreBuilder()
    rogue_anchor = rogue.anchor("IE")
    forged = builder.register("IE", signed_by=rogue_anchor)
    with pytest.raises(errs.UntrustedKey, match="not by a pinned anchor"):
        _load(builder).lookup(forged.keyid)


def _alter_statement(document: dict[str, Any], index: int, change: dict[str, Any]) -> None:
    statement = document["keys"][index]
    payload = json.loads(base64.b64decode(statement["payload"]))
    payload.update(change)
    statement["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()


def test_statement_content_altered(builder: StoreBuilder) -> None:
    police = builder.register(authority_type=AuthorityType.POLICE)
    document = builder.document()
    # Promote the police key to a judge's: the anchor's signature no longer matches.
    holder = {"organisation": "org_1", "authority_type": "judge", "officer": None}
    _alter_statement(document, 0, {"holder": holder})
    store = TrustStore.from_json(to_bytes(document))
    with pytest.raises(errs.BadSignature, match="altered"):
        store.lookup(police.keyid)


def test_a_dropped_revocation_is_noticed(builder: StoreBuilder) -> None:
    key = builder.register()
    builder.revoke(key, at=T0 + timedelta(days=3))
    document = builder.document()
    document["revocations"] = []
    with pytest.raises(errs.UntrustedKey, match="missing from the trust store"):
        TrustStore.from_json(to_bytes(document)).lookup(key.keyid)


def test_a_statement_added_after_export_is_noticed(builder: StoreBuilder) -> None:
    key = builder.register(listed_by="nobody")  # signed by the IE anchor, but not in its manifest
    with pytest.raises(errs.UntrustedKey, match="not in its anchor's signed manifest"):
        _load(builder).lookup(key.keyid)


def test_a_manifest_with_a_bad_signature_refuses_the_whole_file(builder: StoreBuilder) -> None:
    builder.register()
    document = builder.document()
    manifest = document["anchors"][0]["manifest"]
    manifest["signatures"][0]["sig"] = base64.b64encode(bytes(64)).decode()
    with pytest.raises(errs.BadSignature, match="manifest of anchor"):
        TrustStore.from_json(to_bytes(document))


def test_export_time_must_match_the_signed_manifests(builder: StoreBuilder) -> None:
    document = builder.document()
    document["exported_at"] = (EXPORTED + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(errs.MalformedTrustStore, match="export time"):
        TrustStore.from_json(to_bytes(document))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d.update(anchors=[]), "at least one anchor"),
        (lambda d: d["anchors"][0].update(keyid="ab" * 32), "not the key id"),
        (lambda d: d.update(extra=1), "unexpected field"),
        (lambda d: d["anchors"].append(d["anchors"][0]), "listed twice"),
        (lambda d: d["keys"].append({"payload": "x"}), "keys"),
    ],
)
def test_broken_files_are_refused(builder: StoreBuilder, change: Any, message: str) -> None:
    builder.register()
    document = builder.document()
    change(document)
    with pytest.raises(errs.MalformedTrustStore, match=message):
        TrustStore.from_json(to_bytes(document))


def test_load_from_a_file(builder: StoreBuilder, tmp_path: Path) -> None:
    key = builder.register()
    path = tmp_path / "trust.json"
    path.write_bytes(to_bytes(builder.document()))
    assert TrustStore.load(path).lookup(key.keyid).keyid == key.keyid
    with pytest.raises(errs.MalformedTrustStore, match="cannot read"):
        TrustStore.load(tmp_path / "missing.json")
    path.write_bytes(b"not json")
    with pytest.raises(errs.MalformedTrustStore, match="not valid JSON"):
        TrustStore.load(path)


_PROPERTY_BUILDER = StoreBuilder()
_PROPERTY_BUILDER.anchor("IE")
_PROPERTY_KEY = _PROPERTY_BUILDER.register()
_PROPERTY_BUILDER.revoke(_PROPERTY_KEY, at=T0 + timedelta(days=20))
_PROPERTY_STORE = to_bytes(_PROPERTY_BUILDER.document())
_PROPERTY_FACTS = TrustStore.from_json(_PROPERTY_STORE).lookup(_PROPERTY_KEY.keyid)


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=len(_PROPERTY_STORE) - 1), st.integers(min_value=1, max_value=255))
def test_no_single_byte_change_alters_what_the_store_says(position: int, delta: int) -> None:
    tampered = bytearray(_PROPERTY_STORE)
    tampered[position] = (tampered[position] + delta) % 256
    try:
        facts = TrustStore.from_json(bytes(tampered)).lookup(_PROPERTY_KEY.keyid)
    except VerificationError:
        return
    assert facts == _PROPERTY_FACTS  # only insignificant whitespace may change and still load


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_random_bytes_are_a_malformed_trust_store(data: bytes) -> None:
    with pytest.raises(VerificationError):
        TrustStore.from_json(data)

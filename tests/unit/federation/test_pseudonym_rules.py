"""The rules of shared pseudonym keys: who stewards an agreement, which generation is used, fingerprints."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from comity.agreements.model import Party
from comity.errors import ConfigurationError
from comity.federation.model import AgreementPseudonymKey
from comity.federation.pseudonyms import (
    SEALED_FACT,
    all_pseudonyms,
    fingerprint,
    newest_active,
    next_generation,
    steward,
    subject_id,
)
from comity.keys.keystore import Keystore
from comity.transport.egress import PERSONAL_FACT_KEYS, pseudonymise
from unit.transport.transport_support import agreement

WHEN = datetime(2026, 9, 1, tzinfo=UTC)


def key(generation: int, *, retired: bool = False) -> AgreementPseudonymKey:
    return AgreementPseudonymKey(
        agreement_id="eev-eu5",
        agreement_version=1,
        generation=generation,
        secret_sealed=b"",
        origin="DE",
        created_at=WHEN,
        retired_at=WHEN if retired else None,
    )


def test_the_steward_is_the_first_party_in_sorted_order_whatever_the_listing_order() -> None:
    assert steward(agreement(parties=("IE", "DE", "FR", "NL", "ES"))) == "DE"
    assert steward(agreement(parties=("NL", "ES", "FR", "DE", "IE"))) == "DE"
    assert steward(agreement(parties=("IE", "FR"))) == "FR"
    assert steward(agreement(parties=("GB", "IE"))) == "GB"


def test_a_party_named_twice_or_as_an_organisation_does_not_change_the_steward() -> None:
    base = agreement(parties=("IE", "FR"))
    platform = Party("FR", "Bazaar SAS", role="platform", organisation="org_1")
    assert steward(dataclasses.replace(base, parties=(*base.parties, platform))) == "FR"


def test_generation_choice_newest_not_retired() -> None:
    assert newest_active([]) is None
    assert next_generation([]) == 1
    keys = [key(1, retired=True), key(3), key(2, retired=True)]
    chosen = newest_active(keys)
    assert chosen is not None
    assert chosen.generation == 3
    assert next_generation(keys) == 4
    # Every generation retired: none is used (the steward makes the next one, others wait for it).
    assert newest_active([key(1, retired=True), key(2, retired=True)]) is None
    assert next_generation([key(1, retired=True), key(2, retired=True)]) == 3
    # A newer generation that arrived retired (out of order) is never chosen over the active one.
    chosen = newest_active([key(4, retired=True), key(3)])
    assert chosen is not None
    assert chosen.generation == 3


def test_pseudonyms_under_every_generation_newest_first() -> None:
    new, old = b"\x02" * 32, b"\x01" * 32
    assert all_pseudonyms([new, old], "a@example.org") == [
        pseudonymise(new, "a@example.org"),
        pseudonymise(old, "a@example.org"),
    ]
    assert all_pseudonyms([], "a@example.org") == []


def test_fingerprint_names_the_key_without_showing_it() -> None:
    secret = bytes(range(32))
    assert fingerprint(secret).startswith("sha256:")
    assert fingerprint(secret) == fingerprint(bytes(range(32)))
    assert fingerprint(secret) != fingerprint(b"\x00" * 32)
    assert secret.hex() not in fingerprint(secret)


def test_the_sealed_key_travels_under_a_fact_that_is_not_personal_data() -> None:
    assert SEALED_FACT.lower() not in PERSONAL_FACT_KEYS
    assert subject_id("eev-eu5", 1, 2, "IE") == "pseudonym:eev-eu5:1:2:IE"


def test_the_keystore_seals_and_opens_secrets(tmp_path: Path) -> None:
    keystore = Keystore(tmp_path / "keys")
    secret = bytes(range(32))
    sealed = keystore.seal_secret(secret)
    assert secret not in sealed
    assert sealed != keystore.seal_secret(secret)  # a fresh nonce each time
    assert keystore.open_secret(sealed) == secret
    other = Keystore(tmp_path / "other")
    with pytest.raises(ConfigurationError, match="the shared key does not decrypt"):
        other.open_secret(sealed, what="the shared key")

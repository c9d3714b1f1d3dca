"""Sealed boxes to a node's X25519 key, and TLP 2.0 markings."""

from __future__ import annotations

import nacl.public
import pytest

from comity.signing import errors as errs
from comity.transport.sealing import open_sealed, seal
from comity.transport.tlp import Tlp
from unit.transport.transport_support import encryption_key, node_key


def test_seal_and_open() -> None:
    private, info = encryption_key("FR")
    ciphertext = seal(b"subscriber data", recipient=info)
    assert b"subscriber data" not in ciphertext
    assert open_sealed(ciphertext, key=private) == b"subscriber data"


def test_the_wrong_recipient_cannot_open() -> None:
    _, info = encryption_key("FR")
    with pytest.raises(errs.DecryptionFailed, match="another key, or altered"):
        open_sealed(seal(b"x", recipient=info), key=nacl.public.PrivateKey.generate())


def test_an_altered_box_does_not_open() -> None:
    private, info = encryption_key("FR")
    box = bytearray(seal(b"x", recipient=info))
    box[-1] ^= 1
    with pytest.raises(errs.DecryptionFailed):
        open_sealed(bytes(box), key=private)


def test_only_encryption_keys_are_sealed_to() -> None:
    _, signing = node_key("FR")
    with pytest.raises(errs.WrongKeyPurpose, match="node_encryption"):
        seal(b"x", recipient=signing)


def test_tlp_levels() -> None:
    assert [t.label for t in Tlp] == ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
    assert Tlp.parse("TLP:AMBER+STRICT") is Tlp.AMBER_STRICT
    assert Tlp.parse("tlp:red") is Tlp.RED
    assert Tlp.GREEN.at_least(Tlp.RED) is Tlp.RED
    assert Tlp.RED.at_least(Tlp.CLEAR) is Tlp.RED
    with pytest.raises(ValueError, match="white"):
        Tlp.parse("white")  # TLP 1.0's WHITE is CLEAR in TLP 2.0; never guessed

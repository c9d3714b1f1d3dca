"""Encryption to a node: libsodium sealed boxes (X25519 + XSalsa20-Poly1305) through PyNaCl.

A sealed box hides the sender from the ciphertext, so authenticity comes from the signing envelope around
it: the message is sealed, then the exact sealed bytes are signed (encrypt-then-sign).
"""

from __future__ import annotations

import nacl.exceptions
import nacl.public

from comity.signing.errors import DecryptionFailed, WrongKeyPurpose
from comity.signing.keys import Algorithm, KeyInfo, KeyPurpose


def seal(plaintext: bytes, *, recipient: KeyInfo) -> bytes:
    """Encrypt ``plaintext`` so that only the holder of ``recipient``'s private key can read it."""
    if recipient.purpose is not KeyPurpose.NODE_ENCRYPTION or recipient.algorithm is not Algorithm.X25519:
        raise WrongKeyPurpose(
            f"key {recipient.keyid} is a {recipient.purpose.value} key; sealing needs a node_encryption key",
            keyid=recipient.keyid,
        )
    box = nacl.public.SealedBox(nacl.public.PublicKey(recipient.public_key))
    return bytes(box.encrypt(plaintext))


def open_sealed(ciphertext: bytes, *, key: nacl.public.PrivateKey) -> bytes:
    """Decrypt a sealed box with this node's private key, or raise :class:`DecryptionFailed`."""
    try:
        return bytes(nacl.public.SealedBox(key).decrypt(ciphertext))
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed(
            "the sealed payload does not open with this node's key: sealed to another key, or altered"
        ) from None

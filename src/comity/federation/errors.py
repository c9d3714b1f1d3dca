"""Refusals specific to federation, in the verification family so they carry a stable ``code``."""

from __future__ import annotations

from comity.signing.errors import CodedVerificationError


class UnknownPeer(CodedVerificationError):
    """The sender is not an active peer of this node (or no trust store of it was imported)."""

    code = "unknown_peer"


class AgreementNotInForce(CodedVerificationError):
    """The message invokes an agreement this node does not have in force with the sender."""

    code = "agreement_not_in_force"


class BadReceipt(CodedVerificationError):
    """The receipt a peer answered with does not match the message sent, or is not signed by the peer."""

    code = "bad_receipt"

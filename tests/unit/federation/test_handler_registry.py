"""Every message type a node sends has a handler on the receiving side."""

from __future__ import annotations

from comity.federation.dispatch import handlers


def test_every_message_type_of_the_federation_has_its_handler() -> None:
    assert set(handlers()) >= {
        "assistance_request",
        "request_step",
        "evidence_transfer",
        "evidence_received",
        "retraction",
        "delivery_evidence",
        "pseudonym_key",
    }

"""Receiving a shared pseudonym key: the ``pseudonym_key`` message handler (only from the steward)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import nacl.exceptions
import nacl.public
from sqlalchemy.orm import Session

from comity.agreements.service import get_agreement_version
from comity.audit import service as audit
from comity.errors import Conflict, Forbidden
from comity.federation.dispatch import HandlerContext, register_handler
from comity.federation.inbox import decryption_keys
from comity.federation.model import AgreementPseudonymKey, ReceivedMessage
from comity.federation.pseudonym_rules import KIND, SEALED_FACT, SECRET_BYTES, fingerprint, steward
from comity.federation.pseudonym_store import keys_of, open_key
from comity.identity.principal import SYSTEM_ACTOR
from comity.transport.tlp import Tlp


def _fact_int(facts: dict[str, Any], name: str) -> int:
    value = facts.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise Conflict(f"a pseudonym key message has no valid {name}")
    return value


def _opened_secret(session: Session, context: HandlerContext, facts: dict[str, Any]) -> bytes:
    sealed_to = str(facts.get("sealed_to", ""))
    key = decryption_keys(session, keystore=context.keystore, node=context.node).get(sealed_to)
    if key is None:
        raise Conflict(f"the pseudonym key is sealed to {sealed_to[:80]!r}, not a key this node holds")
    try:
        sealed = base64.b64decode(str(facts.get(SEALED_FACT, "")), validate=True)
        secret = bytes(nacl.public.SealedBox(key).decrypt(sealed))
    except (binascii.Error, ValueError, nacl.exceptions.CryptoError):
        raise Conflict("the pseudonym key does not open with this node's encryption key") from None
    if len(secret) != SECRET_BYTES:
        raise Conflict(f"the pseudonym key is not {SECRET_BYTES} bytes")
    if fingerprint(secret) != facts.get("fingerprint"):
        raise Conflict("the pseudonym key does not match the fingerprint it came with")
    return secret


@register_handler(KIND)
def _received(session: Session, context: HandlerContext, message: ReceivedMessage) -> None:
    """A steward sent this node the key of an agreement version: check where it comes from, keep it sealed."""
    facts: dict[str, Any] = dict(message.body.get("facts", {}))
    agreement_id = str(facts.get("agreement_id", ""))
    version = _fact_int(facts, "agreement_version")
    generation = _fact_int(facts, "generation")
    if (agreement_id, version) != (message.agreement_id, message.agreement_version):
        raise Conflict(
            f"the pseudonym key names agreement {agreement_id[:100]} v{version} but the message was sent "
            f"under {message.agreement_id} v{message.agreement_version}"
        )
    if message.tlp != Tlp.RED.value:
        raise Conflict(f"a pseudonym key must travel as TLP:RED, not {message.tlp}")
    agreement, _row = get_agreement_version(session, agreement_id, version)
    owner = steward(agreement)
    if context.node not in agreement.jurisdictions:
        raise Forbidden(
            f"{context.node} is not a party to agreement {agreement_id}: its key is not for this node"
        )
    if message.sender != owner or owner not in agreement.jurisdictions:
        raise Forbidden(
            f"pseudonym key of {agreement_id} v{version} from {message.sender} refused: only the agreement's "
            f"steward ({owner}) distributes its keys",
            sender=message.sender,
            steward=owner,
        )
    if facts.get("origin") != message.sender:
        raise Conflict(
            f"the pseudonym key claims origin {str(facts.get('origin'))[:2]}, sent by {message.sender}"
        )
    secret = _opened_secret(session, context, facts)
    held = keys_of(session, agreement_id, version)
    same = next((key for key in held if key.generation == generation), None)
    if same is not None:
        if open_key(context.keystore, same) != secret:
            raise Conflict(
                f"generation {generation} of the pseudonym key of {agreement_id} v{version} is already held "
                "with another secret: refused, a key is never overwritten",
                agreement=agreement_id,
                generation=generation,
            )
        return  # the same key again (a resend): nothing to do
    now = context.now
    newer = any(key.generation > generation for key in held)
    for older in held:
        if older.generation < generation and older.retired_at is None:
            older.retired_at = now
    session.add(
        AgreementPseudonymKey(
            agreement_id=agreement_id,
            agreement_version=version,
            generation=generation,
            secret_sealed=context.keystore.seal_secret(secret),
            origin=message.sender,
            created_at=now,
            retired_at=now if newer else None,
        )
    )
    audit.record(
        session,
        clock=context.clock,
        actor=SYSTEM_ACTOR,
        tag="federation:pseudonym_key:received",
        subject_type="agreement",
        subject_id=agreement_id,
        details={
            "version": version,
            "generation": generation,
            "fingerprint": fingerprint(secret),
            "from": message.sender,
            "message_id": message.message_id,
        },
    )

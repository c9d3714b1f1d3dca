"""Distribution of shared pseudonym keys, on the steward: the ``federation.pseudonyms`` job and rotation."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Any

import nacl.public
from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.agreements.model import Agreement
from comity.agreements.service import get_agreement, list_agreements
from comity.clock import Clock
from comity.errors import ComityError, Conflict, Forbidden
from comity.federation.directory import PeerKeys
from comity.federation.model import AgreementPseudonymKey, Peer, PeerStatus
from comity.federation.pseudonym_rules import (
    JOB,
    KIND,
    SEALED_FACT,
    SUBJECT_TYPE,
    fingerprint,
    newest_active,
    steward,
    subject_id,
)
from comity.federation.pseudonym_store import generate_key, keys_of, open_key
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys.keystore import Keystore
from comity.outbox.model import OutboxMessage, OutboxStatus
from comity.transport.tlp import Tlp
from comity.web.container import Container
from comity.worker.jobs import register_job

log = logging.getLogger("comity.federation")


@dataclass
class Distribution:
    """What one pass of :func:`ensure_distributed` did."""

    generated: list[str] = field(default_factory=list)  # "<agreement> v<version> gen <n>"
    sent: list[str] = field(default_factory=list)  # outbox subject ids
    errors: dict[str, str] = field(default_factory=dict)  # subject id -> why it could not be sent


def _eligible_peers(session: Session, agreement: Agreement, node: str) -> list[str]:
    """The other parties that are active peers of this node with ``agreement`` in force."""
    out = []
    for code in sorted(agreement.jurisdictions - {node}):
        peer = session.get(Peer, code)
        if peer is not None and peer.status == PeerStatus.ACTIVE.value and agreement.id in peer.agreements:
            out.append(code)
    return out


def _already_sent(session: Session, subject: str) -> bool:
    return (
        session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.subject_type == SUBJECT_TYPE,
                OutboxMessage.subject_id == subject,
                OutboxMessage.status != OutboxStatus.FAILED.value,
            )
        )
        is not None
    )


def _send_key(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    node: str,
    actor: str,
    agreement: Agreement,
    key: AgreementPseudonymKey,
    secret: bytes,
    peer: str,
    subject: str,
) -> None:
    from comity.federation import outbound
    from comity.transport.egress import Outbound

    seal_to = PeerKeys.load(session).encryption_key(peer, clock.now())
    sealed = nacl.public.SealedBox(nacl.public.PublicKey(seal_to.public_key)).encrypt(secret)
    facts: dict[str, Any] = {
        "agreement_id": agreement.id,
        "agreement_version": agreement.version,
        "generation": key.generation,
        "origin": key.origin,
        "fingerprint": fingerprint(secret),
        SEALED_FACT: base64.b64encode(bytes(sealed)).decode("ascii"),
        "sealed_to": seal_to.keyid,
    }
    outbound.send(
        session,
        clock=clock,
        actor=actor,
        keystore=keystore,
        node=node,
        item=Outbound(kind=KIND, recipient=peer, tlp=Tlp.RED, facts=facts),
        agreement_id=agreement.id,
        subject_type=SUBJECT_TYPE,
        subject_id=subject,
    )


def _distribute(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    node: str,
    actor: str,
    agreement: Agreement,
    report: Distribution,
) -> None:
    # Locked, so that two workers distributing at once send each generation once (PostgreSQL; SQLite
    # serialises writing transactions anyway).
    key = newest_active(keys_of(session, agreement.id, agreement.version, lock=True))
    if key is None:
        key, secret = generate_key(
            session,
            clock=clock,
            keystore=keystore,
            node=node,
            actor=actor,
            agreement=agreement,
            reason="generated",
        )
        report.generated.append(f"{agreement.id} v{agreement.version} gen {key.generation}")
    else:
        secret = open_key(keystore, key)
    for peer in _eligible_peers(session, agreement, node):
        subject = subject_id(agreement.id, agreement.version, key.generation, peer)
        if _already_sent(session, subject):
            continue
        try:
            with session.begin_nested():  # a peer that cannot be sent to leaves no trace; the others go
                _send_key(
                    session,
                    clock=clock,
                    keystore=keystore,
                    node=node,
                    actor=actor,
                    agreement=agreement,
                    key=key,
                    secret=secret,
                    peer=peer,
                    subject=subject,
                )
        except ComityError as exc:
            report.errors[subject] = f"{type(exc).__name__}: {exc}"
            log.warning("pseudonym key %s not sent: %s", subject, exc)
            continue
        report.sent.append(subject)


def ensure_distributed(
    session: Session,
    *,
    clock: Clock,
    keystore: Keystore,
    node: str,
    actor: str = SYSTEM_ACTOR,
    agreement_id: str | None = None,
) -> Distribution:
    """On the steward: every agreement in force it stewards has a key, sent once to every peer party.

    Idempotent: a key is generated only when none is active, and sent to a peer only when no message of
    that generation to that peer is queued or delivered. Other nodes do nothing here.
    """
    code = node.upper()
    today = clock.now().date()
    report = Distribution()
    for agreement in list_agreements(session):
        if agreement_id is not None and agreement.id != agreement_id:
            continue
        if not agreement.in_force(today) or code not in agreement.jurisdictions or steward(agreement) != code:
            continue
        _distribute(
            session,
            clock=clock,
            keystore=keystore,
            node=code,
            actor=actor,
            agreement=agreement,
            report=report,
        )
    return report


def rotate(
    session: Session, *, clock: Clock, keystore: Keystore, node: str, actor: str, agreement_id: str
) -> tuple[AgreementPseudonymKey, Distribution]:
    """On the steward: retire the current key of the agreement version in force, make and send the next."""
    code = node.upper()
    agreement = get_agreement(session, agreement_id).agreement
    owner = steward(agreement)
    if owner != code:
        raise Forbidden(
            f"only the steward of agreement {agreement.id} ({owner}) rotates its pseudonym key, not {code}",
            agreement=agreement.id,
            steward=owner,
        )
    today = clock.now().date()
    if not agreement.in_force(today):
        raise Conflict(
            f"agreement {agreement.id} v{agreement.version} is not in force on {today.isoformat()}"
        )
    # Lock the generations held so that two rotations at once do not both succeed.
    keys_of(session, agreement.id, agreement.version, lock=True)
    key, _secret = generate_key(
        session, clock=clock, keystore=keystore, node=code, actor=actor, agreement=agreement, reason="rotated"
    )
    report = Distribution(generated=[f"{agreement.id} v{agreement.version} gen {key.generation}"])
    _distribute(
        session, clock=clock, keystore=keystore, node=code, actor=actor, agreement=agreement, report=report
    )
    return key, report


@register_job(JOB)
def distribute_job(container: Container) -> int:
    """The worker's pass: generate and send what the steward owes; returns how many messages it queued."""
    with container.transaction() as session:
        report = ensure_distributed(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            node=container.settings.node_jurisdiction,
        )
    return len(report.sent)

"""Building, signing and queueing orders to the platform, in the transaction of the change that causes them.

Orders are signed with the issuing authority's key and cosigned by the validating authority's key where a
judge validated; every instruction (apply, confirm, renew, lift) is a fresh order with its own id, so a
platform's seen-file refuses replays of any of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from comity.cases.model import CaseTarget
from comity.clock import Clock
from comity.errors import Conflict, NotFound
from comity.ids import new_id
from comity.keys.keystore import Keystore
from comity.keys.queries import signer_for
from comity.kinds import AuthorityType
from comity.measures.model import Measure
from comity.measures.orders import OrderContent, Party, sign_order
from comity.outbox import service as outbox
from comity.signing.envelope import Envelope
from comity.signing.keys import Ed25519Signer, KeyPurpose
from comity.signing.payload import canonical_json, truncate_to_second

#: Platforms pick orders up at their own pace; the outbox keeps trying for about two days.
PLATFORM_MAX_ATTEMPTS = 60
#: The payload format of a batch of orders to one platform.
BATCH_FORMAT = "comity-order-batch/v1"


def target_identifier(session: Session, measure: Measure) -> str | None:
    """The identifier the measure acts on (personal data: only in the order and the notice)."""
    if measure.target_id is None:
        return None
    target = session.get(CaseTarget, measure.target_id)
    return target.identifier if target else None


class SignerCache:
    """Signers per (organisation, jurisdiction) for one sweep: each key is opened once."""

    def __init__(self, keystore: Keystore) -> None:
        self.keystore = keystore
        self._cache: dict[tuple[str, str], Ed25519Signer] = {}

    def get(self, session: Session, *, organisation: str, jurisdiction: str, at: datetime) -> Ed25519Signer:
        """The authority's current signing key held on this node, or Conflict naming the authority."""
        key = (organisation, jurisdiction)
        signer = self._cache.get(key)
        if signer is None:
            try:
                signer = signer_for(
                    session,
                    keystore=self.keystore,
                    purpose=KeyPurpose.AUTHORITY_SIGNING,
                    jurisdiction=jurisdiction,
                    at=at,
                    organisation=organisation,
                )
            except NotFound as exc:
                raise Conflict(
                    f"authority {organisation} has no valid signing key held on this node: register one "
                    "(comity keys register) before issuing orders",
                    organisation=organisation,
                ) from exc
            self._cache[key] = signer
        return signer


def build_order(
    session: Session,
    measure: Measure,
    *,
    instruction: str,
    now: datetime,
    target: str | None = None,
    order_id: str | None = None,
) -> OrderContent:
    """The order for ``measure`` as of ``now`` (instants to the second: what is signed is what is stored)."""
    expires = measure.lapses_at or measure.ends_at or measure.review_at
    if instruction == "lift" or expires is None or expires <= now:
        # A lift instruction stays valid long enough for the platform to act on it.
        from datetime import timedelta

        expires = now + timedelta(days=30)
    validating = None
    if measure.validating_organisation and measure.validator_authority_type:
        validating = Party(
            measure.validating_organisation,
            measure.issuing_jurisdiction,
            AuthorityType(measure.validator_authority_type),
        )
    return OrderContent(
        order_id=order_id or new_id("ord"),
        measure_id=measure.id,
        instruction=instruction,
        measure=measure.kind,
        step=measure.step,
        regime=measure.regime,
        agreement=measure.agreement_id,
        addressee=measure.addressee_organisation,
        issuing=Party(
            measure.issuing_organisation,
            measure.issuing_jurisdiction,
            AuthorityType(measure.issuer_authority_type),
        ),
        validating=validating,
        legal_basis=measure.legal_basis or "",
        territorial_scope=tuple(measure.territorial_scope or ()),
        target=target if target is not None else target_identifier(session, measure),
        data_category=measure.data_category,
        issued_at=truncate_to_second(now),
        expires_at=truncate_to_second(expires),
        respond_by=truncate_to_second(measure.response_due_at) if measure.response_due_at else None,
        provisional=measure.provisional and measure.confirmed_at is None,
        review_deadline=truncate_to_second(measure.lapses_at) if measure.lapses_at else None,
        case_reference=measure.case_id,
    )


def sign_measure_order(
    session: Session,
    *,
    now: datetime,
    measure: Measure,
    signers: SignerCache,
    instruction: str,
    target: str | None = None,
    order_id: str | None = None,
) -> Envelope:
    """Build and sign an order for ``measure`` and keep it on the row (its latest order)."""
    content = build_order(
        session, measure, instruction=instruction, now=now, target=target, order_id=order_id
    )
    issuer = signers.get(
        session, organisation=measure.issuing_organisation, jurisdiction=measure.issuing_jurisdiction, at=now
    )
    validator = None
    if content.validating is not None:
        validator = signers.get(
            session,
            organisation=content.validating.organisation,
            jurisdiction=content.validating.jurisdiction,
            at=now,
        )
    envelope = sign_order(content, issuer, validator)
    measure.order_id = content.order_id
    measure.order_envelope = envelope.to_json().decode("utf-8")
    return envelope


def send_order(
    session: Session,
    *,
    clock: Clock,
    actor: str,
    measure: Measure,
    keystore: Keystore | None = None,
    signers: SignerCache | None = None,
    instruction: str,
    target: str | None = None,
    order_id: str | None = None,
) -> str:
    """Sign an order for ``measure`` and queue it for the platform; returns the order id."""
    cache = signers or SignerCache(keystore or _missing_keystore())
    envelope = sign_measure_order(
        session,
        now=clock.now(),
        measure=measure,
        signers=cache,
        instruction=instruction,
        target=target,
        order_id=order_id,
    )
    outbox.enqueue(
        session,
        clock=clock,
        actor=actor,
        channel="platform",
        destination=measure.addressee_organisation,
        kind=f"order.{instruction}",
        payload=envelope.to_json(),
        subject_type="measure",
        subject_id=measure.id,
        content_type="application/vnd.comity.order+json",
        # Every order has a fresh id, so there is nothing to deduplicate (and no look-up to pay for).
        idempotency_key=None,
        max_attempts=PLATFORM_MAX_ATTEMPTS,
    )
    assert measure.order_id is not None
    return measure.order_id


def send_batch(
    session: Session, *, clock: Clock, actor: str, batch_id: str, addressee: str, orders: list[Envelope]
) -> None:
    """Queue several signed orders to one platform as one message (a worker sweep's lift instructions).

    Each order stays individually signed and verifiable (``comity verify order`` on any of them); one
    message per platform and sweep keeps a sweep of thousands to one hand-over and one acknowledgement.
    """
    payload = canonical_json({"format": BATCH_FORMAT, "orders": [e.to_obj() for e in orders]})
    outbox.enqueue(
        session,
        clock=clock,
        actor=actor,
        channel="platform",
        destination=addressee,
        kind="order.lift.batch",
        payload=payload,
        subject_type="order_batch",
        subject_id=batch_id,
        content_type="application/json",
        idempotency_key=None,
        max_attempts=PLATFORM_MAX_ATTEMPTS,
    )


def _missing_keystore() -> Keystore:
    raise ValueError("send_order needs a keystore or a signer cache")

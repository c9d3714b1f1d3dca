"""Signed orders to platforms: the canonical payload, signing with the issuing authority's key, and the
offline verification a platform runs (``comity verify order``) with nothing but a pinned trust store.

Verification order matters: the envelope first (altered payload, unknown, untrusted or revoked key), then
what the payload claims (who is competent, for whom, until when), and the replay check last, recording the
order id only once everything else passed, so a refused order is never marked as seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comity.kinds import AuthorityType
from comity.measures.rules import competent_signers
from comity.signing.checks import FileSeenIds, MemorySeenIds, require_addressee, require_unexpired
from comity.signing.envelope import Envelope, PayloadType, VerifiedPayload, cosign, sign
from comity.signing.errors import MalformedPayload, NotCompetent
from comity.signing.keys import KeyInfo, KeyPurpose, KeyResolver, Signer
from comity.signing.payload import Fields, canonical_json, format_time

ORDER_FORMAT = "comity-order/v1"
_INSTRUCTIONS = frozenset({"apply", "lift", "confirm", "renew"})
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")
_PARTY_FIELDS = ("organisation", "jurisdiction", "authority_type")


@dataclass(frozen=True, slots=True)
class Party:
    """An authority as the order names it."""

    organisation: str
    jurisdiction: str
    authority_type: AuthorityType

    def as_json(self) -> dict[str, str]:
        """The party as the signed payload writes it."""
        return {
            "organisation": self.organisation,
            "jurisdiction": self.jurisdiction,
            "authority_type": self.authority_type.value,
        }


@dataclass(frozen=True, slots=True)
class OrderContent:
    """What an order says. Serialised once, canonically, and signed as those exact bytes."""

    order_id: str
    measure_id: str
    instruction: str  # apply | lift | confirm | renew
    measure: str  # ActionKind
    step: str  # LadderStep
    regime: str | None
    agreement: str | None
    addressee: str  # organisation id of the platform
    issuing: Party
    validating: Party | None
    legal_basis: str
    territorial_scope: tuple[str, ...]
    target: str | None  # the identifier the platform acts on (the addressee needs it)
    data_category: str | None
    issued_at: datetime
    expires_at: datetime
    respond_by: datetime | None
    provisional: bool
    review_deadline: datetime | None
    case_reference: str

    def to_payload(self) -> bytes:
        """The canonical JSON bytes that are signed."""
        body: dict[str, Any] = {
            "format": ORDER_FORMAT,
            "order_id": self.order_id,
            "measure_id": self.measure_id,
            "instruction": self.instruction,
            "measure": self.measure,
            "step": self.step,
            "regime": self.regime,
            "agreement": self.agreement,
            "addressee": self.addressee,
            "issuing": self.issuing.as_json(),
            "validating": self.validating.as_json() if self.validating else None,
            "legal_basis": self.legal_basis,
            "territorial_scope": list(self.territorial_scope),
            "target": self.target,
            "data_category": self.data_category,
            "issued_at": format_time(self.issued_at),
            "expires_at": format_time(self.expires_at),
            "respond_by": format_time(self.respond_by) if self.respond_by else None,
            "provisional": self.provisional,
            "review_deadline": format_time(self.review_deadline) if self.review_deadline else None,
            "case_reference": self.case_reference,
        }
        return canonical_json(body)


def sign_order(content: OrderContent, issuer: Signer, validator: Signer | None = None) -> Envelope:
    """Sign the order with the issuing authority's key; the validating authority cosigns."""
    envelope = sign(content.to_payload(), PayloadType.ORDER, issuer)
    if validator is not None and validator.keyid != issuer.keyid:
        envelope = cosign(envelope, validator)
    return envelope


def _party(fields: Fields, key: str) -> Party:
    party = fields.obj(key).only(_PARTY_FIELDS)
    raw_type = party.text("authority_type")
    try:
        authority = AuthorityType(raw_type)
    except ValueError:
        raise MalformedPayload(f"{key}.authority_type: unknown authority type {raw_type[:40]!r}") from None
    return Party(party.text("organisation"), party.text("jurisdiction"), authority)


def read_order(fields: Fields) -> OrderContent:
    """Read a verified order payload strictly (unknown or missing fields are refused)."""
    fields.only(
        (
            "format",
            "order_id",
            "measure_id",
            "instruction",
            "measure",
            "step",
            "regime",
            "agreement",
            "addressee",
            "issuing",
            "validating",
            "legal_basis",
            "territorial_scope",
            "target",
            "data_category",
            "issued_at",
            "expires_at",
            "respond_by",
            "provisional",
            "review_deadline",
            "case_reference",
        )
    )
    if fields.raw("format") != ORDER_FORMAT:
        raise MalformedPayload(f"format: expected {ORDER_FORMAT}")
    instruction = fields.text("instruction")
    if instruction not in _INSTRUCTIONS:
        raise MalformedPayload(f"instruction: {instruction[:20]!r} is not one of {sorted(_INSTRUCTIONS)}")
    scope = fields.array("territorial_scope")
    if not all(isinstance(code, str) for code in scope):
        raise MalformedPayload("territorial_scope: expected ISO codes")
    provisional = fields.raw("provisional")
    if not isinstance(provisional, bool):
        raise MalformedPayload("provisional: expected true or false")
    return OrderContent(
        order_id=fields.text("order_id", pattern=_ID),
        measure_id=fields.text("measure_id"),
        instruction=instruction,
        measure=fields.text("measure"),
        step=fields.text("step"),
        regime=fields.opt_text("regime"),
        agreement=fields.opt_text("agreement"),
        addressee=fields.text("addressee"),
        issuing=_party(fields, "issuing"),
        validating=None if fields.raw("validating") is None else _party(fields, "validating"),
        legal_basis=fields.text("legal_basis"),
        territorial_scope=tuple(scope),
        target=fields.opt_text("target"),
        data_category=fields.opt_text("data_category"),
        issued_at=fields.instant("issued_at"),
        expires_at=fields.instant("expires_at"),
        respond_by=fields.opt_instant("respond_by"),
        provisional=provisional,
        review_deadline=fields.opt_instant("review_deadline"),
        case_reference=fields.text("case_reference"),
    )


def _signed_by(signers: tuple[KeyInfo, ...], party: Party) -> KeyInfo | None:
    for key in signers:
        holder = key.holder
        if holder.organisation == party.organisation and holder.authority_type is party.authority_type:
            return key
    return None


def check_competence(order: OrderContent, verified: VerifiedPayload) -> None:
    """The issuer (and validator, if named) really signed, and together they are competent for the act."""
    issuer_key = verified.signers[0]
    if _signed_by((issuer_key,), order.issuing) is None:
        held = issuer_key.holder.authority_type
        raise NotCompetent(
            f"the order names {order.issuing.authority_type.value} authority {order.issuing.organisation} as "
            f"issuer but is signed by key {issuer_key.keyid} of "
            f"{issuer_key.holder.describe() if held else 'a non-authority holder'}",
            keyid=issuer_key.keyid,
        )
    holders = [issuer_key.holder.authority_type]
    if order.validating is not None:
        validator_key = _signed_by(verified.signers[1:], order.validating)
        if validator_key is None:
            raise NotCompetent(
                f"the order names {order.validating.organisation} ({order.validating.authority_type.value}) "
                "as validating authority but carries no signature of theirs"
            )
        holders.append(validator_key.holder.authority_type)
    needed, source = competent_signers(
        regime=order.regime, kind=order.measure, step=order.step, data_category=order.data_category
    )
    if not any(h in needed for h in holders if h is not None):
        wanted = ", ".join(sorted(a.value for a in needed))
        have = ", ".join(sorted(h.value for h in holders if h is not None))
        raise NotCompetent(
            f"{order.step.replace('_', ' ')} {order.measure} under {order.regime or 'no regime'} must be "
            f"signed by one of: {wanted} ({source}); signed by: {have}",
            keyid=issuer_key.keyid,
        )


@dataclass(frozen=True, slots=True)
class VerifiedOrder:
    """An order that passed every check, with who signed it."""

    content: OrderContent
    signers: tuple[KeyInfo, ...]

    def summary(self) -> dict[str, Any]:
        """What a platform operator reads after a successful check (no target identifier)."""
        order = self.content
        return {
            "order_id": order.order_id,
            "instruction": order.instruction,
            "measure": order.measure,
            "step": order.step,
            "regime": order.regime,
            "addressee": order.addressee,
            "issuing": order.issuing.as_json(),
            "validating": order.validating.as_json() if order.validating else None,
            "issued_at": format_time(order.issued_at),
            "expires_at": format_time(order.expires_at),
            "signed_by": [k.keyid for k in self.signers],
            "case_reference": order.case_reference,
        }


def verify_order(
    data: bytes,
    *,
    keys: KeyResolver,
    addressee: str,
    at: datetime,
    seen: MemorySeenIds | FileSeenIds | None = None,
) -> VerifiedOrder:
    """Verify a signed order for ``addressee`` at ``at``; raise the precise verification error otherwise."""
    envelope = Envelope.from_json(data)
    from comity.signing.envelope import verify

    verified = verify(
        envelope,
        keys=keys,
        expected_type=PayloadType.ORDER,
        purposes={KeyPurpose.AUTHORITY_SIGNING},
        at=at,
    )
    order = read_order(verified.fields())
    check_competence(order, verified)
    require_addressee(addressed_to=order.addressee, expected=addressee, what=f"order {order.order_id}")
    require_unexpired(expires_at=order.expires_at, at=at, what=f"order {order.order_id}")
    if seen is not None:
        seen.check(order.order_id, what="order")
        seen.record(order.order_id)
    return VerifiedOrder(content=order, signers=verified.signers)

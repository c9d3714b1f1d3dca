"""The egress gate: the one way out of a node. Minimise per agreement, mark, sign, (seal), send.

For every outbound item, in this order:

1. the agreement must be in force and name both this node's and the recipient's jurisdiction;
2. every data category must be one the agreement permits, else :class:`DataCategoryNotPermitted` naming it
   (sharing a category the agreement does not cover is refused, never silently trimmed);
3. within a permitted category only the agreement's shareable fields are kept; others are dropped and
   reported (an agreement that lists no field for a category lets none through: fail closed);
4. identifiers the agreement marks pseudonymous become keyed hashes, HMAC-SHA-256 under a per-agreement
   secret (RFC 2104), so exact matches still link within the agreement and nothing links across agreements;
5. the item carries a TLP 2.0 marking; personal data is never marked CLEAR or GREEN (community-wide or
   public sharing of personal data is not what a bilateral agreement permits);
6. only then is the message signed with the node key (and sealed to the recipient's encryption key when
   given) and the bytes handed to the transport.

``facts`` carry the non-personal part (ids, offence codes, legal basis); keys that name personal data are
refused there, so personal data cannot bypass step 2-4 by travelling as a "fact".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from comity.agreements.model import Agreement, DataCategoryTerms
from comity.clock import Clock
from comity.errors import FieldError, InvalidInput
from comity.ids import new_id
from comity.kinds import DataCategory
from comity.signing.keys import KeyInfo, Signer
from comity.signing.payload import truncate_to_second
from comity.transport.errors import DataCategoryNotPermitted, EgressRefused
from comity.transport.interface import DeliveryReceipt, Transport
from comity.transport.message import Message, digest_of, encode_message
from comity.transport.tlp import Tlp

#: Keys that may never appear in ``facts``: they name personal data, which travels in ``data`` only.
PERSONAL_FACT_KEYS = frozenset(
    {"name", "email", "address", "phone", "identifier", "identifiers", "ip", "ip_address", "iban", "account"}
)
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_PSEUDONYM_PREFIX = "hmac-sha256:"
DEFAULT_TTL = timedelta(days=7)


class PseudonymSecrets(Protocol):
    """Where the per-agreement HMAC secrets come from (the node's keystore implements it)."""

    def secret_for(self, agreement_id: str, version: int) -> bytes:
        """The 32-byte HMAC secret of one agreement version, the same on every call."""
        ...


def pseudonymise(secret: bytes, value: str) -> str:
    """The keyed hash of one identifier: ``hmac-sha256:<hex>``; same secret and value, same pseudonym."""
    return _PSEUDONYM_PREFIX + hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Outbound:
    """Something a capability wants to send to another jurisdiction, before minimisation."""

    kind: str  # message type, e.g. "production_request", "production_answer", "evidence_transfer"
    recipient: str  # jurisdiction code of the destination node
    tlp: Tlp
    facts: Mapping[str, Any] = field(default_factory=dict)
    #: Personal data by data category (e-Evidence Art. 3), then by field name.
    data: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    ttl: timedelta = DEFAULT_TTL


@dataclass(frozen=True, slots=True)
class Minimisation:
    """What the gate did to the data, as ``category.field`` paths (names only, never values)."""

    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    pseudonymised: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message ready for the transport (or for an outbox row): the exact bytes and what was done."""

    message_id: str
    recipient: str
    data: bytes
    digest: str
    tlp: Tlp
    minimisation: Minimisation


def _pseudonymous_fields(terms: DataCategoryTerms) -> frozenset[str]:
    # The agreement marks which shareable fields go out pseudonymised. DataCategoryTerms gains this field in
    # the agreements capability; until an agreement states it, none is pseudonymised.
    return frozenset(getattr(terms, "pseudonymous_fields", ()) or ())


def _check_facts(value: Any, path: str) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if str(key).lower() in PERSONAL_FACT_KEYS:
                raise EgressRefused(
                    f"{path}.{key} names personal data: send it as data under a permitted category",
                    path=f"{path}.{key}",
                )
            _check_facts(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_facts(inner, f"{path}[{index}]")


class EgressGate:
    """The one gate between a node's capabilities and its transport."""

    def __init__(
        self,
        *,
        node: str,
        signer: Signer,
        clock: Clock,
        secrets: PseudonymSecrets,
        transport: Transport,
    ) -> None:
        self.node = node
        self._signer = signer
        self._clock = clock
        self._secrets = secrets
        self._transport = transport

    def _check_agreement(self, item: Outbound, agreement: Agreement) -> None:
        today = self._clock.now().date()
        if not agreement.in_force(today):
            raise EgressRefused(
                f"agreement {agreement.id} v{agreement.version} is not in force on {today.isoformat()} "
                f"(effective {agreement.effective.isoformat()}, sunset {agreement.sunset.isoformat()})",
                path="agreement",
            )
        for role, code in (("sender", self.node), ("recipient", item.recipient)):
            if code not in agreement.jurisdictions:
                raise EgressRefused(
                    f"{code} is not a party to agreement {agreement.id}: nothing may be sent under it",
                    path=role,
                )

    def minimise(self, item: Outbound, agreement: Agreement) -> tuple[dict[str, Any], Minimisation]:
        """The body that may leave under ``agreement``, and what was kept, dropped and pseudonymised."""
        if not _KIND.match(item.kind):
            raise InvalidInput("not a message type", [FieldError("kind", "lower_snake_case, 1-60 chars")])
        self._check_agreement(item, agreement)
        _check_facts(dict(item.facts), "facts")
        kept: list[str] = []
        dropped: list[str] = []
        pseudonymised: list[str] = []
        data: dict[str, dict[str, Any]] = {}
        secret: bytes | None = None
        for category_name, fields in item.data.items():
            try:
                category = DataCategory(category_name)
            except ValueError:
                category = None
            terms = agreement.data_categories.get(category) if category is not None else None
            if terms is None:
                raise DataCategoryNotPermitted(
                    f"agreement {agreement.id} does not permit sharing {category_name!r} data",
                    path=f"data.{category_name}",
                )
            shareable = frozenset(terms.fields)
            pseudonymous = _pseudonymous_fields(terms)
            out: dict[str, Any] = {}
            for name, value in fields.items():
                path = f"{category_name}.{name}"
                if name not in shareable:
                    dropped.append(path)
                    continue
                if name in pseudonymous:
                    secret = secret or self._secrets.secret_for(agreement.id, agreement.version)
                    out[name] = self._pseudonym(secret, value, path)
                    pseudonymised.append(path)
                else:
                    out[name] = value
                kept.append(path)
            if out:
                data[category_name] = out
        if kept and item.tlp in (Tlp.CLEAR, Tlp.GREEN):
            raise EgressRefused(
                f"personal data cannot be marked {item.tlp.label}: use TLP:AMBER or stricter", path="tlp"
            )
        body = {"facts": dict(item.facts), "data": data, "pseudonymised": sorted(pseudonymised)}
        try:
            json.dumps(body, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"the item is not JSON data: {exc}", [FieldError("facts", str(exc))]) from None
        return body, Minimisation(tuple(kept), tuple(dropped), tuple(sorted(pseudonymised)))

    @staticmethod
    def _pseudonym(secret: bytes, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return pseudonymise(secret, value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [pseudonymise(secret, v) for v in value]
        raise InvalidInput(
            f"{path} is pseudonymised and must be a string or a list of strings",
            [FieldError(f"data.{path}", "string or list of strings expected")],
        )

    def prepare(self, item: Outbound, *, agreement: Agreement, seal_to: KeyInfo | None = None) -> Prepared:
        """Minimise, mark, sign and (if ``seal_to``) seal: the bytes for the transport or an outbox."""
        body, minimisation = self.minimise(item, agreement)
        if seal_to is not None and seal_to.holder.jurisdiction != item.recipient:
            raise EgressRefused(
                f"encryption key {seal_to.keyid} belongs to {seal_to.holder.jurisdiction}, "
                f"not to the recipient {item.recipient}",
                path="seal_to",
            )
        now = truncate_to_second(self._clock.now())
        message = Message(
            message_id=new_id("msg"),
            kind=item.kind,
            sender=self.node,
            recipient=item.recipient,
            agreement_id=agreement.id,
            agreement_version=agreement.version,
            tlp=item.tlp,
            created_at=now,
            expires_at=now + item.ttl,
            body=body,
        )
        data = encode_message(message, signer=self._signer, seal_to=seal_to)
        return Prepared(message.message_id, item.recipient, data, digest_of(data), item.tlp, minimisation)

    def send(
        self, item: Outbound, *, agreement: Agreement, seal_to: KeyInfo | None = None
    ) -> tuple[Prepared, DeliveryReceipt]:
        """Prepare ``item`` and hand it to the transport now.

        An outbox calls :meth:`prepare` in the transaction that causes the message, stores ``Prepared.data``
        and lets its worker hand those signed bytes to the transport later (retries resend the same bytes,
        so the receiving inbox receipts them idempotently).
        """
        prepared = self.prepare(item, agreement=agreement, seal_to=seal_to)
        return prepared, self._transport.send(prepared.recipient, prepared.data)

"""The egress gate: the one way out of a node. Minimise per agreement, mark, sign, (seal), send.

For every outbound item, in this order:

1. the agreement must be in force and name both this node's and the recipient's jurisdiction;
2. every data category must be one the agreement permits, else :class:`DataCategoryNotPermitted` naming it
   (sharing a category the agreement does not cover is refused, never silently trimmed);
3. within a permitted category only the agreement's shareable fields are kept; others are dropped and
   reported (an agreement that lists no field for a category lets none through: fail closed);
4. identifiers the agreement marks pseudonymous become keyed hashes, HMAC-SHA-256 under a per-agreement
   secret (RFC 2104), so exact matches still link within the agreement and nothing links across agreements;
5. attachments (evidence bytes) are personal data: each must be of a data category the agreement permits
   (else :class:`DataCategoryNotPermitted` naming ``attachments[i]``), their total is bounded by
   :data:`MAX_ATTACHMENT_BYTES` (:class:`AttachmentsTooLarge`, 413), and they travel in the body with their
   SHA-256 and size so the receiver checks them;
6. the item carries a TLP 2.0 marking; personal data (fields or attachments) is never marked CLEAR or GREEN
   (community-wide or public sharing of personal data is not what a bilateral agreement permits);
7. only then is the message signed with the node key (and sealed to the recipient's encryption key when
   given: federation always seals, so attachments never cross the wire in clear) and the bytes handed to
   the transport.

``facts`` carry the non-personal part (ids, offence codes, legal basis); keys that name personal data are
refused there, so personal data cannot bypass step 2-4 by travelling as a "fact".
"""

from __future__ import annotations

import base64
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
from comity.signing.envelope import MAX_ENVELOPE_BYTES
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
_ATTACHMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
#: Largest total of raw attachment bytes one message may carry. The bytes are base64 in the body (x4/3),
#: the sealed body is base64 in the header (x4/3) and the header is base64 in the signed envelope (x4/3):
#: about x2.37 on the wire, so 6 MiB raw stays under the 16 MiB a receiving inbox reads
#: (``comity.federation.inbox.MAX_MESSAGE_BYTES``, = ``MAX_ENVELOPE_BYTES``). Larger evidence needs a
#: chunked channel (not built yet).
MAX_ATTACHMENT_BYTES = 6 * 1024 * 1024


class AttachmentsTooLarge(EgressRefused):
    """The attachments of one message exceed what a peer's inbox reads; larger items need chunking."""

    status = 413
    title = "Attachments too large"
    type_slug = "attachments-too-large"


class PseudonymSecrets(Protocol):
    """Where the per-agreement HMAC secrets come from (the node's keystore implements it)."""

    def secret_for(self, agreement_id: str, version: int) -> bytes:
        """The 32-byte HMAC secret of one agreement version, the same on every call."""
        ...


def pseudonymise(secret: bytes, value: str) -> str:
    """The keyed hash of one identifier: ``hmac-sha256:<hex>``; same secret and value, same pseudonym."""
    return _PSEUDONYM_PREFIX + hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Attachment:
    """Bytes sent whole with a message (evidence). ``name`` is an id, never a personal file name."""

    name: str
    data_category: str  # comity.kinds.DataCategory value
    media_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the content."""
        return hashlib.sha256(self.content).hexdigest()

    def to_body(self) -> dict[str, Any]:
        """As carried in a message body: metadata, SHA-256, size and the content in base64."""
        return {
            "name": self.name,
            "data_category": self.data_category,
            "media_type": self.media_type,
            "sha256": self.sha256,
            "size": len(self.content),
            "content": base64.b64encode(self.content).decode("ascii"),
        }


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
    #: Bytes that travel whole (evidence): personal data of a category the agreement must permit.
    attachments: tuple[Attachment, ...] = ()
    #: The message id, when the caller must name the message before it is built (a custody event signed
    #: into the very chain the message carries); a new id otherwise.
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class Minimisation:
    """What the gate did to the data, as ``category.field`` paths (names only, never values)."""

    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    pseudonymised: tuple[str, ...]
    #: Names of the attachments let through.
    attachments: tuple[str, ...] = ()


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
    """The shareable fields the agreement lets out only as keyed hashes."""
    return frozenset(terms.pseudonymous_fields)


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
        attachments = self._check_attachments(item, agreement)
        if (kept or attachments) and item.tlp in (Tlp.CLEAR, Tlp.GREEN):
            raise EgressRefused(
                f"personal data cannot be marked {item.tlp.label}: use TLP:AMBER or stricter", path="tlp"
            )
        body: dict[str, Any] = {
            "facts": dict(item.facts),
            "data": data,
            "pseudonymised": sorted(pseudonymised),
        }
        try:
            json.dumps(body, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"the item is not JSON data: {exc}", [FieldError("facts", str(exc))]) from None
        if attachments:
            body["attachments"] = [a.to_body() for a in attachments]
        minimisation = Minimisation(
            tuple(kept), tuple(dropped), tuple(sorted(pseudonymised)), tuple(a.name for a in attachments)
        )
        return body, minimisation

    @staticmethod
    def _check_attachments(item: Outbound, agreement: Agreement) -> tuple[Attachment, ...]:
        """Refuse an attachment of a category the agreement does not permit, malformed, or too large."""
        names: set[str] = set()
        for index, attachment in enumerate(item.attachments):
            path = f"attachments[{index}]"
            try:
                category: DataCategory | None = DataCategory(attachment.data_category)
            except ValueError:
                category = None
            if category is None or category not in agreement.data_categories:
                raise DataCategoryNotPermitted(
                    f"agreement {agreement.id} does not permit sharing {attachment.data_category!r} data "
                    f"({path})",
                    path=path,
                )
            errors: list[FieldError] = []
            if not _ATTACHMENT_NAME.match(attachment.name) or attachment.name in names:
                errors.append(FieldError(f"{path}.name", "a unique id: 1-120 letters, digits and . _ : -"))
            if not _MEDIA_TYPE.match(attachment.media_type):
                errors.append(FieldError(f"{path}.media_type", "not a media type (type/subtype)"))
            if not isinstance(attachment.content, bytes):
                errors.append(FieldError(f"{path}.content", "bytes expected"))
            if errors:
                raise InvalidInput("an attachment is malformed", errors)
            names.add(attachment.name)
        total = sum(len(a.content) for a in item.attachments)
        if total > MAX_ATTACHMENT_BYTES:
            raise AttachmentsTooLarge(
                f"attachments of {total} bytes exceed the {MAX_ATTACHMENT_BYTES} bytes one message may carry "
                "to a peer; larger evidence needs a chunked channel",
                path="attachments",
                limit=MAX_ATTACHMENT_BYTES,
            )
        return item.attachments

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
            message_id=item.message_id or new_id("msg"),
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
        if len(data) > MAX_ENVELOPE_BYTES:
            raise AttachmentsTooLarge(
                f"the signed message is {len(data)} bytes; a peer reads at most {MAX_ENVELOPE_BYTES}",
                path="attachments",
                limit=MAX_ENVELOPE_BYTES,
            )
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

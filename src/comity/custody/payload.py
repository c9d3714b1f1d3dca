"""The signed payload of a custody event, its hash chain and salted commitments. No database.

A custody event is a signing envelope (``PayloadType.CUSTODY_EVENT``) over canonical JSON holding ids,
hashes and times only: the event id, the evidence id and SHA-256, the action, when, who (a user id, or
``node:<jurisdiction>`` for the node itself), the case id, and ``previous``: the SHA-256 of the previous
event's envelope, so the events of one item form a hash chain. Personal data of the record (the source of
the evidence, its file name, an officer's note) stays in ordinary columns; the payload carries only
``commitment`` = SHA-256(salt || canonical JSON of those fields), so the signed record and the log outlive
a retention purge that deletes the data and its salt.

The same module parses payloads strictly for offline verification (``comity verify bundle``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

from comity.custody.states import CustodyAction
from comity.signing.errors import MalformedPayload
from comity.signing.payload import Fields, canonical_json, format_time

FORMAT = "comity-custody-event/v1"
NODE_ACTOR_PREFIX = "node:"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
JURISDICTION = re.compile(r"^[A-Z]{2}$")
SALT_BYTES = 32

#: Keys of the audit event recorded with each custody event: what a log leaf proves about the envelope.
AUDIT_EVENT_KEY = "custody_event"
AUDIT_ENVELOPE_KEY = "envelope_sha256"
AUDIT_EVIDENCE_KEY = "evidence_sha256"
AUDIT_TAG_PREFIX = "custody:evidence:"
AUDIT_SUBJECT_TYPE = "evidence"


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def envelope_digest(envelope_json: bytes) -> str:
    """The hash that chains events and that the audit leaf records: SHA-256 of the envelope's JSON bytes."""
    return sha256_hex(envelope_json)


def commitment(salt: bytes, fields: Mapping[str, str | None]) -> str:
    """Salted SHA-256 commitment to personal ``fields``: hides them, yet binds the record to them.

    The 256-bit random salt makes the commitment unguessable even for low-entropy values (a file name);
    deleting the salt with the data at the end of retention leaves nothing to test guesses against.
    """
    if len(salt) != SALT_BYTES:
        raise ValueError(f"a commitment salt is {SALT_BYTES} bytes")
    return sha256_hex(salt + canonical_json(dict(fields)))


@dataclass(frozen=True, slots=True)
class EvidenceFacts:
    """Non-personal facts about an item, signed once in its ``collected`` event."""

    kind: str
    data_category: str
    tlp: str
    media_type: str
    legal_authority: str

    def to_obj(self) -> dict[str, str]:
        """As a JSON object."""
        return {
            "kind": self.kind,
            "data_category": self.data_category,
            "tlp": self.tlp,
            "media_type": self.media_type,
            "legal_authority": self.legal_authority,
        }

    @classmethod
    def from_fields(cls, fields: Fields) -> EvidenceFacts:
        """Strictly read the facts object."""
        fields.only(("kind", "data_category", "tlp", "media_type", "legal_authority"))
        return cls(
            kind=fields.text("kind"),
            data_category=fields.text("data_category"),
            tlp=fields.text("tlp"),
            media_type=fields.text("media_type"),
            legal_authority=fields.text("legal_authority"),
        )


_REQUIRED = (
    "format",
    "event",
    "evidence",
    "sha256",
    "size",
    "seq",
    "action",
    "occurred_at",
    "actor",
    "jurisdiction",
    "case",
    "previous",
)
_OPTIONAL = ("organisation", "started_at", "ended_at", "commitment", "counterparty", "facts")


@dataclass(frozen=True, slots=True)
class CustodyPayload:
    """One custody event as signed."""

    event: str
    evidence: str
    sha256: str
    size: int
    seq: int
    action: CustodyAction
    occurred_at: datetime
    actor: str
    jurisdiction: str
    case: str
    previous: str | None
    organisation: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    commitment: str | None = None
    counterparty: str | None = None
    facts: EvidenceFacts | None = None

    @property
    def is_node_action(self) -> bool:
        """Whether the node itself acted (signed with its node key, e.g. retention destruction)."""
        return self.actor.startswith(NODE_ACTOR_PREFIX)

    def to_payload(self) -> bytes:
        """Canonical JSON bytes to sign (optional fields are omitted when empty)."""
        body: dict[str, object] = {
            "format": FORMAT,
            "event": self.event,
            "evidence": self.evidence,
            "sha256": self.sha256,
            "size": self.size,
            "seq": self.seq,
            "action": self.action.value,
            "occurred_at": format_time(self.occurred_at),
            "actor": self.actor,
            "jurisdiction": self.jurisdiction,
            "case": self.case,
            "previous": self.previous,
        }
        optional: dict[str, object | None] = {
            "organisation": self.organisation,
            "started_at": format_time(self.started_at) if self.started_at else None,
            "ended_at": format_time(self.ended_at) if self.ended_at else None,
            "commitment": self.commitment,
            "counterparty": self.counterparty,
            "facts": self.facts.to_obj() if self.facts else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return canonical_json(body)

    @classmethod
    def from_payload(cls, data: bytes) -> CustodyPayload:
        """Parse verified payload bytes strictly (``MalformedPayload`` names the field at fault).

        Custody payloads are canonical JSON; the bytes must re-serialise to themselves, which refuses
        duplicate keys and any second spelling of one event. Fields are read directly rather than through
        ``Fields``: a bundle verifier parses one payload per event, 100,000s of times.
        """
        try:
            value = json.loads(data, parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise_malformed("not valid JSON")
        if not isinstance(value, dict):
            raise_malformed("expected a JSON object")
        if canonical_json(value) != data:
            raise_malformed("not in canonical form (sorted keys, no spaces, UTF-8, each key once)")
        missing = _REQUIRED_KEYS.difference(value)
        if missing:
            raise_malformed(f"{min(missing)}: missing")
        extra = set(value).difference(_ALL_KEYS)
        if extra:
            raise_malformed(f"{min(extra)}: unexpected field")
        if value["format"] != FORMAT:
            raise_malformed(f"format: expected {FORMAT}")
        try:
            action = CustodyAction(value["action"])
        except ValueError:
            raise_malformed(f"action: {str(value['action'])[:40]!r} is not a custody action")
        seq, size = _integer(value, "seq"), _integer(value, "size")
        if seq < 1 or size < 0:
            raise_malformed("seq starts at 1 and size is not negative")
        facts = value.get("facts")
        return cls(
            event=_text(value, "event", ID_PATTERN),
            evidence=_text(value, "evidence", ID_PATTERN),
            sha256=_text(value, "sha256", HEX64),
            size=size,
            seq=seq,
            action=action,
            occurred_at=_instant(value, "occurred_at"),
            actor=_text(value, "actor", ID_PATTERN),
            jurisdiction=_text(value, "jurisdiction", JURISDICTION),
            case=_text(value, "case", ID_PATTERN),
            previous=None if value["previous"] is None else _text(value, "previous", HEX64),
            organisation=_optional(value, "organisation", ID_PATTERN),
            started_at=None if value.get("started_at") is None else _instant(value, "started_at"),
            ended_at=None if value.get("ended_at") is None else _instant(value, "ended_at"),
            commitment=_optional(value, "commitment", HEX64),
            counterparty=_optional(value, "counterparty", ID_PATTERN),
            facts=None
            if facts is None
            else EvidenceFacts.from_fields(Fields(facts, path="facts", error=MalformedPayload)),
        )


_REQUIRED_KEYS = frozenset(_REQUIRED)
_ALL_KEYS = frozenset(_REQUIRED + _OPTIONAL)


def _no_constant(name: str) -> object:
    raise ValueError(f"non-finite number {name}")


def _text(value: dict[str, Any], key: str, pattern: re.Pattern[str]) -> str:
    found = value.get(key)
    if type(found) is not str or not pattern.match(found):
        raise_malformed(f"{key}: {str(found)[:80]!r} does not match {pattern.pattern}")
    return found


def _optional(value: dict[str, Any], key: str, pattern: re.Pattern[str]) -> str | None:
    return None if value.get(key) is None else _text(value, key, pattern)


def _integer(value: dict[str, Any], key: str) -> int:
    found = value.get(key)
    if type(found) is not int:
        raise_malformed(f"{key}: expected an integer")
    return found


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _instant(value: dict[str, Any], key: str) -> datetime:
    """``YYYY-MM-DDTHH:MM:SSZ`` as an aware instant (as ``Fields.instant``, without strptime's cost)."""
    found = value.get(key)
    if type(found) is not str or not _INSTANT.match(found):
        raise_malformed(f"{key}: expected YYYY-MM-DDTHH:MM:SSZ, got {str(found)[:40]!r}")
    try:
        return datetime.fromisoformat(found[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise_malformed(f"{key}: not a real instant: {found!r}")


def raise_malformed(message: str) -> NoReturn:
    """Raise :class:`MalformedPayload` for a custody event."""
    raise MalformedPayload(f"custody event: {message}")

"""Producing and strictly reading the JSON payloads Comity signs.

Producers serialise once, canonically (sorted keys, no spaces, UTF-8), and sign those exact bytes; readers
parse the exact bytes that verified and never serialise them again. Reading is strict: duplicate keys,
non-finite numbers, unknown fields and wrong types are refused with :class:`MalformedPayload` naming the
field, because a lenient reader is where two parties start to disagree about what was signed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from comity.signing.errors import CodedVerificationError, MalformedPayload

#: ISO 8601 UTC instants at second precision, as every Comity signed payload writes them.
_TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` once, deterministically, for signing: sorted keys, compact, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def format_time(value: datetime) -> str:
    """An aware instant as ``YYYY-MM-DDTHH:MM:SSZ`` (sub-second precision is dropped on purpose)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: signed payloads hold aware UTC instants only")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def truncate_to_second(value: datetime) -> datetime:
    """``value`` without microseconds, so what is stored equals what is signed."""
    return value.replace(microsecond=0)


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (RFC 4648 §4), the only form Comity writes."""
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(
    text: object, *, field: str, error: type[CodedVerificationError] = MalformedPayload
) -> bytes:
    """Decode standard padded base64, refusing anything that does not re-encode to the same text.

    Refusing non-canonical encodings (missing padding, stray bits, URL-safe alphabet) keeps one object
    with one spelling, so digests of envelopes and statements stay comparable.
    """
    if not isinstance(text, str):
        raise error(f"{field}: expected a base64 string, got {type(text).__name__}")
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise error(f"{field}: not valid base64 ({exc})") from None
    if base64.b64encode(decoded).decode("ascii") != text:
        raise error(f"{field}: not canonical padded base64")
    return decoded


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-finite number {name} is not JSON")


def loads_strict(data: bytes | str, *, what: str, error: type[CodedVerificationError]) -> Any:
    """Parse JSON refusing duplicate keys, NaN/Infinity, invalid UTF-8 and absurd nesting."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise error(f"{what}: not valid JSON ({exc})") from None
    except RecursionError:
        # A hostile document of nested brackets must be a verification error, not a crash.
        raise error(f"{what}: JSON nested too deeply") from None


class Fields:
    """Typed, strict access to one JSON object of a payload; every error names the field path."""

    def __init__(self, value: object, *, path: str, error: type[CodedVerificationError] = MalformedPayload):
        if not isinstance(value, dict):
            raise error(f"{path or 'document'}: expected a JSON object, got {type(value).__name__}")
        self._data: dict[str, Any] = value
        self._path = path
        self._error = error

    def _name(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def only(self, required: Collection[str], optional: Collection[str] = ()) -> Fields:
        """Refuse missing required keys and any key not listed."""
        missing = [k for k in required if k not in self._data]
        if missing:
            raise self._error(f"{self._name(missing[0])}: missing")
        extra = sorted(set(self._data) - set(required) - set(optional))
        if extra:
            raise self._error(f"{self._name(extra[0])}: unexpected field")
        return self

    def as_mapping(self) -> Mapping[str, Any]:
        """The whole object (for free-form content such as a message body)."""
        return self._data

    def raw(self, key: str) -> Any:
        """The value under ``key`` (present: call :meth:`only` first)."""
        return self._data.get(key)

    def text(self, key: str, *, pattern: re.Pattern[str] | None = None) -> str:
        """A non-empty string, optionally matching ``pattern``."""
        value = self._data.get(key)
        if not isinstance(value, str) or not value:
            raise self._error(f"{self._name(key)}: expected a non-empty string")
        if pattern is not None and not pattern.match(value):
            raise self._error(f"{self._name(key)}: {value[:80]!r} does not match {pattern.pattern}")
        return value

    def opt_text(self, key: str, *, pattern: re.Pattern[str] | None = None) -> str | None:
        """A non-empty string or null/absent."""
        if self._data.get(key) is None:
            return None
        return self.text(key, pattern=pattern)

    def integer(self, key: str) -> int:
        """An integer (booleans are not integers here)."""
        value = self._data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._error(f"{self._name(key)}: expected an integer")
        return value

    def instant(self, key: str) -> datetime:
        """An instant written as ``YYYY-MM-DDTHH:MM:SSZ``."""
        value = self.text(key)
        if not _TIME_PATTERN.match(value):
            raise self._error(f"{self._name(key)}: expected YYYY-MM-DDTHH:MM:SSZ, got {value[:40]!r}")
        try:
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise self._error(f"{self._name(key)}: not a real instant: {value!r}") from None

    def opt_instant(self, key: str) -> datetime | None:
        """An instant or null/absent."""
        return None if self._data.get(key) is None else self.instant(key)

    def b64(self, key: str) -> bytes:
        """Bytes written as canonical base64."""
        return b64decode_strict(self._data.get(key), field=self._name(key), error=self._error)

    def obj(self, key: str) -> Fields:
        """A nested object."""
        return Fields(self._data.get(key), path=self._name(key), error=self._error)

    def mapping(self, key: str) -> Mapping[str, Any]:
        """A nested object as a plain mapping (for free-form bodies)."""
        value = self._data.get(key)
        if not isinstance(value, dict):
            raise self._error(f"{self._name(key)}: expected a JSON object")
        return value

    def array(self, key: str) -> list[Any]:
        """A JSON array."""
        value = self._data.get(key)
        if not isinstance(value, list):
            raise self._error(f"{self._name(key)}: expected a JSON array")
        return value


def parse_object(data: bytes, *, what: str, error: type[CodedVerificationError] = MalformedPayload) -> Fields:
    """Parse ``data`` as one strict JSON object and wrap it for typed access."""
    return Fields(loads_strict(data, what=what, error=error), path="", error=error)

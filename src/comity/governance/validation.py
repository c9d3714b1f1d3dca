"""Checking a proposed document against what is in effect, and building domain values from stored ones.

A taxonomy, a profile and an agreement refer to one another (statutes and agreements name offence codes;
agreements name jurisdictions), so a document is checked against the approved versions of the others, and
a new taxonomy may not drop a code an approved document still uses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from comity.agreements.loader import agreement_errors
from comity.errors import FieldError, InvalidInput
from comity.governance.model import TAXONOMY_KEY, DocumentKind
from comity.policy.model import PolicyContext
from comity.vocabulary.documents import raise_if
from comity.vocabulary.loader import jurisdiction_errors, taxonomy_errors


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    """A document that passed every check: what it is, and its content as it will be stored."""

    kind: DocumentKind
    key: str
    version: int
    content: dict[str, Any]
    content_sha256: str


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``content`` (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def key_of(kind: DocumentKind, content: Mapping[str, Any]) -> str:
    """The key naming a document across its versions (the content must have passed its schema)."""
    if kind is DocumentKind.TAXONOMY:
        return TAXONOMY_KEY
    if kind is DocumentKind.JURISDICTION:
        return str(content["code"])
    return str(content["id"])


def check(
    kind: DocumentKind, content: dict[str, Any], effective: PolicyContext, *, origin: str
) -> CheckedDocument:
    """Validate ``content`` as a document of ``kind`` against the ``effective`` (approved) vocabulary.

    Raises :class:`~comity.errors.InvalidInput` with every problem and the path of each offending field.
    """
    if kind is DocumentKind.TAXONOMY:
        raise_if(taxonomy_errors(content), origin=origin, what="taxonomy")
        raise_if(_dropped_codes(content, effective), origin=origin, what="taxonomy")
    elif kind is DocumentKind.JURISDICTION:
        raise_if(jurisdiction_errors(content, effective.offences), origin=origin, what="jurisdiction profile")
    else:
        errors = agreement_errors(content, effective.offences, effective.jurisdictions)
        raise_if(errors, origin=origin, what="agreement")
    return CheckedDocument(
        kind=kind,
        key=key_of(kind, content),
        version=int(content["version"]),
        content=content,
        content_sha256=content_hash(content),
    )


def _dropped_codes(content: Mapping[str, Any], effective: PolicyContext) -> list[FieldError]:
    """Codes a new taxonomy would drop while an approved profile or agreement still uses them."""
    codes = set(content["offences"])
    users: dict[str, list[str]] = {}
    for profile in effective.jurisdictions.values():
        for statute in profile.statutes:
            if statute.offence not in codes:
                users.setdefault(statute.offence, []).append(f"jurisdiction {profile.code} ({statute.id})")
    for agreement in effective.agreements:
        for code in agreement.offences - codes:
            users.setdefault(code, []).append(f"agreement {agreement.id}")
    return [
        FieldError("offences", f"drops {code!r}, still used by {', '.join(sorted(set(names)))}")
        for code, names in sorted(users.items())
    ]


def invalid(message: str, path: str, problem: str) -> InvalidInput:
    """A one-field :class:`InvalidInput` (for checks on the document's place in its history)."""
    return InvalidInput(message, [FieldError(path, problem)])

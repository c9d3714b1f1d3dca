"""What is in effect: the policy context built from the approved version of each governed document.

Building it parses every approved document, so it is cached. The cache key is the set of approved row ids:
a row's content never changes once proposed, and any approval or supersession changes the set, so a hit
is always the context the database holds (also inside an uncommitted transaction, and after a rollback,
since a rolled-back row's id never comes back). Reading the key costs one indexed query of a few ids.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.agreements.loader import agreement_from_document
from comity.agreements.model import Agreement
from comity.governance.model import DocumentKind, DocumentStatus, GovernedDocument
from comity.policy.model import PolicyContext
from comity.vocabulary.loader import jurisdiction_from_document, offences_from_document
from comity.vocabulary.model import JurisdictionProfile, Offence

log = logging.getLogger("comity.governance")
T = TypeVar("T")

_CACHE_SIZE = 8
_cache: OrderedDict[tuple[str, ...], PolicyContext] = OrderedDict()
_lock = threading.Lock()


def current_context(session: Session) -> PolicyContext:
    """The taxonomy, profiles and agreements in effect: the approved version of each document."""
    key = tuple(
        session.scalars(
            select(GovernedDocument.id)
            .where(GovernedDocument.status == DocumentStatus.APPROVED.value)
            .order_by(GovernedDocument.id)
        ).all()
    )
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    rows = session.scalars(select(GovernedDocument).where(GovernedDocument.id.in_(key))).all() if key else []
    context = build_context(rows)
    with _lock:
        _cache[key] = context
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return context


def clear_cache() -> None:
    """Forget every cached context (tests; never needed for correctness)."""
    with _lock:
        _cache.clear()


def build_context(rows: Iterable[GovernedDocument]) -> PolicyContext:
    """Build a context from approved rows; the latest version wins should two of one key be approved."""
    latest: dict[tuple[str, str], GovernedDocument] = {}
    for row in rows:
        slot = (row.kind, row.key)
        if slot not in latest or latest[slot].version < row.version:
            latest[slot] = row
    by_kind: dict[str, list[GovernedDocument]] = {kind.value: [] for kind in DocumentKind}
    for row in latest.values():
        by_kind[row.kind].append(row)

    offences: Mapping[str, Offence] = {}
    for row in by_kind[DocumentKind.TAXONOMY.value]:
        offences = _built(row, offences_from_document) or {}
    jurisdictions: dict[str, JurisdictionProfile] = {}
    for row in sorted(by_kind[DocumentKind.JURISDICTION.value], key=lambda r: r.key):
        profile = _built(row, jurisdiction_from_document)
        if profile is not None:
            jurisdictions[profile.code] = profile
    agreements: list[Agreement] = []
    for row in sorted(by_kind[DocumentKind.AGREEMENT.value], key=lambda r: r.key):
        agreement = _built(row, agreement_from_document)
        if agreement is not None:
            agreements.append(agreement)
    # Shared by every caller through the cache: hand out read-only views.
    return PolicyContext(
        offences=MappingProxyType(dict(offences)),
        jurisdictions=MappingProxyType(jurisdictions),
        agreements=tuple(agreements),
    )


def _built(row: GovernedDocument, builder: Callable[[dict[str, Any]], T]) -> T | None:
    """Build one stored document; a malformed one is logged and left out (it then authorises nothing)."""
    try:
        return builder(row.content)
    except (KeyError, TypeError, ValueError) as exc:
        log.error("approved %s is malformed and is ignored: %s", row.subject, exc)
        return None

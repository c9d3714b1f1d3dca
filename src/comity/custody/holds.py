"""Legal holds: what keeps evidence from destruction beyond its retention date.

Two kinds: explicit holds, placed on an item or a whole case by a judge or an administrator (with a reason
and optionally an end), and *hold sources*: functions other capabilities register (an open case, a pending
challenge) that look at an item and say why it must be kept, or ``None``. Retention and destruction ask
:func:`hold_reasons` and touch nothing that has a reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from comity.audit import service as audit
from comity.clock import Clock, ensure_utc
from comity.custody import access
from comity.custody.model import EvidenceItem, LegalHold
from comity.errors import ConfigurationError, Conflict, FieldError, Forbidden, InvalidInput
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import Role

#: ``source(session, item) -> reason or None``; must not change anything (it runs inside retention).
HoldSource = Callable[[Session, EvidenceItem], str | None]

#: Modules that register hold sources when imported. Retention and destruction import them all first, so
#: a command run outside the web app (``comity retention run``) cannot miss one; a module listed here that
#: cannot be imported stops them (fail closed). A capability that adds a hold source lists its module here.
HOLD_SOURCE_MODULES: tuple[str, ...] = ("comity.cases.holds",)

_SOURCES: list[HoldSource] = []
#: Sources that only keep evidence from the end of its retention (an open case), not from a destruction
#: its case's officers decide (a duplicate capture, an order to destroy); explicit holds stop both.
_RETENTION_ONLY: set[HoldSource] = set()
HOLDER_ROLES = frozenset({Role.JUDGE, Role.ADMINISTRATOR})
_REASON_LIMIT = 2000


def register_hold_source(source: HoldSource, *, retention_only: bool = False) -> HoldSource:
    """Add a hold source (idempotent); returns it, so it can decorate the function.

    ``retention_only``: the source keeps items past their retention date but does not stop a deliberate
    destruction by the case's officers (an open case does not; a pending challenge would).
    """
    if source not in _SOURCES:
        _SOURCES.append(source)
    if retention_only:
        _RETENTION_ONLY.add(source)
    return source


def retention_hold_source(source: HoldSource) -> HoldSource:
    """Register ``source`` as a retention-only hold source (a decorator)."""
    return register_hold_source(source, retention_only=True)


def unregister_hold_source(source: HoldSource) -> None:
    """Remove a hold source (tests, or a capability switched off)."""
    if source in _SOURCES:
        _SOURCES.remove(source)
    _RETENTION_ONLY.discard(source)


def hold_sources() -> tuple[HoldSource, ...]:
    """The registered hold sources (after loading :data:`HOLD_SOURCE_MODULES`)."""
    load_hold_sources()
    return tuple(_SOURCES)


def load_hold_sources() -> None:
    """Import every module of :data:`HOLD_SOURCE_MODULES` (each registers its sources once)."""
    for name in HOLD_SOURCE_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ConfigurationError(
                f"the legal-hold source module {name} cannot be loaded ({exc}): evidence will not be "
                "destroyed while a hold might be missed"
            ) from None


def _active(at: datetime) -> list[ColumnElement[bool]]:
    return [LegalHold.released_at.is_(None), or_(LegalHold.until.is_(None), LegalHold.until > at)]


def visible_holds(
    session: Session,
    *,
    principal: Principal,
    at: datetime,
    node_jurisdiction: str,
    evidence_id: str | None = None,
    case_id: str | None = None,
) -> list[LegalHold]:
    """Holds in force on the item or case given (or all), limited to the cases ``principal`` may read."""
    found = list(active_holds(session, at=at, evidence_id=evidence_id, case_id=case_id))
    return access.holds_visible_to(session, principal, found, at=at, node_jurisdiction=node_jurisdiction)


def active_holds(
    session: Session, *, at: datetime, evidence_id: str | None = None, case_id: str | None = None
) -> Sequence[LegalHold]:
    """Explicit holds in force at ``at`` on the item or case given (both: either matches)."""
    targets = []
    if evidence_id is not None:
        targets.append(LegalHold.evidence_id == evidence_id)
    if case_id is not None:
        targets.append(LegalHold.case_id == case_id)
    stmt = select(LegalHold).where(*_active(ensure_utc(at))).order_by(LegalHold.placed_at)
    if targets:
        stmt = stmt.where(or_(*targets))
    return session.scalars(stmt).all()


def hold_reasons(
    session: Session, item: EvidenceItem, *, at: datetime, deliberate: bool = False
) -> list[str]:
    """Why ``item`` must be kept at ``at``: explicit holds, then every hold source. Empty: not held.

    ``deliberate``: for a destruction the case's officers decide, retention-only sources do not count.
    """
    load_hold_sources()
    reasons = [
        f"legal hold {hold.id} on {'the case' if hold.case_id else 'the item'}"
        + (f" until {hold.until.isoformat()}" if hold.until else "")
        for hold in active_holds(session, at=at, evidence_id=item.id, case_id=item.case_id)
    ]
    for source in _SOURCES:
        if deliberate and source in _RETENTION_ONLY:
            continue
        reason = source(session, item)
        if reason:
            reasons.append(reason)
    return reasons


def place_hold(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    node_jurisdiction: str,
    reason: str,
    evidence_id: str | None = None,
    case_id: str | None = None,
    until: datetime | None = None,
) -> LegalHold:
    """Place a hold on one item or on every item of a case (a judge who may read the case, or one of the
    node's administrators); 404 for an item or case the caller may not know of."""
    if principal.role not in HOLDER_ROLES:
        raise Forbidden(
            f"legal holds are placed by judges and administrators; you are {principal.role.value}"
        )
    errors = []
    if (evidence_id is None) == (case_id is None):
        errors.append(FieldError("evidence_id", "give exactly one of evidence_id and case_id"))
    if not reason.strip() or len(reason) > _REASON_LIMIT:
        errors.append(FieldError("reason", f"1 to {_REASON_LIMIT} characters"))
    now = ensure_utc(clock.now())
    if until is not None and ensure_utc(until) <= now:
        errors.append(FieldError("until", "must be in the future"))
    if errors:
        raise InvalidInput("the legal hold is not acceptable", errors)
    grant = access.hold_target_access(
        session,
        principal,
        at=now,
        node_jurisdiction=node_jurisdiction,
        evidence_id=evidence_id,
        case_id=case_id,
    )
    hold = LegalHold(
        id=new_id("hld"),
        evidence_id=evidence_id,
        case_id=case_id,
        reason=reason.strip(),
        until=ensure_utc(until) if until else None,
        placed_by=principal.user_id,
        placed_at=now,
        released_at=None,
        released_by=None,
        release_reason=None,
    )
    session.add(hold)
    audit.record(
        session,
        clock=clock,
        actor=principal.actor,
        tag="custody:hold:placed",
        subject_type="legal_hold",
        subject_id=hold.id,
        details={
            "evidence": evidence_id,
            "case": case_id,
            "until": hold.until.isoformat() if hold.until else None,
            **grant.as_details(),
        },
    )
    session.flush()
    return hold


def release_hold(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    node_jurisdiction: str,
    hold_id: str,
    reason: str,
) -> LegalHold:
    """Release a hold early (as for placing one); retention then applies again."""
    if principal.role not in HOLDER_ROLES:
        raise Forbidden(
            f"legal holds are released by judges and administrators; you are {principal.role.value}"
        )
    hold = access.hold_access(
        session,
        principal,
        hold_id,
        at=ensure_utc(clock.now()),
        node_jurisdiction=node_jurisdiction,
        lock=True,
    ).obj
    if hold.released_at is not None:
        raise Conflict(f"legal hold {hold.id} was already released at {hold.released_at.isoformat()}")
    if not reason.strip() or len(reason) > _REASON_LIMIT:
        raise InvalidInput("a release states its reason", [FieldError("reason", "1 to 2000 characters")])
    hold.released_at = ensure_utc(clock.now())
    hold.released_by = principal.user_id
    hold.release_reason = reason.strip()
    audit.record(
        session,
        clock=clock,
        actor=principal.actor,
        tag="custody:hold:released",
        subject_type="legal_hold",
        subject_id=hold.id,
        details={"evidence": hold.evidence_id, "case": hold.case_id},
    )
    return hold

"""Who may see and change a measure: the readers of its case (``comity.cases.access``: members, the judges
it was submitted to, executing officers of a mirror case), the addressed platform for its issued orders,
and oversight of the issuing jurisdiction (metadata only). Others get NotFound."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from comity.access import Basis, Grant, Granted, oversees
from comity.cases import access as cases
from comity.cases.model import Case
from comity.clock import Clock
from comity.errors import Forbidden, NotFound
from comity.identity.principal import Principal
from comity.kinds import JUDICIAL_AUTHORITIES, AuthorityType, Role
from comity.measures.model import Measure, MeasureStatus

#: Statuses in which a measure is still in progress or in force (they keep its case open).
OPEN_STATUSES = (
    MeasureStatus.DRAFT,
    MeasureStatus.AWAITING_AUTHORISATION,
    MeasureStatus.AUTHORISED,
    MeasureStatus.ANNOUNCED,
    MeasureStatus.ISSUED,
)


def _judicial_submission(session: Session, case_id: str) -> bool:
    """Judges of the lead jurisdiction may read a case once one of its measures went beyond a draft."""
    return (
        session.scalar(
            select(Measure.id)
            .where(Measure.case_id == case_id, Measure.status != MeasureStatus.DRAFT.value)
            .limit(1)
        )
        is not None
    )


def _blocking(session: Session, case_id: str) -> list[str]:
    """Measures still in force or in progress keep a case open."""
    live = [s.value for s in OPEN_STATUSES]
    return list(
        session.scalars(select(Measure.id).where(Measure.case_id == case_id, Measure.status.in_(live)))
    )


cases.register_judicial_submission_source(_judicial_submission)
cases.register_close_check(_blocking)


def require_judge(principal: Principal, measure: Measure) -> AuthorityType:
    """A judge: role judge, a judicial authority, of the issuing jurisdiction."""
    if (
        principal.role is not Role.JUDGE
        or principal.authority_type not in JUDICIAL_AUTHORITIES
        or principal.jurisdiction != measure.issuing_jurisdiction
    ):
        raise Forbidden(f"only a judge of {measure.issuing_jurisdiction} decides this")
    assert principal.authority_type is not None
    return principal.authority_type


def _not_found(measure_id: str) -> NotFound:
    return NotFound(f"no measure {measure_id[:60]!r}")


def _addressee(principal: Principal, measure: Measure) -> bool:
    return (
        principal.role is Role.PLATFORM
        and principal.node is None
        and measure.addressee_organisation == principal.organisation_id
        and measure.issued_at is not None
    )


def measure_access(
    session: Session, *, clock: Clock, principal: Principal, measure_id: str, edit: bool = False
) -> Granted[Measure]:
    """A measure and why the caller may reach it (``edit``: change it as an officer of its case).

    The readers of its case (``cases.access``) read it; the addressed platform reads it once issued; the
    oversight of the issuing jurisdiction reads its metadata. Anyone else gets NotFound (existence is not
    leaked); a reader asking to change it without being an editing officer of its case gets Forbidden.
    """
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise _not_found(measure_id)
    now = clock.now()
    case = session.get(Case, measure.case_id)
    grant = cases.grant_for(session, principal, case, at=now) if case is not None else None
    if grant is None and _addressee(principal, measure):
        grant = Grant(Basis.ADDRESSEE, measure.case_id, detail=principal.organisation_id)
    if grant is None and oversees(principal, measure.issuing_jurisdiction):
        grant = Grant(
            Basis.OVERSIGHT, measure.case_id, detail=measure.issuing_jurisdiction, sees_content=False
        )
    if grant is None:
        raise _not_found(measure_id)
    if edit and (principal.role is not Role.OFFICER or not grant.may_edit):
        raise Forbidden("only the officers who lead or investigate its case change a measure")
    return Granted(measure, grant)


def require_content(granted: Granted[Measure], what: str) -> None:
    """Refuse (403) oversight a part of a measure that carries content (its order names the target)."""
    if not granted.grant.sees_content:
        raise Forbidden(f"oversight reads a measure's metadata, not its {what}")


def get_measure(session: Session, *, clock: Clock, principal: Principal, measure_id: str) -> Measure:
    """The measure, if the caller may reach it (:func:`measure_access`)."""
    return measure_access(session, clock=clock, principal=principal, measure_id=measure_id).obj


def visible_measures(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    status: str | None = None,
    limit: int = 200,
) -> list[Granted[Measure]]:
    """The measures the caller may reach, newest first, each with its grant."""
    stmt = select(Measure)
    if status is not None:
        stmt = stmt.where(Measure.status == status)
    readable = [c.id for c in cases.readable_cases(session, principal=principal, at=clock.now())]
    conditions: list[ColumnElement[bool]] = [Measure.case_id.in_(readable)]
    if principal.role is Role.PLATFORM:
        conditions.append(
            (Measure.addressee_organisation == principal.organisation_id) & Measure.issued_at.is_not(None)
        )
    if oversees(principal, principal.jurisdiction):
        conditions.append(Measure.issuing_jurisdiction == principal.jurisdiction)
    stmt = stmt.where(or_(*conditions))
    rows = session.scalars(stmt.order_by(Measure.created_at.desc(), Measure.id.desc()).limit(limit)).all()
    out = []
    for measure in rows:
        try:
            out.append(measure_access(session, clock=clock, principal=principal, measure_id=measure.id))
        except NotFound:  # a membership that ended between the two reads
            continue
    return out


def list_measures(
    session: Session,
    *,
    clock: Clock,
    principal: Principal | None,
    status: str | None = None,
    limit: int = 200,
) -> Sequence[Measure]:
    """Measures the caller may see (every one for the node operator's CLI: ``principal=None``)."""
    if principal is not None:
        return [g.obj for g in visible_measures(session, clock=clock, principal=principal, status=status)]
    stmt = select(Measure)
    if status is not None:
        stmt = stmt.where(Measure.status == status)
    return session.scalars(stmt.order_by(Measure.created_at.desc(), Measure.id.desc()).limit(limit)).all()


def editable(session: Session, clock: Clock, principal: Principal, measure_id: str) -> Measure:
    """The measure, if the caller is an officer who may edit its case (lead or investigator)."""
    return measure_access(session, clock=clock, principal=principal, measure_id=measure_id, edit=True).obj

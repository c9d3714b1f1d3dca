"""Who may see and change a measure: case members (the cases capability's access check), judges and
oversight of the issuing jurisdiction, the addressed platform for its orders. Others get NotFound."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.cases import service as cases
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


def get_measure(session: Session, *, clock: Clock, principal: Principal, measure_id: str) -> Measure:
    """A measure the caller may see: case members, judges and oversight of the issuing jurisdiction,
    the addressed platform (its orders only). Anyone else gets NotFound (existence is not leaked)."""
    measure = session.get(Measure, measure_id)
    if measure is None:
        raise NotFound(f"no measure {measure_id[:60]!r}")
    role = principal.role
    if role is Role.PLATFORM:
        if measure.addressee_organisation != principal.organisation_id or measure.issued_at is None:
            raise NotFound(f"no measure {measure_id[:60]!r}")
    elif role in (Role.ADMINISTRATOR, Role.AUDITOR):
        pass
    elif role is Role.JUDGE:
        if principal.jurisdiction != measure.issuing_jurisdiction:
            raise NotFound(f"no measure {measure_id[:60]!r}")
    else:
        try:
            cases.require_member(session, principal, measure.case_id, at=clock.now())
        except NotFound:
            raise NotFound(f"no measure {measure_id[:60]!r}") from None
    return measure


def list_measures(
    session: Session,
    *,
    clock: Clock,
    principal: Principal | None,
    status: str | None = None,
    limit: int = 200,
) -> Sequence[Measure]:
    """Measures the caller may see (every one for the node operator's CLI: ``principal=None``)."""
    stmt = select(Measure)
    if status is not None:
        stmt = stmt.where(Measure.status == status)
    if principal is not None:
        if principal.role is Role.PLATFORM:
            stmt = stmt.where(
                Measure.addressee_organisation == principal.organisation_id, Measure.issued_at.is_not(None)
            )
        elif principal.role is Role.JUDGE:
            stmt = stmt.where(Measure.issuing_jurisdiction == principal.jurisdiction)
        elif principal.role is Role.OFFICER:
            visible = [c.id for c in cases.list_cases(session, principal=principal, at=clock.now())]
            stmt = stmt.where(Measure.case_id.in_(visible))
    return session.scalars(stmt.order_by(Measure.created_at.desc(), Measure.id.desc()).limit(limit)).all()


def editable(session: Session, clock: Clock, principal: Principal, measure_id: str) -> Measure:
    """The measure, if the caller is an officer who may edit its case (lead or investigator)."""
    measure = get_measure(session, clock=clock, principal=principal, measure_id=measure_id)
    if principal.role is not Role.OFFICER:
        raise Forbidden("only the case's officers change a measure")
    cases.require_editor(session, principal, measure.case_id, at=clock.now())
    return measure

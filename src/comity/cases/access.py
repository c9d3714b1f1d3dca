"""Who may read and who may change a case: the one access rule every case-bound object follows.

- **members** read the case within their membership period (``MEMBERSHIP``); its lead and investigators
  (``EDITING_ROLES``) change it;
- **judges** of the lead jurisdiction read it once something of it was submitted to judges
  (``SUBMISSION``): a registered "judicial submission" source says so (a measure beyond its draft, a
  request awaiting validation);
- **executing officers** of a mirror case (a case this node holds for a request received from a peer node)
  read it (``MIRROR``); nobody is a member of a mirror case, so nobody edits its content; they record the
  custody of what they collect to execute the request (``comity.custody.access``).

Everyone else gets :class:`NotFound`, so a case's existence is not leaked; a reader who may not change it
gets :class:`Forbidden`. Evidence, measures, orders, answers, notices and legal holds inherit this rule
through their own access functions, which start here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from comity.access import Basis, Grant, Granted
from comity.cases.model import EDITING_ROLES, Case, CaseMember, MemberRole, member_active
from comity.errors import Forbidden, NotFound
from comity.identity.principal import Principal
from comity.kinds import OrganisationKind, Role

#: ``(session, case_id) -> bool``: has anything of this case been submitted to judges?
JudicialSubmission = Callable[[Session, str], bool]
#: ``(session, case_id) -> ids``: what keeps this case from closing (e.g. requests still in flight).
CloseCheck = Callable[[Session, str], list[str]]
_JUDICIAL_SOURCES: list[JudicialSubmission] = []
_CLOSE_CHECKS: list[CloseCheck] = []


def register_judicial_submission_source(fn: JudicialSubmission) -> None:
    """Let a capability (requests, measures) say when a case was submitted to the lead's judges."""
    if fn not in _JUDICIAL_SOURCES:
        _JUDICIAL_SOURCES.append(fn)


def register_close_check(fn: CloseCheck) -> None:
    """Let a capability veto closing a case while its work is in flight (returns the blocking ids)."""
    if fn not in _CLOSE_CHECKS:
        _CLOSE_CHECKS.append(fn)


def close_checks() -> tuple[CloseCheck, ...]:
    """The registered close checks."""
    return tuple(_CLOSE_CHECKS)


def not_found(case_id: str) -> NotFound:
    """The one refusal for a case the caller may not know of."""
    return NotFound(f"no case {case_id[:60]}")


def active_membership(
    session: Session, principal: Principal, case_id: str, at: datetime
) -> CaseMember | None:
    """The caller's membership of the case in force at ``at`` (the most powerful one), if any."""
    if principal.node is not None:  # a peer node is never a member
        return None
    rows = session.scalars(
        select(CaseMember).where(CaseMember.case_id == case_id, CaseMember.user_id == principal.user_id)
    ).all()
    active = [m for m in rows if member_active(m, at)]
    active.sort(key=lambda m: m.role not in EDITING_ROLES)
    return active[0] if active else None


def submitted_to_judges(session: Session, case_id: str) -> bool:
    """Whether anything of the case was submitted to judges (any registered source says so)."""
    return any(source(session, case_id) for source in _JUDICIAL_SOURCES)


def _executes_a_mirrored_request(session: Session, principal: Principal, case_id: str) -> bool:
    """An officer of the executing state reads the mirror case of a request received from a peer node."""
    from comity.assistance_requests.model import AssistanceRequest  # requests build on cases

    if principal.role is not Role.OFFICER or principal.organisation_kind is not OrganisationKind.AUTHORITY:
        return False
    found = session.scalar(
        select(AssistanceRequest.id).where(
            AssistanceRequest.case_id == case_id,
            AssistanceRequest.mirror.is_(True),
            AssistanceRequest.to_state == principal.jurisdiction,
        )
    )
    return found is not None


def grant_for(session: Session, principal: Principal, case: Case, *, at: datetime) -> Grant | None:
    """The ground on which ``principal`` may read ``case`` at ``at``, or None."""
    member = active_membership(session, principal, case.id, at)
    if member is not None:
        return Grant(
            Basis.MEMBERSHIP,
            case.id,
            detail=member.role,
            may_edit=MemberRole(member.role) in EDITING_ROLES,
        )
    if principal.node is not None:
        return None
    if (
        principal.role is Role.JUDGE
        and principal.jurisdiction == case.lead_jurisdiction
        and submitted_to_judges(session, case.id)
    ):
        return Grant(Basis.SUBMISSION, case.id, detail=f"judge of {case.lead_jurisdiction}")
    if case.origin_node is not None and _executes_a_mirrored_request(session, principal, case.id):
        return Grant(Basis.MIRROR, case.id, detail=f"executing officer of {principal.jurisdiction}")
    return None


def case_access(
    session: Session, principal: Principal, case_id: str, *, at: datetime, edit: bool = False
) -> Granted[Case]:
    """The case and why ``principal`` may read it (``edit``: change it) at ``at``.

    :class:`NotFound` when they may not read it (or it does not exist); :class:`Forbidden` when they
    read it but ask to change it without being its lead or an investigator in period.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise not_found(case_id)
    grant = grant_for(session, principal, case, at=at)
    if grant is None:
        raise not_found(case_id)
    if edit and not grant.may_edit:
        raise Forbidden("only the case's lead and investigators may change it")
    return Granted(case, grant)


def readable_cases(session: Session, *, principal: Principal, at: datetime) -> list[Case]:
    """Every case ``principal`` may read at ``at``, newest first."""
    if principal.node is not None:
        return []
    member_of = select(CaseMember.case_id).where(CaseMember.user_id == principal.user_id)
    candidates: list[ColumnElement[bool]] = [Case.id.in_(member_of)]
    if principal.role is Role.JUDGE:
        candidates.append(Case.lead_jurisdiction == principal.jurisdiction)
    if principal.role is Role.OFFICER:
        candidates.append(Case.origin_node.is_not(None))
    stmt = select(Case).where(or_(*candidates)).order_by(Case.opened_at.desc(), Case.id.desc())
    return [case for case in session.scalars(stmt) if grant_for(session, principal, case, at=at) is not None]

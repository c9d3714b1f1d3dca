"""Case use cases: open, edit, close and reopen case files; who may see them. Keyword-only, no web objects.

Every use case runs in the caller's transaction and writes its audit event there (tags ``cases:case:*``,
subject ``case``/id); details hold ids and hashes, never a target's identifier.

Access: ``comity.cases.access`` (members within their period, judges of the lead jurisdiction once
something was submitted to them, executing officers of a mirror case); everyone else gets 404, so the
existence of a case is not leaked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from comity.agreements.service import current_context
from comity.audit import service as audit
from comity.audit.model import AuditEvent
from comity.cases import access
from comity.cases.model import (
    Case,
    CaseAction,
    CaseMember,
    CaseOffence,
    CaseStatus,
    JointTeam,
    MemberRole,
    next_case_status,
)
from comity.cases.schemas import CaseCreate, OffenceAdd
from comity.clock import Clock
from comity.errors import Conflict, FieldError, Forbidden, InvalidInput
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import Role

SUBJECT = "case"

# Registries and the access rule live in ``comity.cases.access``; re-exported for the capabilities that
# register with cases.
JudicialSubmission = access.JudicialSubmission
CloseCheck = access.CloseCheck
register_judicial_submission_source = access.register_judicial_submission_source
register_close_check = access.register_close_check
active_membership = access.active_membership


# --- access --------------------------------------------------------------------------------------


def _get(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise access.not_found(case_id)
    return case


def require_member(session: Session, principal: Principal, case_id: str, *, at: datetime) -> Case:
    """The case, if ``principal`` may read it at ``at`` (``cases.access.case_access``); else NotFound."""
    return access.case_access(session, principal, case_id, at=at).obj


def require_editor(session: Session, principal: Principal, case_id: str, *, at: datetime) -> Case:
    """The case, if ``principal`` may change it (lead or investigator in period); 404 or 403 otherwise."""
    return access.case_access(session, principal, case_id, at=at, edit=True).obj


def require_open(case: Case, action: CaseAction = CaseAction.EDIT) -> None:
    """Refuse (409) a change to a case that is not open."""
    next_case_status(case.id, case.status, action)


# --- opening and reading -------------------------------------------------------------------------


def open_case(session: Session, *, clock: Clock, principal: Principal, data: CaseCreate) -> Case:
    """Open a case led by the caller's jurisdiction; the caller becomes its lead member."""
    if principal.role is not Role.OFFICER:
        raise Forbidden("only officers open cases")
    now = clock.now()
    case = Case(
        id=new_id("case"),
        title=data.title,
        summary=data.summary,
        lead_jurisdiction=principal.jurisdiction,
        lead_organisation_id=principal.organisation_id,
        jurisdictional_links=sorted({link.value for link in data.jurisdictional_links}),
        status=CaseStatus.OPEN.value,
        opened_by=principal.actor,
        opened_at=now,
        closed_at=None,
        close_reason=None,
        reopen_count=0,
    )
    session.add(case)
    session.flush()
    lead = CaseMember(
        id=new_id("mem"),
        case_id=case.id,
        user_id=principal.user_id,
        role=MemberRole.LEAD.value,
        jurisdiction=principal.jurisdiction,
        starts_at=now,
        ends_at=None,
        team_id=None,
        undertaking_sha256=None,
        undertaking_signed_at=None,
        added_by=principal.actor,
        added_at=now,
    )
    session.add(lead)
    audit_case(
        session, clock, principal, case.id, "opened", links=case.jurisdictional_links, member_id=lead.id
    )
    return case


def list_cases(session: Session, *, principal: Principal, at: datetime) -> list[Case]:
    """Cases the caller may see at ``at``, newest first (``cases.access.readable_cases``)."""
    return access.readable_cases(session, principal=principal, at=at)


def all_cases(session: Session) -> Sequence[Case]:
    """Every case on this node, newest first (node operator's CLI; no content)."""
    return session.scalars(select(Case).order_by(Case.opened_at.desc(), Case.id.desc())).all()


def get_case(session: Session, case_id: str) -> Case:
    """A case by id without an access check (node operator's CLI and other services); 404 if unknown."""
    return _get(session, case_id)


def jurisdictions(session: Session, case: Case) -> list[str]:
    """The lead, every member's jurisdiction and every joint team's parties."""
    codes = {case.lead_jurisdiction}
    codes.update(session.scalars(select(CaseMember.jurisdiction).where(CaseMember.case_id == case.id)))
    for team in session.scalars(select(JointTeam).where(JointTeam.case_id == case.id)):
        codes.update(str(p) for p in team.parties)
    return sorted(codes)


def timeline(
    session: Session, case_id: str, *, extra_subjects: Sequence[tuple[str, str]] = ()
) -> list[AuditEvent]:
    """The case's history derived from the audit trail: its own events and those of ``extra_subjects``."""
    conditions = [(AuditEvent.subject_type == SUBJECT) & (AuditEvent.subject_id == case_id)]
    for subject_type, subject_id in extra_subjects:
        conditions.append((AuditEvent.subject_type == subject_type) & (AuditEvent.subject_id == subject_id))
    return list(session.scalars(select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.seq)))


# --- editing -------------------------------------------------------------------------------------


def add_offence(
    session: Session, *, clock: Clock, principal: Principal, case_id: str, data: OffenceAdd
) -> CaseOffence:
    """Charge an offence: a taxonomy code and a statute of the charging jurisdiction mapped onto it."""
    now = clock.now()
    case = require_editor(session, principal, case_id, at=now)
    require_open(case)
    context = current_context(session)
    if data.taxonomy_code not in context.offences:
        raise InvalidInput("unknown offence code", [FieldError("taxonomy_code", "not in the taxonomy")])
    code = data.jurisdiction or case.lead_jurisdiction
    profile = context.jurisdictions.get(code)
    statute = next((s for s in profile.statutes if s.id == data.statute), None) if profile else None
    if statute is None:
        raise InvalidInput("unknown statute", [FieldError("statute", f"not a statute of {code}")])
    if statute.offence != data.taxonomy_code:
        raise InvalidInput(
            "statute does not map onto the offence",
            [FieldError("statute", f"maps onto {statute.offence}, not {data.taxonomy_code}")],
        )
    offence = CaseOffence(
        id=new_id("off"),
        case_id=case.id,
        taxonomy_code=data.taxonomy_code,
        jurisdiction=code,
        statute=statute.id,
        added_by=principal.actor,
        added_at=now,
    )
    session.add(offence)
    audit_case(
        session, clock, principal, case.id, "offence_added", offence_id=offence.id, code=data.taxonomy_code
    )
    return offence


def close_case(session: Session, *, clock: Clock, principal: Principal, case_id: str, reason: str) -> Case:
    """Close an open case; refused (409) while requests or measures of it are still in flight."""
    now = clock.now()
    case = require_editor(session, principal, case_id, at=now)
    status = next_case_status(case.id, case.status, CaseAction.CLOSE)
    blocking = [item for check in access.close_checks() for item in check(session, case.id)]
    if blocking:
        raise Conflict(f"case {case.id} has work in flight: {', '.join(blocking[:10])}", blocking=blocking)
    case.status = status.value
    case.closed_at = now
    case.close_reason = reason
    audit_case(session, clock, principal, case.id, "closed")
    return case


def reopen_case(session: Session, *, clock: Clock, principal: Principal, case_id: str, reason: str) -> Case:
    """Reopen a closed case (new facts); only its lead or investigators, with a reason. Re-checks targets."""
    now = clock.now()
    case = require_editor(session, principal, case_id, at=now)
    case.status = next_case_status(case.id, case.status, CaseAction.REOPEN).value
    case.closed_at = None
    case.close_reason = None
    case.reopen_count += 1
    # The reason may name people: the trail keeps only its hash.
    reason_sha256 = hashlib.sha256(reason.encode()).hexdigest()
    audit_case(
        session,
        clock,
        principal,
        case.id,
        "reopened",
        reopen_count=case.reopen_count,
        reason_sha256=reason_sha256,
    )
    session.flush()
    from comity.cases.targets import check_coordination  # targets builds on this module

    check_coordination(session, clock=clock, case=case)
    return case


def audit_case(
    session: Session, clock: Clock, principal: Principal, case_id: str, action: str, **details: object
) -> None:
    """Write the audit event of a case change in the caller's transaction (ids and hashes only)."""
    audit.record(
        session,
        clock=clock,
        actor=principal.actor,
        tag=f"cases:case:{action}",
        subject_type=SUBJECT,
        subject_id=case_id,
        details=details,
    )

"""Members of case files and joint investigation teams (purpose, parties, period, extensions, secondees
with their confidentiality undertakings)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.agreements.service import current_context
from comity.cases.model import Case, CaseMember, JointTeam, MemberRole, check_period
from comity.cases.schemas import MemberAdd, SecondeeAdd, TeamCreate
from comity.cases.service import audit_case, require_editor, require_open
from comity.clock import Clock
from comity.errors import Conflict, FieldError, InvalidInput, NotFound
from comity.identity.model import Organisation, User
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import Role


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise NotFound(f"no active user {username[:80]}")
    return user


def _member_row(
    session: Session,
    clock: Clock,
    principal: Principal,
    case: Case,
    user: User,
    role: MemberRole,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> CaseMember:
    org = session.get(Organisation, user.organisation_id)
    assert org is not None  # users.organisation_id is a foreign key
    if Role(user.role) not in (Role.OFFICER, Role.JUDGE):
        raise InvalidInput(
            "not a case member", [FieldError("username", "only officers and judges join cases")]
        )
    if (role is MemberRole.JUDGE) != (Role(user.role) is Role.JUDGE):
        raise InvalidInput("role does not fit the user", [FieldError("role", "judges join as judge only")])
    now = clock.now()
    start = starts_at or now
    check_period(start, ends_at, path="ends_at")
    return CaseMember(
        id=new_id("mem"),
        case_id=case.id,
        user_id=user.id,
        role=role.value,
        jurisdiction=org.jurisdiction,
        starts_at=start,
        ends_at=ends_at,
        team_id=None,
        undertaking_sha256=None,
        undertaking_signed_at=None,
        added_by=principal.actor,
        added_at=now,
    )


def add_member(
    session: Session, *, clock: Clock, principal: Principal, case_id: str, data: MemberAdd
) -> CaseMember:
    """Add a member of the lead jurisdiction (others join as secondees of a joint team)."""
    case = require_editor(session, principal, case_id, at=clock.now())
    require_open(case)
    if data.role in (MemberRole.LEAD, MemberRole.SECONDED):
        raise InvalidInput(
            "role not assignable", [FieldError("role", "lead is the opener; secondees join a team")]
        )
    member = _member_row(
        session,
        clock,
        principal,
        case,
        _user(session, data.username),
        data.role,
        data.starts_at,
        data.ends_at,
    )
    if member.jurisdiction != case.lead_jurisdiction:
        raise InvalidInput(
            "member of another jurisdiction",
            [FieldError("username", "officers of other jurisdictions join as secondees of a joint team")],
        )
    session.add(member)
    audit_case(session, clock, principal, case.id, "member_added", member_id=member.id, role=member.role)
    return member


def create_team(
    session: Session, *, clock: Clock, principal: Principal, case_id: str, data: TeamCreate
) -> JointTeam:
    """Set up a joint investigation team: purpose, parties (the lead among them), limited period."""
    now = clock.now()
    case = require_editor(session, principal, case_id, at=now)
    require_open(case)
    parties = list(dict.fromkeys(data.parties))
    if case.lead_jurisdiction not in parties:
        raise InvalidInput(
            "lead not a party", [FieldError("parties", f"must include {case.lead_jurisdiction}")]
        )
    if len(parties) < 2:
        raise InvalidInput(
            "a joint team needs two parties", [FieldError("parties", "at least two jurisdictions")]
        )
    check_period(data.starts_at, data.ends_at, path="ends_at")
    if data.agreement_id is not None:
        known = {
            a.id for a in current_context(session).agreements if a.regime.value == "joint_investigation_team"
        }
        if data.agreement_id not in known:
            raise InvalidInput("unknown JIT agreement", [FieldError("agreement_id", "no such JIT agreement")])
    team = JointTeam(
        id=new_id("jit"),
        case_id=case.id,
        purpose=data.purpose,
        parties=[case.lead_jurisdiction, *sorted(p for p in parties if p != case.lead_jurisdiction)],
        agreement_id=data.agreement_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        extension_count=0,
        created_by=principal.actor,
        created_at=now,
    )
    session.add(team)
    audit_case(session, clock, principal, case.id, "team_created", team_id=team.id, parties=team.parties)
    return team


def _team(session: Session, case: Case, team_id: str) -> JointTeam:
    team = session.get(JointTeam, team_id)
    if team is None or team.case_id != case.id:
        raise NotFound(f"no joint team {team_id[:60]} in this case")
    return team


def extend_team(
    session: Session, *, clock: Clock, principal: Principal, case_id: str, team_id: str, ends_at: datetime
) -> JointTeam:
    """Extend a team's period by mutual consent (a later end; CoE 2nd Protocol Art. 20, JIT model App. II)."""
    now = clock.now()
    case = require_editor(session, principal, case_id, at=now)
    require_open(case)
    team = _team(session, case, team_id)
    if ends_at <= team.ends_at:
        raise InvalidInput("not an extension", [FieldError("ends_at", "must be after the current end")])
    if team.ends_at <= now:
        raise Conflict(f"joint team {team.id} ended at {team.ends_at.isoformat()}: set up a new one")
    team.ends_at = ends_at
    team.extension_count += 1
    audit_case(
        session, clock, principal, case.id, "team_extended", team_id=team.id, extension=team.extension_count
    )
    return team


def add_secondee(
    session: Session, *, clock: Clock, principal: Principal, case_id: str, team_id: str, data: SecondeeAdd
) -> CaseMember:
    """Second an officer of another party to the team; needs their signed confidentiality undertaking."""
    now = clock.now()
    case = require_editor(session, principal, case_id, at=now)
    require_open(case)
    team = _team(session, case, team_id)
    user = _user(session, data.username)
    start = data.starts_at or max(now, team.starts_at)
    end = min(data.ends_at or team.ends_at, team.ends_at)  # a secondment never outlasts the team
    member = _member_row(session, clock, principal, case, user, MemberRole.SECONDED, start, end)
    if member.jurisdiction == case.lead_jurisdiction or member.jurisdiction not in team.parties:
        raise InvalidInput(
            "secondee not from a seconding party",
            [FieldError("username", f"must be an officer of one of {', '.join(team.parties[1:])}")],
        )
    if data.undertaking_signed_at > now:
        raise InvalidInput(
            "undertaking not yet signed", [FieldError("undertaking_signed_at", "in the future")]
        )
    member.team_id = team.id
    member.undertaking_sha256 = data.undertaking_sha256
    member.undertaking_signed_at = data.undertaking_signed_at
    session.add(member)
    audit_case(
        session,
        clock,
        principal,
        case.id,
        "secondee_added",
        member_id=member.id,
        team_id=team.id,
        undertaking_sha256=data.undertaking_sha256,
    )
    return member

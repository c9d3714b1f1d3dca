"""Case files and joint investigation teams (C3): tables, enums and the DB-free rules that raise.

A case is owned by its lead jurisdiction; members (including officers seconded from other
jurisdictions under a joint investigation team) see its content only within their period. Target
identifiers are personal data: they live in ``case_targets.identifier`` with their data category and
never travel into audit details or logs; matching across cases uses a keyed hash of the normalised form.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base
from comity.errors import FieldError as _FieldError
from comity.errors import IllegalTransition, InvalidInput


class CaseStatus(StrEnum):
    """A case is open (worked on, holds its evidence) or closed."""

    OPEN = "open"
    CLOSED = "closed"


class CaseAction(StrEnum):
    """What may be done to a case; ``edit`` covers every change to its content."""

    CLOSE = "close"
    REOPEN = "reopen"
    EDIT = "edit"  # add offences, targets, members, teams


#: The case state machine: which action leads where from each status.
CASE_TRANSITIONS: dict[CaseStatus, dict[CaseAction, CaseStatus]] = {
    CaseStatus.OPEN: {
        CaseAction.CLOSE: CaseStatus.CLOSED,
        CaseAction.EDIT: CaseStatus.OPEN,
    },
    CaseStatus.CLOSED: {CaseAction.REOPEN: CaseStatus.OPEN},
}


class TargetKind(StrEnum):
    """What a target identifier names."""

    LISTING_URL = "listing_url"
    SELLER_ACCOUNT = "seller_account"
    DOMAIN = "domain"
    PAYMENT_ACCOUNT = "payment_account"
    WALLET = "wallet"


class JurisdictionalLink(StrEnum):
    """Why the lead jurisdiction claims the case (the connecting factor it relies on)."""

    OFFENCE_IN_TERRITORY = "offence_in_territory"
    VICTIMS_IN_TERRITORY = "victims_in_territory"
    TARGETING = "targeting"  # the offering is aimed at the territory
    NATIONALITY = "nationality"  # of the suspect
    RESIDENCE = "residence"  # of the suspect


class MemberRole(StrEnum):
    """A member's role in a case; only the lead and investigators change it."""

    LEAD = "lead"  # the officer who opened the case
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    SECONDED = "seconded"  # from another jurisdiction, under a joint investigation team
    JUDGE = "judge"  # a judge to whom the case is submitted (sees content, cannot edit)


#: Roles that may change the case file (add offences, targets, members, close, reopen).
EDITING_ROLES: frozenset[MemberRole] = frozenset({MemberRole.LEAD, MemberRole.INVESTIGATOR})


class Case(Base):
    """A case file. ``cases.id`` is the foreign key every other capability (measures, requests) uses."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    lead_jurisdiction: Mapped[str] = mapped_column(String(2), index=True)
    lead_organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    # The connecting factors the lead relies on, as JurisdictionalLink values.
    jurisdictional_links: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), index=True)  # CaseStatus
    opened_by: Mapped[str] = mapped_column(String(120))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(500))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Set on a case this node holds for a request received from that jurisdiction's node (a mirror).
    origin_node: Mapped[str | None] = mapped_column(String(2))


class CaseOffence(Base):
    """An offence charged in a case: taxonomy code and the statute of the charging jurisdiction."""

    __tablename__ = "case_offences"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    taxonomy_code: Mapped[str] = mapped_column(String(60))
    jurisdiction: Mapped[str] = mapped_column(String(2))  # whose statute is charged
    statute: Mapped[str] = mapped_column(String(200))  # the charged statute's reference
    added_by: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[datetime]


class CaseTarget(Base):
    """A target of a case; ``identifier`` is personal data of ``data_category``."""

    __tablename__ = "case_targets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # TargetKind
    identifier: Mapped[str] = mapped_column(String(500))  # personal data: never logged, never audited
    data_category: Mapped[str] = mapped_column(String(20))  # DataCategory
    # HMAC-SHA256 of kind + normalised identifier under the node's matching key: finds the same target
    # in other cases without comparing (or exposing) the identifiers themselves.
    identifier_hash: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str | None] = mapped_column(String(200))  # where the identifier lives, if known
    added_by: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[datetime]


class JointTeam(Base):
    """A joint investigation team attached to a case (Eurojust JIT model agreement, reference §5)."""

    __tablename__ = "joint_teams"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    parties: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ISO 3166 codes, lead first
    agreement_id: Mapped[str | None] = mapped_column(String(80))  # the JIT agreement's key, when one exists
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]


class CaseMember(Base):
    """A member of a case for a period; secondees carry their team and undertaking."""

    __tablename__ = "case_members"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # MemberRole
    jurisdiction: Mapped[str] = mapped_column(String(2))  # the member's own jurisdiction
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]  # None: until removed or the case closes
    team_id: Mapped[str | None] = mapped_column(ForeignKey("joint_teams.id"))  # secondees only
    # SHA-256 of the signed confidentiality undertaking (the document lives with the team's records).
    undertaking_sha256: Mapped[str | None] = mapped_column(String(64))
    undertaking_signed_at: Mapped[datetime | None]
    added_by: Mapped[str] = mapped_column(String(120))
    added_at: Mapped[datetime]

    __table_args__ = (Index("ix_case_members_case_user", "case_id", "user_id"),)


# --- DB-free rules -------------------------------------------------------------------------------


def next_case_status(case_id: str, current: str, action: CaseAction) -> CaseStatus:
    """The status after ``action``, or IllegalTransition naming the actions allowed from ``current``."""
    moves = CASE_TRANSITIONS[CaseStatus(current)]
    if action not in moves:
        raise IllegalTransition(f"case {case_id}", current, action.value, [a.value for a in moves])
    return moves[action]


def member_active(member: CaseMember, at: datetime) -> bool:
    """A member sees the case only within their period."""
    return member.starts_at <= at and (member.ends_at is None or at < member.ends_at)


def check_period(starts_at: datetime, ends_at: datetime | None, *, path: str) -> None:
    """Refuse a period that ends before it starts."""
    if ends_at is not None and ends_at <= starts_at:
        raise InvalidInput("period ends before it starts", [_FieldError(path, "must be after the start")])

"""Organisations, users and API tokens. Application roles and authority types are kept apart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base


class Organisation(Base):
    """An authority (with its authority type), a platform or an oversight body, of one jurisdiction."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # OrganisationKind
    jurisdiction: Mapped[str] = mapped_column(String(2), index=True)
    authority_type: Mapped[str | None] = mapped_column(String(30))  # AuthorityType, authorities only
    created_at: Mapped[datetime]
    #: This organisation runs the node: its administrators manage every organisation's users, the keys,
    #: the peers and the governance proposals (``comity orgs operator``). Other administrators manage only
    #: their own organisation's users.
    operates_node: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        CheckConstraint(
            "(kind = 'authority' AND authority_type IS NOT NULL) OR "
            "(kind <> 'authority' AND authority_type IS NULL)",
            name="authority_type_iff_authority",
        ),
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # Role
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored (tokens are 256-bit random, so a fast hash suffices)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

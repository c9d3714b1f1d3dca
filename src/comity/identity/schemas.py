"""JSON shapes of organisations, users and the caller."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from comity.kinds import AuthorityType, OrganisationKind, Role


class OrganisationCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    authority_type: AuthorityType | None = None


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: OrganisationKind
    jurisdiction: str
    authority_type: AuthorityType | None
    created_at: datetime
    operates_node: bool = False


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    role: Role
    organisation_id: str
    display_name: str | None = Field(default=None, max_length=200)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    username: str
    display_name: str
    role: Role
    organisation_id: str
    active: bool


class UserCreated(BaseModel):
    user: UserRead
    token: str = Field(description="shown once; only its hash is kept")


class WhoAmI(BaseModel):
    user_id: str
    username: str
    role: Role
    organisation_id: str
    organisation_kind: OrganisationKind
    jurisdiction: str
    authority_type: AuthorityType | None
    operates_node: bool = False

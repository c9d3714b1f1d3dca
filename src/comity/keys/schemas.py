"""Request and response bodies of the key registry API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from comity.kinds import AuthorityType
from comity.signing.keys import KeyPurpose, RevocationReason


class AnchorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jurisdiction: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2 code")


class AnchorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    keyid: str
    jurisdiction: str
    public_key: str = Field(description="base64 of the 32-byte Ed25519 public key")
    local: bool
    status: str
    created_at: datetime


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: KeyPurpose
    jurisdiction: str = Field(min_length=2, max_length=2)
    organisation: str | None = Field(default=None, max_length=40)
    authority_type: AuthorityType | None = None
    officer: str | None = Field(default=None, max_length=40, description="user id of the officer (no names)")
    valid_days: int = Field(default=365, ge=1, le=5 * 365)
    public_key: str | None = Field(
        default=None, description="base64 public key held by the holder; omit to generate it on this node"
    )
    label: str = Field(default="", max_length=120)


class KeyRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="published in the trust store")
    code: RevocationReason = RevocationReason.UNSPECIFIED
    revoked_at: datetime | None = Field(default=None, description="backdate to a suspected compromise")


class KeyRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_days: int = Field(default=7, ge=0, le=90)
    valid_days: int | None = Field(default=None, ge=1, le=5 * 365)
    public_key: str | None = None


class KeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    keyid: str
    anchor_keyid: str
    jurisdiction: str
    algorithm: str
    public_key: str
    purpose: str
    organisation: str | None
    authority_type: str | None
    officer: str | None
    label: str
    valid_from: datetime
    valid_until: datetime
    status: str
    replaces: str | None
    replaced_by: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    registered_at: datetime


class KeyDirectory(BaseModel):
    """The public directory of this node's registry."""

    anchors: list[AnchorRead]
    keys: list[KeyRead]

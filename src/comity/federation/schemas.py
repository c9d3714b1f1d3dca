"""Pydantic shapes of the federation administration API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PeerCreate(BaseModel):
    """A peer node to record (or update)."""

    model_config = ConfigDict(extra="forbid")

    jurisdiction: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2 code of the peer")
    base_url: str = Field(
        max_length=300, description="where the peer node serves, e.g. https://node.de.example"
    )
    name: str = Field(default="", max_length=120)
    agreements: list[str] = Field(default_factory=list, description="ids of the agreements in force with it")


class PeerRead(BaseModel):
    """A peer as recorded, with the anchors pinned by its last imported trust store."""

    model_config = ConfigDict(from_attributes=True)

    jurisdiction: str
    name: str
    base_url: str
    agreements: list[str]
    status: str
    added_at: datetime
    updated_at: datetime
    anchors: list[str] = Field(default_factory=list)
    trust_exported_at: datetime | None = None


class TrustImportRead(BaseModel):
    """One recorded import of a peer's trust store."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    jurisdiction: str
    anchors: str
    digest: str
    exported_at: datetime
    imported_at: datetime
    imported_by: str


class ReceivedRead(BaseModel):
    """A message received from a peer and how far its handling got (no body: it may hold personal data)."""

    model_config = ConfigDict(from_attributes=True)

    message_id: str
    digest: str
    sender: str
    kind: str
    agreement_id: str
    agreement_version: int
    tlp: str
    created_at: datetime
    expires_at: datetime
    received_at: datetime
    retrieved_at: datetime | None
    handling_attempts: int
    handling_error: str | None
    handling_failed_at: datetime | None

"""The key registry's tables: trust anchors, registered keys and the signed statements behind them.

The database holds public facts only. Private keys live in the keystore folder (``keystore.py``); the
signed statements are kept byte for byte and append-only (a revocation is a new statement, never an edit),
so the trust store exported later carries exactly what the anchor signed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from comity.db import Base
from comity.kinds import AuthorityType
from comity.signing.keys import Algorithm, Holder, KeyInfo, KeyPurpose, RevocationReason
from comity.signing.payload import b64decode_strict


class AnchorStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class KeyStatus(StrEnum):
    """Lifecycle of a registered key, as last decided; validity at an instant also depends on its period."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"  # rotated: valid until the cut-over recorded in revoked_at
    REVOKED = "revoked"


class StatementKind(StrEnum):
    REGISTRATION = "registration"
    REVOCATION = "revocation"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class TrustAnchor(Base):
    """A jurisdiction's root key: it signs every key statement of that jurisdiction."""

    __tablename__ = "trust_anchors"

    keyid: Mapped[str] = mapped_column(String(64), primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(2))
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the 32-byte Ed25519 key
    #: The private key is in this node's keystore (an anchor imported from a peer has only its public key).
    local: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(_in("status", AnchorStatus), name="status_known"),
        # One active local anchor per jurisdiction: statements must have one unambiguous signer.
        Index(
            "uq_trust_anchors_active_local",
            "jurisdiction",
            unique=True,
            sqlite_where=text("status = 'active' AND local"),
            postgresql_where=text("status = 'active' AND local"),
        ),
    )

    def to_key_info(self) -> KeyInfo:
        """The anchor as a verifier sees it: no validity bounds (pinning is its validity)."""
        return KeyInfo(
            keyid=self.keyid,
            algorithm=Algorithm.ED25519,
            public_key=b64decode_strict(self.public_key, field="public_key"),
            purpose=KeyPurpose.TRUST_ANCHOR,
            holder=Holder(jurisdiction=self.jurisdiction),
            anchor=None,
        )


class RegisteredKey(Base):
    """A key registered under an anchor, with its holder, validity period and (last) revocation."""

    __tablename__ = "registered_keys"

    keyid: Mapped[str] = mapped_column(String(64), primary_key=True)
    anchor_keyid: Mapped[str] = mapped_column(ForeignKey("trust_anchors.keyid"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(2))
    algorithm: Mapped[str] = mapped_column(String(10))
    public_key: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(30))
    organisation: Mapped[str | None] = mapped_column(String(40), index=True)
    authority_type: Mapped[str | None] = mapped_column(String(30))
    officer: Mapped[str | None] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(120), default="")
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    replaces: Mapped[str | None] = mapped_column(String(64))
    replaced_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(30))  # RevocationReason
    #: The private key is in this node's keystore (False: the holder keeps it, e.g. an officer's token).
    private_key_held: Mapped[bool] = mapped_column(Boolean)
    registered_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(_in("status", KeyStatus), name="status_known"),
        CheckConstraint(_in("purpose", KeyPurpose), name="purpose_known"),
        CheckConstraint(_in("algorithm", Algorithm), name="algorithm_known"),
        CheckConstraint(
            "(purpose = 'node_encryption' AND algorithm = 'x25519') OR "
            "(purpose <> 'node_encryption' AND algorithm = 'ed25519')",
            name="algorithm_fits_purpose",
        ),
        CheckConstraint("valid_until > valid_from", name="period_positive"),
        CheckConstraint("(status = 'active') OR (revoked_at IS NOT NULL)", name="ended_has_time"),
        Index("ix_registered_keys_holder", "jurisdiction", "purpose", "status"),
    )

    def to_key_info(self) -> KeyInfo:
        """The key as a verifier sees it."""
        return KeyInfo(
            keyid=self.keyid,
            algorithm=Algorithm(self.algorithm),
            public_key=b64decode_strict(self.public_key, field="public_key"),
            purpose=KeyPurpose(self.purpose),
            holder=self.holder,
            anchor=self.anchor_keyid,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            revoked_at=self.revoked_at,
            revocation_reason=RevocationReason(self.revocation_reason) if self.revocation_reason else None,
            replaced_by=self.replaced_by,
        )

    @property
    def holder(self) -> Holder:
        """Who holds the key, as registered."""
        return Holder(
            jurisdiction=self.jurisdiction,
            organisation=self.organisation,
            authority_type=AuthorityType(self.authority_type) if self.authority_type else None,
            officer=self.officer,
        )

    def effective_status(self, at: datetime) -> str:
        """``not_yet_valid``, ``valid``, ``expired``, ``superseded`` or ``revoked`` at ``at``."""
        if self.revoked_at is not None and at >= self.revoked_at:
            return "superseded" if self.revocation_reason == RevocationReason.SUPERSEDED else "revoked"
        if at < self.valid_from:
            return "not_yet_valid"
        if at >= self.valid_until:
            return "expired"
        return "valid"


class KeyStatement(Base):
    """One signed statement (registration or revocation) exactly as the anchor signed it. Append-only."""

    __tablename__ = "key_statements"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    keyid: Mapped[str] = mapped_column(ForeignKey("registered_keys.keyid"), index=True)
    anchor_keyid: Mapped[str] = mapped_column(ForeignKey("trust_anchors.keyid"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    envelope: Mapped[str] = mapped_column(Text)  # the envelope JSON, byte for byte as signed and exported
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the PAE of the statement
    issued_at: Mapped[datetime]

    __table_args__ = (CheckConstraint(_in("kind", StatementKind), name="kind_known"),)

"""Build trust store documents without a database, to test the loader on its own.

Importable as ``unit.keys.keys_support``. The assembly mirrors ``comity.keys.truststore.export_trust_store``;
the integration tests check the real export against the same loader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from comity.keys.statements import Manifest, ManifestEntry, Registration, Revocation, statement_digest
from comity.kinds import AuthorityType
from comity.signing.envelope import Envelope, PayloadType, sign
from comity.signing.keys import Ed25519Signer, Holder, KeyPurpose, RevocationReason
from comity.signing.payload import b64encode

T0 = datetime(2026, 3, 1, tzinfo=UTC)
EXPORTED = T0 + timedelta(days=30)


@dataclass
class StoreBuilder:
    exported_at: datetime = EXPORTED
    anchors: dict[str, Ed25519Signer] = field(default_factory=dict)
    #: (statement envelope, anchor jurisdiction whose manifest lists it)
    statements: list[tuple[Envelope, str]] = field(default_factory=list)

    def anchor(self, jurisdiction: str) -> Ed25519Signer:
        self.anchors[jurisdiction] = Ed25519Signer.generate()
        return self.anchors[jurisdiction]

    def register(
        self,
        jurisdiction: str = "IE",
        *,
        purpose: KeyPurpose = KeyPurpose.AUTHORITY_SIGNING,
        authority_type: AuthorityType | None = AuthorityType.JUDGE,
        valid_from: datetime = T0,
        valid_until: datetime = T0 + timedelta(days=365),
        signed_by: Ed25519Signer | None = None,
        listed_by: str | None = None,
    ) -> Ed25519Signer:
        """Register a new key of ``jurisdiction`` (signed by its anchor unless ``signed_by``)."""
        key = Ed25519Signer.generate()
        anchor = self.anchors[jurisdiction]
        registration = Registration(
            jurisdiction=jurisdiction,
            anchor=anchor.keyid,
            keyid=key.keyid,
            algorithm=purpose.algorithm,
            public_key=key.public_key,
            purpose=purpose,
            holder=Holder(jurisdiction=jurisdiction, organisation="org_1", authority_type=authority_type),
            valid_from=valid_from,
            valid_until=valid_until,
            issued_at=valid_from,
        )
        envelope = sign(registration.to_payload(), PayloadType.KEY_REGISTRATION, signed_by or anchor)
        self.statements.append((envelope, listed_by or jurisdiction))
        return key

    def revoke(
        self,
        key: Ed25519Signer,
        jurisdiction: str = "IE",
        *,
        at: datetime,
        reason: RevocationReason = RevocationReason.KEY_COMPROMISE,
        replaced_by: str | None = None,
    ) -> Envelope:
        anchor = self.anchors[jurisdiction]
        revocation = Revocation(
            jurisdiction=jurisdiction,
            anchor=anchor.keyid,
            keyid=key.keyid,
            revoked_at=at,
            reason=reason,
            comment="test",
            issued_at=at,
            replaced_by=replaced_by,
        )
        envelope = sign(revocation.to_payload(), PayloadType.KEY_REVOCATION, anchor)
        self.statements.append((envelope, jurisdiction))
        return envelope

    def document(self) -> dict[str, Any]:
        anchors = []
        for jurisdiction, signer in self.anchors.items():
            entries = [
                ManifestEntry(_keyid_of(env), env.payload_type, statement_digest(env))
                for env, listed in self.statements
                if listed == jurisdiction
            ]
            manifest = Manifest(jurisdiction, signer.keyid, self.exported_at, tuple(entries))
            anchors.append(
                {
                    "jurisdiction": jurisdiction,
                    "keyid": signer.keyid,
                    "public_key": b64encode(signer.public_key),
                    "manifest": sign(
                        manifest.to_payload(), PayloadType.TRUST_STORE_MANIFEST, signer
                    ).to_obj(),
                }
            )
        return {
            "format": "comity-trust-store/v1",
            "exported_at": self.exported_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "anchors": anchors,
            "keys": [
                e.to_obj() for e, _ in self.statements if e.payload_type == PayloadType.KEY_REGISTRATION
            ],
            "revocations": [
                e.to_obj() for e, _ in self.statements if e.payload_type == PayloadType.KEY_REVOCATION
            ],
        }


def _keyid_of(envelope: Envelope) -> str:
    keyid = json.loads(envelope.payload)["keyid"]
    assert isinstance(keyid, str)
    return keyid


def to_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()

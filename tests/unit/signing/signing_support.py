"""Key factories for signing tests: a signer and the KeyInfo a verifier would hold for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from comity.kinds import AuthorityType
from comity.signing.keys import Ed25519Signer, Holder, KeyInfo, KeyPurpose

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Pair:
    signer: Ed25519Signer
    info: KeyInfo

    @property
    def keyid(self) -> str:
        return self.signer.keyid


PairFactory = Callable[..., Pair]


def new_pair(
    purpose: KeyPurpose = KeyPurpose.AUTHORITY_SIGNING,
    *,
    jurisdiction: str = "IE",
    authority_type: AuthorityType | None = AuthorityType.JUDGE,
    **overrides: object,
) -> Pair:
    """A fresh key valid for a year from ``T0``; ``overrides`` replace KeyInfo fields."""
    signer = Ed25519Signer.generate()
    info = KeyInfo(
        keyid=signer.keyid,
        algorithm=purpose.algorithm,
        public_key=signer.public_key,
        purpose=purpose,
        holder=Holder(jurisdiction=jurisdiction, organisation="org_court", authority_type=authority_type),
        anchor="0" * 64,
        valid_from=T0,
        valid_until=T0 + timedelta(days=365),
    )
    return Pair(signer, replace(info, **overrides))  # type: ignore[arg-type]

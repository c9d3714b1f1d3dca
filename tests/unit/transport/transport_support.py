"""Two nodes (IE, FR) on an in-process network, with keys, an agreement and an egress gate.

Importable as ``unit.transport.transport_support``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import nacl.public

from comity.agreements.model import Agreement, DataCategoryTerms, NoticeRules, Party
from comity.clock import FixedClock
from comity.kinds import Counting, DataCategory, Regime
from comity.signing.keys import Algorithm, Ed25519Signer, Holder, KeyInfo, KeyPurpose, KeyRing, compute_keyid
from comity.transport.egress import EgressGate
from comity.transport.inprocess import Inbox, InProcessNetwork

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def agreement(agreement_id: str = "eev-ie-fr", *, parties: tuple[str, ...] = ("IE", "FR")) -> Agreement:
    return Agreement(
        id=agreement_id,
        version=1,
        regime=Regime.E_EVIDENCE,
        title="test agreement",
        parties=tuple(Party(code, code) for code in parties),
        offences=frozenset({"counterfeit_goods"}),
        permitted_measures={},
        data_categories={
            DataCategory.SUBSCRIBER: DataCategoryTerms(
                DataCategory.SUBSCRIBER,
                retention_days=90,
                fields=("email", "account_id", "country"),
                pseudonymous_fields=("email", "account_id"),
            ),
            DataCategory.IDENTIFICATION: DataCategoryTerms(DataCategory.IDENTIFICATION, 90, fields=("ip",)),
        },
        deadlines={},
        counting=Counting.REG_1182_71,
        notice=NoticeRules(),
        oversight_body="oversight",
        review_cadence_months=12,
        effective=date(2026, 1, 1),
        sunset=date(2027, 12, 31),
    )


class MemorySecrets:
    def __init__(self) -> None:
        self._secrets: dict[tuple[str, int], bytes] = {}

    def secret_for(self, agreement_id: str, version: int) -> bytes:
        return self._secrets.setdefault((agreement_id, version), secrets.token_bytes(32))


def node_key(
    jurisdiction: str, purpose: KeyPurpose = KeyPurpose.NODE_SIGNING
) -> tuple[Ed25519Signer, KeyInfo]:
    signer = Ed25519Signer.generate()
    info = KeyInfo(
        keyid=signer.keyid,
        algorithm=Algorithm.ED25519,
        public_key=signer.public_key,
        purpose=purpose,
        holder=Holder(jurisdiction=jurisdiction),
        anchor="0" * 64,
        valid_from=START - timedelta(days=1),
        valid_until=START + timedelta(days=365),
    )
    return signer, info


def encryption_key(jurisdiction: str) -> tuple[nacl.public.PrivateKey, KeyInfo]:
    private = nacl.public.PrivateKey.generate()
    public = bytes(private.public_key)
    info = KeyInfo(
        keyid=compute_keyid(Algorithm.X25519, public),
        algorithm=Algorithm.X25519,
        public_key=public,
        purpose=KeyPurpose.NODE_ENCRYPTION,
        holder=Holder(jurisdiction=jurisdiction),
        anchor="0" * 64,
        valid_from=START - timedelta(days=1),
        valid_until=START + timedelta(days=365),
    )
    return private, info


@dataclass
class Federation:
    clock: FixedClock = field(default_factory=lambda: FixedClock(START))
    network: InProcessNetwork = field(default_factory=InProcessNetwork)
    secrets: MemorySecrets = field(default_factory=MemorySecrets)

    def __post_init__(self) -> None:
        self.ie_signer, self.ie_key = node_key("IE")
        self.fr_signer, self.fr_key = node_key("FR")
        self.fr_private, self.fr_encryption = encryption_key("FR")
        self.keys = KeyRing([self.ie_key, self.fr_key, self.fr_encryption])
        self.fr_inbox = Inbox(
            node="FR",
            keys=self.keys,
            clock=self.clock,
            signer=self.fr_signer,
            decryption_keys={self.fr_encryption.keyid: self.fr_private},
        )
        self.ie_inbox = Inbox(node="IE", keys=self.keys, clock=self.clock, signer=self.ie_signer)
        self.network.attach(self.fr_inbox)
        self.network.attach(self.ie_inbox)
        self.ie_transport = self.network.transport("IE")
        self.fr_transport = self.network.transport("FR")
        self.gate = EgressGate(
            node="IE",
            signer=self.ie_signer,
            clock=self.clock,
            secrets=self.secrets,
            transport=self.ie_transport,
        )

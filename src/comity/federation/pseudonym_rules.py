"""The rules of shared pseudonym keys: constants, the steward, generations, fingerprints, subjects.

Pure functions, no database: see ``comity.federation.pseudonyms`` for what the keys are and how they
travel.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from comity.agreements.model import Agreement
from comity.federation.model import AgreementPseudonymKey
from comity.transport.egress import pseudonymise

#: Message type of a distributed key.
KIND = "pseudonym_key"
#: Name of the worker job that generates and distributes keys on the steward.
JOB = "federation.pseudonyms"
#: Outbox subject of a key's distribution; the subject id is ``pseudonym:<agreement>:<version>:<gen>:<peer>``.
SUBJECT_TYPE = "pseudonym_key"
#: The facts key carrying the (sealed) secret; not a personal-data key of the egress gate.
SEALED_FACT = "sealed_key"
SECRET_BYTES = 32  # HMAC-SHA-256 keys of the output length (RFC 2104)


def steward(agreement: Agreement) -> str:
    """The party that generates and distributes the keys of ``agreement``: its first jurisdiction, sorted."""
    return min(agreement.jurisdictions)


def fingerprint(secret: bytes) -> str:
    """How keys are named in messages, audit events and listings: ``sha256:<hex>`` (never the secret)."""
    return "sha256:" + hashlib.sha256(secret).hexdigest()


def newest_active(keys: Iterable[AgreementPseudonymKey]) -> AgreementPseudonymKey | None:
    """The generation the gate uses: the newest one not retired (None if every one is retired)."""
    active = [key for key in keys if key.retired_at is None]
    return max(active, key=lambda key: key.generation, default=None)


def next_generation(keys: Iterable[AgreementPseudonymKey]) -> int:
    """The number of the next generation: one past the newest ever held (1 for the first)."""
    return max((key.generation for key in keys), default=0) + 1


def all_pseudonyms(secrets: Sequence[bytes], value: str) -> list[str]:
    """The pseudonym of ``value`` under each secret, in the order given (newest generation first)."""
    return [pseudonymise(secret, value) for secret in secrets]


def subject_id(agreement_id: str, version: int, generation: int, peer: str) -> str:
    """The outbox subject of one distribution: one per agreement version, generation and peer."""
    return f"pseudonym:{agreement_id}:{version}:{generation}:{peer}"

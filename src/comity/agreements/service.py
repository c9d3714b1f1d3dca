"""Use cases for agreements and the vocabulary they rest on: what is in effect, reading versions, and
installing the bundled demo documents through the same governance path as any other change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from comity.agreements.loader import agreement_from_document, bundled_files
from comity.agreements.model import Agreement
from comity.clock import Clock
from comity.errors import FieldError, InvalidInput, NotFound
from comity.governance import context as governance_context
from comity.governance import service as governance
from comity.governance.model import DocumentKind, DocumentStatus, GovernedDocument
from comity.governance.validation import content_hash, key_of
from comity.policy.model import PolicyContext
from comity.vocabulary.documents import read_source
from comity.vocabulary.loader import bundled_jurisdiction_files, data_dir

#: Statuses of versions shown to the public: those that are or were in effect.
PUBLIC_STATUSES: frozenset[str] = frozenset({DocumentStatus.APPROVED.value, DocumentStatus.SUPERSEDED.value})


def current_context(session: Session) -> PolicyContext:
    """The policy context of this node: the latest approved taxonomy, profiles and agreements.

    Cached on the set of approved versions, so it is cheap to call per request and never stale.
    """
    return governance_context.current_context(session)


@dataclass(frozen=True, slots=True)
class AgreementVersions:
    """An agreement as in effect, its stored row, and the versions of it that were ever in effect."""

    agreement: Agreement
    row: GovernedDocument
    versions: Sequence[GovernedDocument]


def list_agreements(session: Session) -> list[Agreement]:
    """The agreements in effect (latest approved version of each), by id. Past sunset ones included."""
    return sorted(current_context(session).agreements, key=lambda a: a.id)


def public_versions(session: Session, agreement_id: str) -> list[GovernedDocument]:
    """The versions of an agreement that are or were in effect, oldest first."""
    rows = governance.versions(session, DocumentKind.AGREEMENT, agreement_id)
    return [row for row in rows if row.status in PUBLIC_STATUSES]


def get_agreement(session: Session, agreement_id: str) -> AgreementVersions:
    """The approved version of one agreement and its public version history, or :class:`NotFound`."""
    for agreement in current_context(session).agreements:
        if agreement.id == agreement_id:
            history = public_versions(session, agreement_id)
            row = next(r for r in history if r.version == agreement.version)
            return AgreementVersions(agreement=agreement, row=row, versions=history)
    raise NotFound(f"no agreement {agreement_id!r} in effect")


def get_agreement_version(
    session: Session, agreement_id: str, version: int
) -> tuple[Agreement, GovernedDocument]:
    """One version that is or was in effect (approved or superseded), or :class:`NotFound`."""
    row = governance.find_version(session, DocumentKind.AGREEMENT, agreement_id, version)
    if row is None or row.status not in PUBLIC_STATUSES:
        raise NotFound(f"no version {version} of agreement {agreement_id!r} was ever in effect")
    return agreement_from_document(row.content), row


def bundled_documents() -> list[tuple[DocumentKind, Path]]:
    """The bundled taxonomy, demo profiles and demo agreements, in the order they must be approved."""
    docs: list[tuple[DocumentKind, Path]] = [(DocumentKind.TAXONOMY, data_dir() / "taxonomy.yaml")]
    docs += [(DocumentKind.JURISDICTION, path) for path in bundled_jurisdiction_files()]
    docs += [(DocumentKind.AGREEMENT, path) for path in bundled_files("demo")]
    return docs


def install_bundled(session: Session, *, clock: Clock, proposer: str, approver: str) -> dict[str, int]:
    """Propose and approve the bundled documents as ``proposer`` and ``approver`` (actor strings).

    Idempotent: a document already on record with the same version and content is left alone, and so is
    one this node has moved past (a later version, or its own content under that version number).
    Returns counts: ``installed`` (proposed and approved now), ``unchanged``, ``kept`` (the node's own
    version was kept).
    """
    if proposer == approver:
        raise InvalidInput(
            "the approver of the bundled documents must differ from their proposer",
            [FieldError("approver", "must differ from proposer")],
        )
    counts = {"installed": 0, "unchanged": 0, "kept": 0}
    for kind, path in bundled_documents():
        data, origin = read_source(path, what=kind.value)
        try:
            key, version = key_of(kind, data), int(data["version"])
        except (KeyError, TypeError, ValueError) as exc:
            # A packaging bug: name the file and the missing field rather than fail obscurely.
            raise InvalidInput(f"{origin}: no id or version", [FieldError(str(exc), "required")]) from exc
        outcome = _install_one(
            session,
            clock=clock,
            kind=kind,
            key=key,
            version=version,
            data=data,
            proposer=proposer,
            approver=approver,
        )
        counts[outcome] += 1
    return counts


def _install_one(
    session: Session,
    *,
    clock: Clock,
    kind: DocumentKind,
    key: str,
    version: int,
    data: dict[str, Any],
    proposer: str,
    approver: str,
) -> str:
    existing = governance.find_version(session, kind, key, version)
    if existing is not None:
        if existing.content_sha256 != content_hash(data):
            return "kept"
        if existing.status == DocumentStatus.PROPOSED.value and existing.proposed_by != approver:
            governance.approve_as(session, clock=clock, document_id=existing.id, actor=approver)
            return "installed"
        return "unchanged" if existing.status != DocumentStatus.REJECTED.value else "kept"
    latest = governance.latest_version(session, kind, key)
    if latest is not None and latest > version:
        return "kept"
    row = governance.propose(session, clock=clock, actor=proposer, kind=kind, content=data)
    governance.approve_as(
        session, clock=clock, document_id=row.id, actor=approver, note="bundled demo document"
    )
    return "installed"

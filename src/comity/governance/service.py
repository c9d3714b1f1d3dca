"""Use cases of governance: propose a new version of a document, and approve or reject it as oversight.

Each use case runs in the caller's transaction and writes its audit events there. Only a member of an
oversight organisation (an auditor, or an administrator of that organisation) decides, and never on a
proposal they made themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.audit import service as audit
from comity.clock import Clock
from comity.errors import Conflict, Forbidden, NotFound
from comity.governance.context import current_context
from comity.governance.model import DocumentKind, DocumentStatus, GovernedDocument
from comity.governance.validation import CheckedDocument, check, invalid
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import OrganisationKind, Role
from comity.vocabulary.documents import Source, read_source

#: Roles that may decide on a proposal, within an oversight organisation.
DECIDING_ROLES: frozenset[Role] = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})

_SUBJECT = "governed_document"


def propose(
    session: Session, *, clock: Clock, actor: str, kind: DocumentKind, content: Source
) -> GovernedDocument:
    """Validate ``content`` (parsed data, YAML text, or a ``Path``) as a new version and store it as proposed.

    The version must be greater than every version of that document already on record; the content is
    checked against the vocabulary in effect. Nothing takes effect until oversight approves it.
    """
    data, origin = read_source(content, what=kind.value, str_paths=False)
    checked = check(kind, data, current_context(session), origin=origin)
    latest = latest_version(session, kind, checked.key)
    if latest is not None and checked.version <= latest:
        raise invalid(
            f"{kind.value} {checked.key} is already at version {latest}",
            "version",
            f"must be greater than {latest}, the latest version on record",
        )
    row = GovernedDocument(
        id=new_id("gdoc"),
        kind=kind.value,
        key=checked.key,
        version=checked.version,
        content=checked.content,
        content_sha256=checked.content_sha256,
        status=DocumentStatus.PROPOSED.value,
        proposed_by=actor,
        proposed_at=clock.now(),
        decision_note="",
    )
    session.add(row)
    session.flush()
    _audit(session, clock=clock, actor=actor, row=row, action="proposed")
    return row


def approve(
    session: Session,
    *,
    clock: Clock,
    document_id: str,
    approver: Principal,
    note: str = "",
    node_jurisdiction: str | None = None,
) -> GovernedDocument:
    """Record oversight's approval of a proposal: it takes effect and supersedes the version before it.

    With ``node_jurisdiction``, only the oversight of that jurisdiction decides (the API passes the node's).
    """
    _check_decider(approver, node_jurisdiction)
    return approve_as(session, clock=clock, document_id=document_id, actor=approver.actor, note=note)


def approve_as(
    session: Session, *, clock: Clock, document_id: str, actor: str, note: str = ""
) -> GovernedDocument:
    """Approve as a named actor whose oversight standing the caller has established (node set-up).

    Still refuses self-approval, illegal transitions and content no longer valid against what is in
    effect (the vocabulary may have changed since the proposal).
    """
    row = get(session, document_id)
    _check_not_proposer(row, actor)
    row.ensure_can(DocumentStatus.APPROVED)
    check(DocumentKind(row.kind), dict(row.content), current_context(session), origin=row.subject)
    current = approved_version(session, DocumentKind(row.kind), row.key)
    if current is not None and current.version >= row.version:
        raise Conflict(f"{row.subject}: version {current.version} is already approved")
    now = clock.now()
    for older in _older_versions(session, row):
        older.move_to(DocumentStatus.SUPERSEDED)
        older.superseded_at = now
        older.superseded_by = row.id
        _audit(session, clock=clock, actor=actor, row=older, action="superseded", by=row.id)
    row.move_to(DocumentStatus.APPROVED)
    row.decided_by = actor
    row.decided_at = now
    row.decision_note = note
    session.flush()
    _audit(session, clock=clock, actor=actor, row=row, action="approved")
    return row


def reject(
    session: Session,
    *,
    clock: Clock,
    document_id: str,
    decider: Principal,
    note: str,
    node_jurisdiction: str | None = None,
) -> GovernedDocument:
    """Record oversight's refusal of a proposal, with its reasons; the version never takes effect."""
    _check_decider(decider, node_jurisdiction)
    if not note.strip():
        raise invalid("a rejection states its reasons", "note", "required")
    row = get(session, document_id)
    _check_not_proposer(row, decider.actor)
    row.move_to(DocumentStatus.REJECTED)
    row.decided_by = decider.actor
    row.decided_at = clock.now()
    row.decision_note = note
    session.flush()
    _audit(session, clock=clock, actor=decider.actor, row=row, action="rejected")
    return row


def get(session: Session, document_id: str) -> GovernedDocument:
    """One version by id, or :class:`NotFound`."""
    row = session.get(GovernedDocument, document_id)
    if row is None:
        raise NotFound(f"no governed document {document_id!r}")
    return row


def list_documents(
    session: Session,
    *,
    kind: DocumentKind | None = None,
    key: str | None = None,
    status: DocumentStatus | None = None,
) -> Sequence[GovernedDocument]:
    """Versions on record, newest proposal first, optionally filtered."""
    stmt = select(GovernedDocument)
    if kind is not None:
        stmt = stmt.where(GovernedDocument.kind == kind.value)
    if key is not None:
        stmt = stmt.where(GovernedDocument.key == key)
    if status is not None:
        stmt = stmt.where(GovernedDocument.status == status.value)
    stmt = stmt.order_by(GovernedDocument.kind, GovernedDocument.key, GovernedDocument.version.desc())
    return session.scalars(stmt).all()


def versions(session: Session, kind: DocumentKind, key: str) -> Sequence[GovernedDocument]:
    """Every version of one document, oldest first."""
    stmt = (
        select(GovernedDocument)
        .where(GovernedDocument.kind == kind.value, GovernedDocument.key == key)
        .order_by(GovernedDocument.version)
    )
    return session.scalars(stmt).all()


def find_version(session: Session, kind: DocumentKind, key: str, version: int) -> GovernedDocument | None:
    """One version of one document, if on record."""
    stmt = select(GovernedDocument).where(
        GovernedDocument.kind == kind.value, GovernedDocument.key == key, GovernedDocument.version == version
    )
    return session.scalars(stmt).one_or_none()


def latest_version(session: Session, kind: DocumentKind, key: str) -> int | None:
    """The highest version number on record for a document, whatever its status."""
    stmt = select(func.max(GovernedDocument.version)).where(
        GovernedDocument.kind == kind.value, GovernedDocument.key == key
    )
    return session.scalar(stmt)


def approved_version(session: Session, kind: DocumentKind, key: str) -> GovernedDocument | None:
    """The version in effect, if any."""
    stmt = (
        select(GovernedDocument)
        .where(
            GovernedDocument.kind == kind.value,
            GovernedDocument.key == key,
            GovernedDocument.status == DocumentStatus.APPROVED.value,
        )
        .order_by(GovernedDocument.version.desc())
    )
    return session.scalars(stmt).first()


def checked_content(session: Session, kind: DocumentKind, content: Source) -> CheckedDocument:
    """Validate a document as :func:`propose` would, without storing anything (a dry run)."""
    data, origin = read_source(content, what=kind.value, str_paths=False)
    return check(kind, data, current_context(session), origin=origin)


def _older_versions(session: Session, row: GovernedDocument) -> Sequence[GovernedDocument]:
    """What an approval replaces: the version in effect, and pending proposals older than this one."""
    stmt = select(GovernedDocument).where(
        GovernedDocument.kind == row.kind,
        GovernedDocument.key == row.key,
        GovernedDocument.version < row.version,
        GovernedDocument.status.in_([DocumentStatus.APPROVED.value, DocumentStatus.PROPOSED.value]),
    )
    return session.scalars(stmt).all()


def _check_decider(principal: Principal, node_jurisdiction: str | None) -> None:
    if principal.organisation_kind is not OrganisationKind.OVERSIGHT:
        raise Forbidden("only a member of an oversight organisation may decide on a governed document")
    if node_jurisdiction is not None and principal.jurisdiction != node_jurisdiction:
        raise Forbidden(
            f"the governed documents of this node are decided by the oversight of {node_jurisdiction}"
        )
    if principal.role not in DECIDING_ROLES:
        names = ", ".join(sorted(r.value for r in DECIDING_ROLES))
        raise Forbidden(
            f"deciding on a governed document needs the role {names} in an oversight organisation"
        )


def _check_not_proposer(row: GovernedDocument, actor: str) -> None:
    if row.proposed_by == actor:
        raise Forbidden(f"{row.subject} was proposed by {actor}: the proposer may not decide on it")


def _audit(
    session: Session, *, clock: Clock, actor: str, row: GovernedDocument, action: str, by: str | None = None
) -> None:
    details: dict[str, object] = {
        "kind": row.kind,
        "key": row.key,
        "version": row.version,
        "content_sha256": row.content_sha256,
    }
    if by is not None:
        details["superseded_by"] = by
    audit.record(
        session,
        clock=clock,
        actor=actor,
        tag=f"governance:document:{action}",
        subject_type=_SUBJECT,
        subject_id=row.id,
        details=details,
    )

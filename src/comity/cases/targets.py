"""Targets of case files: identifiers kept as personal data, matched across cases by a keyed hash, and the
coordination alert when two jurisdictions' open cases share a target (ne bis in idem, duplicated effort)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.alerts.model import AlertAudience, AlertSeverity
from comity.alerts.service import raise_alert
from comity.cases.model import Case, CaseStatus, CaseTarget, TargetKind
from comity.cases.schemas import TargetAdd
from comity.cases.service import SUBJECT, audit_case, require_editor, require_open
from comity.clock import Clock
from comity.identity.principal import Principal
from comity.ids import new_id

_SPACES = re.compile(r"\s+")


def normalise_identifier(kind: TargetKind, identifier: str) -> str:
    """The form two cases must share to be "the same target" (case, spaces, scheme and trailing dots)."""
    value = _SPACES.sub("", unicodedata.normalize("NFKC", identifier)).casefold()
    if kind is TargetKind.DOMAIN:
        value = value.removeprefix("https://").removeprefix("http://").split("/")[0].rstrip(".")
    elif kind is TargetKind.LISTING_URL:
        value = value.removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")
    return value


def identifier_hash(key: bytes, kind: TargetKind, identifier: str) -> str:
    """HMAC-SHA-256 (RFC 2104) of the kind and normalised identifier under the node's matching key."""
    message = f"{kind.value}\x00{normalise_identifier(kind, identifier)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def add_target(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    case_id: str,
    data: TargetAdd,
    matching_key: bytes,
) -> CaseTarget:
    """Add a target; raise a coordination alert where another jurisdiction's open case has the same one."""
    now = clock.now()
    case = require_editor(session, principal, case_id, at=now)
    require_open(case)
    digest = identifier_hash(matching_key, data.kind, data.identifier)
    target = CaseTarget(
        id=new_id("tgt"),
        case_id=case.id,
        kind=data.kind.value,
        identifier=data.identifier.strip(),
        data_category=data.data_category.value,
        identifier_hash=digest,
        platform=data.platform,
        added_by=principal.actor,
        added_at=now,
    )
    session.add(target)
    audit_case(
        session, clock, principal, case.id, "target_added", target_id=target.id, identifier_hash=digest
    )
    session.flush()
    check_coordination(session, clock=clock, case=case)
    return target


def check_coordination(session: Session, *, clock: Clock, case: Case) -> int:
    """Alert both jurisdictions for each other jurisdiction's open case sharing a target; returns pairs."""
    if case.status != CaseStatus.OPEN.value:
        return 0
    mine = select(CaseTarget.identifier_hash).where(CaseTarget.case_id == case.id)
    rows = session.execute(
        select(Case.id, Case.lead_jurisdiction, CaseTarget.identifier_hash)
        .join(CaseTarget, CaseTarget.case_id == Case.id)
        .where(
            Case.status == CaseStatus.OPEN.value,
            Case.lead_jurisdiction != case.lead_jurisdiction,
            CaseTarget.identifier_hash.in_(mine),
        )
    ).all()
    pairs = {(other_id, other_j) for other_id, other_j, _ in rows}
    for other_id, other_j in sorted(pairs):
        first, second = sorted((case.id, other_id))
        shared = sorted({h for oid, _, h in rows if oid == other_id})
        for jurisdiction, subject in ((case.lead_jurisdiction, case.id), (other_j, other_id)):
            raise_alert(
                session,
                clock=clock,
                actor="system:node",
                kind="coordination_conflict",
                severity=AlertSeverity.WARNING,
                subject_type=SUBJECT,
                subject_id=subject,
                audience=AlertAudience.OFFICERS,
                jurisdiction=jurisdiction,
                message=(
                    f"open cases of {case.lead_jurisdiction} and {other_j} share {len(shared)} target(s): "
                    "coordinate (ne bis in idem, duplicated effort)"
                ),
                details={"cases": [first, second], "identifier_hashes": shared},
                dedup_key=f"coordination_conflict:{first}:{second}:{jurisdiction}",
            )
    return len(pairs)

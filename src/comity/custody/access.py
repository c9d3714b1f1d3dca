"""Who may reach an evidence item or a legal hold: the case's readers, within the custodians' rule.

Evidence follows its case (``comity.cases.access``):

- whoever may read the case reads its evidence (metadata, chain, content): members in their period, the
  judges it was submitted to, the executing officers of a mirror case;
- only those who may change the case record custody acts on it (upload, seal, transfer, retract, destroy):
  its lead and investigators, and the executing officers of a mirror case, who collect what they obtain to
  execute the request (nobody is a member of a mirror case);
- custody acts are signed by officers and judges of this node's jurisdiction (``actors.require_custodian``):
  a reader of another role or jurisdiction who may see the item gets 403.

Anyone who may not read the case gets 404 for its evidence and its holds, so their existence is not leaked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from comity.access import Basis, Grant, Granted
from comity.cases import access as cases
from comity.cases.model import Case, CaseStatus
from comity.custody.actors import require_custodian
from comity.custody.model import EvidenceItem, LegalHold
from comity.custody.states import CustodyAction
from comity.errors import Conflict, Forbidden, NotFound
from comity.identity.principal import Principal
from comity.kinds import Role


def _not_found(evidence_id: str) -> NotFound:
    return NotFound(f"no evidence {evidence_id[:80]!r}")


#: Custody acts a judge who reads the case records on its evidence: the court's own holding of an item
#: transferred to it (it receives and examines it, discloses it to the defence, returns it); collecting,
#: sealing, transferring on and destroying stay with the case's officers.
JUDGE_ACTS: frozenset[CustodyAction] = frozenset(
    {
        CustodyAction.RECEIVED,
        CustodyAction.ACCESSED,
        CustodyAction.ANALYSED,
        CustodyAction.DISCLOSED,
        CustodyAction.RETURNED,
    }
)


def may_record_custody(grant: Grant, principal: Principal, act: CustodyAction | None) -> bool:
    """Whether the grant lets ``principal`` record custody act ``act`` (None: any) on the case's evidence."""
    if grant.may_edit or grant.basis is Basis.MIRROR:
        return True
    return principal.role is Role.JUDGE and act in JUDGE_ACTS


def _require_writer(grant: Grant, principal: Principal, act: CustodyAction | None) -> None:
    if not may_record_custody(grant, principal, act):
        raise Forbidden("only the case's lead and investigators record this custody act on its evidence")


def evidence_access(
    session: Session,
    principal: Principal,
    evidence_id: str,
    *,
    at: datetime,
    write: bool = False,
    act: CustodyAction | None = None,
    lock: bool = False,
) -> Granted[EvidenceItem]:
    """The item and why ``principal`` may reach it (``write``: record custody act ``act``, None meaning
    any act of the case's officers: transfer, retraction, destruction; ``lock``: FOR UPDATE).

    404 unless the caller may read the item's case; 403 for a reader who is not a custodian of this node
    or, for ``write``, may not record that act.
    """
    item = session.get(EvidenceItem, evidence_id, with_for_update=lock or None)
    if item is None:
        raise _not_found(evidence_id)
    case = session.get(Case, item.case_id)
    grant = cases.grant_for(session, principal, case, at=at) if case is not None else None
    if grant is None:
        raise _not_found(evidence_id)
    require_custodian(principal, node_jurisdiction=item.jurisdiction)
    if write:
        _require_writer(grant, principal, act)
    return Granted(item, grant)


def case_for_evidence(
    session: Session, principal: Principal, case_id: str, *, at: datetime, write: bool
) -> Granted[Case]:
    """The case whose evidence is listed (``write``: added to), 404 unless the caller may read it.

    Evidence is added only to an open case (409 otherwise): a closed case holds what it has.
    """
    granted = cases.case_access(session, principal, case_id, at=at)
    if write:
        _require_writer(granted.grant, principal, CustodyAction.COLLECTED)
        if granted.obj.status != CaseStatus.OPEN.value:
            raise Conflict(f"case {granted.obj.id} is {granted.obj.status}: evidence is added to open cases")
    return granted


def _node_administrator(principal: Principal, node_jurisdiction: str) -> bool:
    return (
        principal.role is Role.ADMINISTRATOR
        and principal.operates_node
        and principal.jurisdiction == node_jurisdiction
    )


def hold_target_access(
    session: Session,
    principal: Principal,
    *,
    at: datetime,
    node_jurisdiction: str,
    evidence_id: str | None,
    case_id: str | None,
) -> Grant:
    """Why ``principal`` may place or release a hold on this item or case (404 if it is not to be known).

    Judges who may read the case (as a member or once it was submitted to them) and the administrators
    of the organisation running this node place holds; a judge of another jurisdiction gets 403.
    """
    if case_id is None and evidence_id is not None:
        item = session.get(EvidenceItem, evidence_id)
        if item is None:
            raise _not_found(evidence_id)
        case_id = item.case_id
    if case_id is None:
        raise NotFound("a legal hold names an item or a case")
    if _node_administrator(principal, node_jurisdiction):
        if session.get(Case, case_id) is None:
            raise cases.not_found(case_id)
        return Grant(Basis.NODE_ADMINISTRATION, case_id, detail="legal hold")
    try:
        granted = cases.case_access(session, principal, case_id, at=at)
    except NotFound:
        if evidence_id is not None:
            raise _not_found(evidence_id) from None
        raise
    if principal.role is not Role.JUDGE or principal.jurisdiction != node_jurisdiction:
        raise Forbidden(
            f"legal holds are placed by judges of {node_jurisdiction} and the node's administrators"
        )
    return granted.grant


def hold_access(
    session: Session, principal: Principal, hold_id: str, *, at: datetime, node_jurisdiction: str, lock: bool
) -> Granted[LegalHold]:
    """A hold and why ``principal`` may release it (404 unless they may place holds on its target)."""
    hold = session.get(LegalHold, hold_id, with_for_update=lock or None)
    if hold is None:
        raise NotFound(f"no legal hold {hold_id[:80]!r}")
    try:
        grant = hold_target_access(
            session,
            principal,
            at=at,
            node_jurisdiction=node_jurisdiction,
            evidence_id=hold.evidence_id,
            case_id=hold.case_id,
        )
    except NotFound:
        raise NotFound(f"no legal hold {hold_id[:80]!r}") from None
    return Granted(hold, grant)


def holds_visible_to(
    session: Session, principal: Principal, holds: list[LegalHold], *, at: datetime, node_jurisdiction: str
) -> list[LegalHold]:
    """The holds whose case ``principal`` may read (every hold for the node's administrators)."""
    if _node_administrator(principal, node_jurisdiction):
        return holds
    readable: dict[str, bool] = {}
    visible = []
    for hold in holds:
        case_id = hold.case_id
        if case_id is None:
            item = session.get(EvidenceItem, hold.evidence_id) if hold.evidence_id else None
            case_id = item.case_id if item is not None else None
        if case_id is None:
            continue
        if case_id not in readable:
            case = session.get(Case, case_id)
            grant = cases.grant_for(session, principal, case, at=at) if case is not None else None
            readable[case_id] = grant is not None
        if readable[case_id]:
            visible.append(hold)
    return visible

"""Who may see a request and who may take each step of it.

- the issuing side: members of the request's case (``cases.service.require_member``; editors act);
- validators: judges, and officers of a prosecutor's office, of the issuing state, once the request left
  the draft (they are never its author: nobody validates their own request);
- the executing state: its officers, once the request was transmitted;
- the addressee: users of the addressee organisation (a platform), once transmitted; where a request names
  no addressee (mutual legal assistance, freezing, Budapest), the executing state's officers answer for it.

A request federated with a peer node (``federated_with``) has its two sides on two nodes. Each node's users
take only the actions of the side it hosts (the issuing node: issuing and validator actions; the mirror on
the executing node: executing and addressee actions); the peer node, acting through a verified federation
message (a principal whose ``node`` is set), takes exactly the actions of the side it hosts, on that
request only. A peer principal sees nothing else: every other request is 404 to it.

Anyone else gets 404, so a request's existence is not leaked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from comity.access import Basis, Grant, Granted
from comity.assistance_requests.model import (
    ADDRESSEE_ACTIONS,
    EXECUTING_ACTIONS,
    ISSUING_ACTIONS,
    VALIDATOR_ACTIONS,
    Action,
    AssistanceRequest,
    Status,
)
from comity.cases import access as cases
from comity.cases.model import Case
from comity.errors import Forbidden, NotFound
from comity.identity.principal import Principal
from comity.kinds import AuthorityType, Role

#: Authority types that may validate (the engine still decides whether this one suffices for the regime).
VALIDATING_AUTHORITIES = frozenset(
    {AuthorityType.PROSECUTOR, AuthorityType.JUDGE, AuthorityType.COURT, AuthorityType.INVESTIGATING_JUDGE}
)


#: The actions of each side of a federated request.
ISSUING_SIDE: frozenset[Action] = ISSUING_ACTIONS | VALIDATOR_ACTIONS
EXECUTING_SIDE: frozenset[Action] = EXECUTING_ACTIONS | ADDRESSEE_ACTIONS


def peer_side_actions(request: AssistanceRequest) -> frozenset[Action]:
    """The actions the peer node takes on a federated request (none on a request kept on this node)."""
    if request.federated_with is None:
        return frozenset()
    return ISSUING_SIDE if request.mirror else EXECUTING_SIDE


def local_side_actions(request: AssistanceRequest) -> frozenset[Action]:
    """The actions this node's users may take (every action, unless the request is federated)."""
    return frozenset(Action) - peer_side_actions(request)


def is_peer_of(principal: Principal, request: AssistanceRequest) -> bool:
    """``principal`` is the peer node holding the other side of this federated request."""
    if principal.node is None or request.federated_with is None or principal.node != request.federated_with:
        return False
    other_side = request.from_state if request.mirror else request.to_state
    return principal.node == other_side


def is_validator(principal: Principal, request: AssistanceRequest) -> bool:
    """A judge or prosecutor of the issuing state (never the request's author)."""
    return (
        principal.jurisdiction == request.from_state
        and principal.role in (Role.JUDGE, Role.OFFICER)
        and principal.authority_type in VALIDATING_AUTHORITIES
        and principal.actor != request.created_by
    )


def is_executing(principal: Principal, request: AssistanceRequest) -> bool:
    """An officer of the executing state, once the request reached it."""
    return (
        principal.role is Role.OFFICER
        and principal.jurisdiction == request.to_state
        and request.transmitted_at is not None
    )


def is_addressee(principal: Principal, request: AssistanceRequest) -> bool:
    """The addressee organisation's users, or the executing state where no addressee is named."""
    if request.transmitted_at is None:
        return False
    if request.addressee_organisation_id is None:
        return is_executing(principal, request)
    return principal.organisation_id == request.addressee_organisation_id


def _case_grant(
    session: Session, principal: Principal, request: AssistanceRequest, at: datetime
) -> Grant | None:
    """The caller's grant on the request's case (``comity.cases.access``), if any."""
    case = session.get(Case, request.case_id)
    return cases.grant_for(session, principal, case, at=at) if case is not None else None


def grant_for(
    session: Session, principal: Principal, request: AssistanceRequest, at: datetime
) -> Grant | None:
    """The ground on which ``principal`` may read ``request`` at ``at``, or None."""
    if principal.node is not None:  # a peer node sees the requests it shares with this node, nothing else
        if is_peer_of(principal, request):
            return Grant(Basis.PEER_NODE, request.case_id, detail=principal.node)
        return None
    grant = _case_grant(session, principal, request, at)
    if grant is not None:
        return grant
    if is_validator(principal, request) and request.status != Status.DRAFT.value:
        return Grant(Basis.VALIDATION, request.case_id, detail=request.id)
    if is_executing(principal, request):
        return Grant(Basis.EXECUTION, request.case_id, detail=request.id)
    if is_addressee(principal, request):
        return Grant(Basis.ADDRESSEE, request.case_id, detail=request.id)
    return None


def can_see(session: Session, principal: Principal, request: AssistanceRequest, at: datetime) -> bool:
    """Whether ``principal`` may read ``request`` at ``at``."""
    return grant_for(session, principal, request, at) is not None


def request_access(
    session: Session, principal: Principal, request_id: str, *, at: datetime
) -> Granted[AssistanceRequest]:
    """The request and why ``principal`` may read it at ``at``; NotFound otherwise (no leak)."""
    request = session.get(AssistanceRequest, request_id)
    if request is None:
        raise NotFound(f"no request {request_id[:60]}")
    grant = grant_for(session, principal, request, at)
    if grant is None:
        raise NotFound(f"no request {request_id[:60]}")
    return Granted(request, grant)


def check_actor(
    session: Session, principal: Principal, request: AssistanceRequest, action: Action, at: datetime
) -> None:
    """Refuse (404 when they may not even see it, else 403) a caller who may not take ``action``."""
    if not can_see(session, principal, request, at):
        raise NotFound(f"no request {request.id}")
    if principal.node is not None:
        if action not in peer_side_actions(request):
            raise Forbidden(f"the node of {principal.node} may not {action.value} request {request.id}")
        return
    if action not in local_side_actions(request):
        raise Forbidden(
            f"{action.value} is taken on the node of {request.federated_with}, which holds that side of "
            f"request {request.id}"
        )
    if action in ISSUING_ACTIONS:
        try:
            cases.case_access(session, principal, request.case_id, at=at, edit=True)
        except (NotFound, Forbidden):
            # They see the request (executing state, addressee, validator) but are not on the case.
            raise Forbidden(f"only the issuing case's lead and investigators may {action.value}") from None
        return
    if action in VALIDATOR_ACTIONS:
        if not is_validator(principal, request):
            raise Forbidden(
                f"only a judge or prosecutor of {request.from_state}, other than the request's author, may "
                f"{action.value} it"
            )
        return
    if action in EXECUTING_ACTIONS:
        if not is_executing(principal, request):
            raise Forbidden(f"only officers of the executing state {request.to_state} may {action.value}")
        return
    if action in ADDRESSEE_ACTIONS:
        if not is_addressee(principal, request):
            raise Forbidden(f"only the addressee of the request may {action.value}")
        return
    raise Forbidden(f"{action.value} is taken by the node itself")

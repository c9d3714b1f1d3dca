"""Who may see a request and who may take each step of it.

- the issuing side: members of the request's case (``cases.service.require_member``; editors act);
- validators: judges, and officers of a prosecutor's office, of the issuing state, once the request left
  the draft (they are never its author: nobody validates their own request);
- the executing state: its officers, once the request was transmitted;
- the addressee: users of the addressee organisation (a platform), once transmitted; where a request names
  no addressee (mutual legal assistance, freezing, Budapest), the executing state's officers answer for it.

Anyone else gets 404, so a request's existence is not leaked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from comity.assistance_requests.model import (
    ADDRESSEE_ACTIONS,
    EXECUTING_ACTIONS,
    ISSUING_ACTIONS,
    VALIDATOR_ACTIONS,
    Action,
    AssistanceRequest,
    Status,
)
from comity.cases import service as cases
from comity.errors import Forbidden, NotFound
from comity.identity.principal import Principal
from comity.kinds import AuthorityType, Role

#: Authority types that may validate (the engine still decides whether this one suffices for the regime).
VALIDATING_AUTHORITIES = frozenset(
    {AuthorityType.PROSECUTOR, AuthorityType.JUDGE, AuthorityType.COURT, AuthorityType.INVESTIGATING_JUDGE}
)


def _is_member(session: Session, principal: Principal, request: AssistanceRequest, at: datetime) -> bool:
    try:
        cases.require_member(session, principal, request.case_id, at=at)
    except NotFound:
        return False
    return True


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


def can_see(session: Session, principal: Principal, request: AssistanceRequest, at: datetime) -> bool:
    """Whether ``principal`` may read ``request`` at ``at``."""
    if _is_member(session, principal, request, at):
        return True
    if is_validator(principal, request) and request.status != Status.DRAFT.value:
        return True
    return is_executing(principal, request) or is_addressee(principal, request)


def check_actor(
    session: Session, principal: Principal, request: AssistanceRequest, action: Action, at: datetime
) -> None:
    """Refuse (404 when they may not even see it, else 403) a caller who may not take ``action``."""
    if not can_see(session, principal, request, at):
        raise NotFound(f"no request {request.id}")
    if action in ISSUING_ACTIONS:
        try:
            cases.require_editor(session, principal, request.case_id, at=at)
        except NotFound:
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

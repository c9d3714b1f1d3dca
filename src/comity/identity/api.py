"""Identity API: who am I, organisations and users (administrators)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, status

from comity.identity import service
from comity.identity.principal import Principal
from comity.identity.schemas import (
    OrganisationCreate,
    OrganisationRead,
    UserCreate,
    UserCreated,
    UserRead,
    WhoAmI,
)
from comity.kinds import Role
from comity.web.container import Container
from comity.web.deps import get_container, require

router = APIRouter(tags=["identity"])


@router.get("/me", response_model=WhoAmI)
def whoami(principal: Principal = Depends(require())) -> WhoAmI:
    """The caller: user, role, organisation, jurisdiction and authority type."""
    return WhoAmI(**asdict(principal))


@router.get("/organisations", response_model=list[OrganisationRead])
def list_organisations(
    _: Principal = Depends(require()), container: Container = Depends(get_container)
) -> list[OrganisationRead]:
    """Organisations known to this node."""
    with container.transaction() as session:
        return [OrganisationRead.model_validate(o) for o in service.list_organisations(session)]


@router.post("/organisations", response_model=OrganisationRead, status_code=status.HTTP_201_CREATED)
def create_organisation(
    body: OrganisationCreate,
    principal: Principal = Depends(require(Role.ADMINISTRATOR)),
    container: Container = Depends(get_container),
) -> OrganisationRead:
    """Register an authority (with its authority type), a platform or an oversight body.

    Only the administrators of the organisation that runs the node register organisations.
    """
    with container.transaction() as session:
        org = service.create_organisation_as(
            session,
            clock=container.clock,
            principal=principal,
            name=body.name,
            kind=body.kind,
            jurisdiction=body.jurisdiction,
            authority_type=body.authority_type,
        )
        return OrganisationRead.model_validate(org)


@router.post("/users", response_model=UserCreated, status_code=status.HTTP_201_CREATED)
def create_user(
    body: UserCreate,
    principal: Principal = Depends(require(Role.ADMINISTRATOR)),
    container: Container = Depends(get_container),
) -> UserCreated:
    """Create a user; the response carries its first token, once.

    The node's administrators create users in any organisation, other administrators in their own.
    """
    with container.transaction() as session:
        issued = service.add_user_as(
            session,
            clock=container.clock,
            principal=principal,
            username=body.username,
            role=body.role,
            organisation_id=body.organisation_id,
            display_name=body.display_name,
        )
        return UserCreated(user=UserRead.model_validate(issued.user), token=issued.token)

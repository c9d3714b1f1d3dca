"""Request dependencies: the node container and authentication/authorisation.

Every route under ``/api/v1`` declares who may call it: ``Depends(require(Role.X, ...))`` or, for open
data, ``Depends(public)``. A test walks the app and fails on any route that declares neither.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from comity.errors import Forbidden, Unauthenticated
from comity.identity import service as identity
from comity.identity.principal import Principal
from comity.kinds import Role
from comity.web.container import Container

_bearer = HTTPBearer(auto_error=False, description="Comity API token (comity users add ... --json)")


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def public() -> None:
    """Marks a route as open to anyone (public pages and open data)."""


def authenticated(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    container: Container = Depends(get_container),
) -> Principal:
    """The caller behind the bearer token, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("a bearer token is required")
    with container.transaction() as session:
        return identity.authenticate(session, credentials.credentials)


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only callers with one of ``roles`` (any authenticated role if none)."""
    allowed = frozenset(roles)

    def _check(principal: Principal = Depends(authenticated)) -> Principal:
        if allowed and principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"this action needs the role {names}; you are {principal.role.value}")
        return principal

    _check.__name__ = "require_" + "_".join(sorted(r.value for r in allowed)) if allowed else "require_any"
    _check.comity_roles = allowed  # type: ignore[attr-defined]
    return _check


def node_administrator(principal: Principal = Depends(require(Role.ADMINISTRATOR))) -> Principal:
    """An administrator of the organisation that runs this node (users, keys, peers, governance)."""
    identity.require_node_administrator(principal)
    return principal

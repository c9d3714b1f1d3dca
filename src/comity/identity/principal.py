"""The authenticated caller, as every service and route sees it."""

from __future__ import annotations

from dataclasses import dataclass

from comity.kinds import AuthorityType, OrganisationKind, Role


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    username: str
    role: Role
    organisation_id: str
    organisation_kind: OrganisationKind
    jurisdiction: str
    authority_type: AuthorityType | None
    #: Set only for a peer node acting through a verified federation message (``federation.dispatch``).
    node: str | None = None

    @property
    def actor(self) -> str:
        """How audit events name this caller."""
        return f"node:{self.node}" if self.node else f"user:{self.username}"


#: The actor name of the node itself (worker, migrations, demo set-up).
SYSTEM_ACTOR = "system:node"

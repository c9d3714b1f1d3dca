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
    #: The caller's organisation runs this node (its administrators administer the node itself).
    operates_node: bool = False
    #: Set only for a peer node acting through a verified federation message (``federation.dispatch``).
    node: str | None = None

    @property
    def administers_node(self) -> bool:
        """An administrator of the organisation that runs this node (users, keys, peers, governance)."""
        return self.role is Role.ADMINISTRATOR and self.operates_node and self.node is None

    @property
    def actor(self) -> str:
        """How audit events name this caller."""
        return f"node:{self.node}" if self.node else f"user:{self.username}"


#: The actor name of the node itself (worker, migrations, demo set-up).
SYSTEM_ACTOR = "system:node"

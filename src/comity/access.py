"""Why a caller may reach an object: the shared result of every access function.

Access follows the case (DESIGN §3): every object that belongs to a case (evidence, measures, orders,
answers, notices, requests, legal holds) is reached through one access function per kind, used by every
route and page. Each returns the object together with a :class:`Grant` that says on what basis it was
granted (membership of the case, a submission to judges, the execution of a mirrored request, the
addressee of an order, oversight of the jurisdiction...), so the audit entry of a read of personal data can
record the basis in the same transaction.

A caller who may not know an object exists gets :class:`~comity.errors.NotFound`; a caller who may see it
but not do what they ask gets :class:`~comity.errors.Forbidden`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from comity.identity.principal import Principal
from comity.kinds import OrganisationKind, Role

T = TypeVar("T")


class Basis(StrEnum):
    """On what ground access was granted (recorded with reads of personal data)."""

    MEMBERSHIP = "membership"  # a member of the case within their period
    SUBMISSION = "submission"  # a judge of the lead jurisdiction, once something was submitted to judges
    MIRROR = "mirror"  # an officer of the executing state reading the mirror case of a received request
    VALIDATION = "validation"  # a judge or prosecutor validating a request of their state
    EXECUTION = "execution"  # an officer of the executing state of a transmitted request
    ADDRESSEE = "addressee"  # the organisation an order or request is addressed to
    OVERSIGHT = "oversight"  # an auditor or administrator of the object's own jurisdiction: metadata only
    PEER_NODE = "peer_node"  # the peer node holding the other side of a federated request
    NODE_ADMINISTRATION = "node_administration"  # an administrator of the organisation running this node


@dataclass(frozen=True, slots=True)
class Grant:
    """Why access was granted, and what it allows.

    ``detail`` names the particular ground (the member role, the request id); ``may_edit`` says whether
    the caller may change the object's case content; ``sees_content`` is False for oversight, which reads
    metadata but never target identifiers, free text or evidence content.
    """

    basis: Basis
    case_id: str | None
    detail: str = ""
    may_edit: bool = False
    sees_content: bool = True

    def as_details(self) -> dict[str, str]:
        """The grant as audit details (ids and codes only)."""
        out = {"basis": self.basis.value}
        if self.detail:
            out["basis_detail"] = self.detail
        return out


@dataclass(frozen=True, slots=True)
class Granted(Generic[T]):
    """An object the caller may reach, with the grant that let them."""

    obj: T
    grant: Grant


def oversees(principal: Principal, jurisdiction: str) -> bool:
    """An auditor, or an administrator of an oversight body or of the node, of ``jurisdiction``.

    Oversight reads metadata (never target identifiers, free text or content), and only of its own
    jurisdiction.
    """
    if principal.node is not None or principal.jurisdiction != jurisdiction:
        return False
    if principal.role is Role.AUDITOR:
        return True
    return principal.role is Role.ADMINISTRATOR and (
        principal.organisation_kind is OrganisationKind.OVERSIGHT or principal.administers_node
    )

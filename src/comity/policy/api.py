"""Policy API: ask the engine whether a proposed action may go ahead, and why.

No business rules here: the route validates the body, reads the node's policy context (the approved
taxonomy, profiles and agreements) and hands both to ``policy.service.decide``. Unknown codes come back as
404 problems naming the code, malformed bodies as 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from comity.agreements.service import current_context
from comity.identity.principal import Principal
from comity.policy.schemas import PolicyDecisionOut, PolicyRequest
from comity.policy.service import decide, resolution_to_json
from comity.web.container import Container
from comity.web.deps import get_container, require

router = APIRouter(tags=["policy"])


@router.post(
    "/policy/decisions",
    response_model=PolicyDecisionOut,
    summary="Decide whether a proposed action may go ahead",
    responses={404: {"description": "Unknown offence, jurisdiction, agreement or statute"}},
)
def create_decision(
    body: PolicyRequest,
    _: Principal = Depends(require()),
    container: Container = Depends(get_container),
) -> dict[str, Any]:
    """The decision for ``body``: allowed or not, each rule applied with its source, obligations, refusal
    grounds, notification, time limits (with instants given a receipt time) and every assumption made.

    Without an agreement, the one in force between the two states that covers the action is used (several
    or none is a 422 naming the candidates); without a statute, the issuing state's most serious one.
    """
    with container.transaction() as session:
        context = current_context(session)
    return resolution_to_json(decide(context, body, now=container.clock.now()))

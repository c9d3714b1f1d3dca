"""The demo story: example cross-border actions put to the policy engine, allowed and refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from comity.agreements.service import current_context
from comity.errors import ComityError
from comity.policy import service as policy
from comity.policy.schemas import PolicyRequest


@dataclass(frozen=True)
class Example:
    """One proposed action of the story, in a case officer's words and as a policy request."""

    title: str
    request: dict[str, Any]


EXAMPLES: tuple[Example, ...] = (
    Example(
        "Irish prosecutor asks a German host for the subscriber behind a counterfeit-goods shop",
        {
            "from_state": "IE",
            "to_state": "DE",
            "offence": "counterfeit_goods",
            "measure": "production",
            "data": "subscriber",
            "issuer": "prosecutor",
            "jurisdictional_link": "victims_in_territory",
        },
    ),
    Example(
        "The same prosecutor asks for the shop's traffic data",
        {
            "from_state": "IE",
            "to_state": "DE",
            "offence": "counterfeit_goods",
            "measure": "production",
            "data": "traffic",
            "issuer": "prosecutor",
            "jurisdictional_link": "victims_in_territory",
        },
    ),
    Example(
        "French police, validated by a judge, seek a narcotics vendor's messages held in Ireland",
        {
            "from_state": "FR",
            "to_state": "IE",
            "offence": "narcotics_trafficking",
            "measure": "production",
            "data": "content",
            "issuer": "police",
            "validated_by": "judge",
            "committed_in": "FR",
            "resides_in": "NL",
            "jurisdictional_link": "offence_in_territory",
        },
    ),
    Example(
        "German judge seeks content data about unsafe products (a minor offence)",
        {
            "from_state": "DE",
            "to_state": "FR",
            "offence": "unsafe_products",
            "measure": "production",
            "data": "content",
            "issuer": "judge",
            "jurisdictional_link": "targeting",
        },
    ),
    Example(
        "Emergency: Dutch police need the subscriber of a weapons seller within hours",
        {
            "from_state": "NL",
            "to_state": "IE",
            "offence": "weapons_trafficking",
            "measure": "production",
            "data": "subscriber",
            "issuer": "police",
            "emergency": True,
            "jurisdictional_link": "targeting",
        },
    ),
    Example(
        "Spanish prosecutor preserves a fraud ring's stored data in Germany",
        {
            "from_state": "ES",
            "to_state": "DE",
            "offence": "computer_fraud",
            "measure": "preservation",
            "data": "content",
            "issuer": "prosecutor",
            "jurisdictional_link": "victims_in_territory",
        },
    ),
    Example(
        "An Irish judge tries to freeze a payment account in Germany under e-Evidence",
        {
            "from_state": "IE",
            "to_state": "DE",
            "offence": "money_laundering",
            "measure": "payment_freeze",
            "issuer": "judge",
            "agreement": "eev-eu5",
            "jurisdictional_link": "offence_in_territory",
        },
    ),
    Example(
        "An Irish judge freezes the laundered proceeds in Germany under the freezing regulation",
        {
            "from_state": "IE",
            "to_state": "DE",
            "offence": "money_laundering",
            "measure": "payment_freeze",
            "issuer": "judge",
            "committed_in": "IE",
            "jurisdictional_link": "offence_in_territory",
        },
    ),
    Example(
        "A French police officer asks for a freeze without any validation",
        {
            "from_state": "FR",
            "to_state": "DE",
            "offence": "money_laundering",
            "measure": "payment_freeze",
            "issuer": "police",
            "jurisdictional_link": "offence_in_territory",
        },
    ),
    Example(
        "The Irish regulator orders removal of a counterfeit listing, scoped to Ireland",
        {
            "from_state": "IE",
            "to_state": "IE",
            "offence": "counterfeit_goods",
            "measure": "removal_order",
            "issuer": "regulator",
            "territorial_scope": ["IE"],
            "illegal_in": ["IE"],
            "illegality_source": "national",
            "jurisdictional_link": "targeting",
        },
    ),
    Example(
        "The same removal order stretched to states where the listing is not shown illegal",
        {
            "from_state": "IE",
            "to_state": "IE",
            "offence": "counterfeit_goods",
            "measure": "removal_order",
            "issuer": "regulator",
            "territorial_scope": ["IE", "DE", "FR"],
            "illegal_in": ["IE"],
            "illegality_source": "national",
            "jurisdictional_link": "targeting",
        },
    ),
    Example(
        "Irish police ask the Bazaar marketplace to remove a listing under its own terms",
        {
            "from_state": "IE",
            "to_state": "IE",
            "offence": "counterfeit_goods",
            "measure": "voluntary_removal",
            "issuer": "police",
            "agreement": "terms-bazaar",
            "jurisdictional_link": "targeting",
        },
    ),
)


@dataclass(frozen=True)
class Outcome:
    title: str
    request: dict[str, Any]
    decision: dict[str, Any] | None
    error: str | None


def run_examples(session: Session, *, now: datetime) -> list[Outcome]:
    """Put every example to the policy engine against the node's approved documents."""
    context = current_context(session)
    outcomes: list[Outcome] = []
    for example in EXAMPLES:
        body = {**example.request, "received_at": now}
        try:
            resolution = policy.decide(context, PolicyRequest.model_validate(body), now=now)
        except ComityError as exc:  # an example the node's documents cannot answer: show why
            outcomes.append(Outcome(example.title, example.request, None, exc.detail))
            continue
        outcomes.append(Outcome(example.title, example.request, policy.resolution_to_json(resolution), None))
    return outcomes

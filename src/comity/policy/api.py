"""Policy API: ask the engine whether a proposed action may go ahead, and why.

No business rules here: the route validates the body, reads the node's policy context (the approved
taxonomy, profiles and agreements) and hands both to ``policy.service.decide``. Unknown codes come back as
404 problems naming the code, malformed bodies as 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from comity.agreements.service import current_context
from comity.errors import ComityError
from comity.identity.principal import Principal
from comity.kinds import ActionKind, AuthorityType, DataCategory
from comity.policy.schemas import PolicyDecisionOut, PolicyRequest
from comity.policy.service import decide, resolution_to_json
from comity.web.container import Container
from comity.web.deps import get_container, public, require
from comity.web.templating import add_navigation, templates

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


pages = APIRouter(dependencies=[Depends(public)])
add_navigation("/policy", "Policy check")

#: Form fields of the public policy page that are passed to the engine as they are.
_FORM_FIELDS = (
    "from_state",
    "to_state",
    "offence",
    "measure",
    "data",
    "issuer",
    "validated_by",
    "committed_in",
    "resides_in",
    "jurisdictional_link",
    "agreement",
)


@pages.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request, container: Container = Depends(get_container)) -> HTMLResponse:
    """A public form: put a hypothetical action to the engine and read its reasons.

    The engine reads only published documents (taxonomy, profiles, agreements) and the facts typed in, so
    this page reveals nothing that is not already public: it publishes the criteria, as DESIGN §2 C11 asks.
    """
    params = request.query_params
    form = {name: params.get(name, "").strip() for name in _FORM_FIELDS}
    form["emergency"] = "on" if params.get("emergency") else ""
    with container.transaction() as session:
        context = current_context(session)
    options = _options(context)
    # The form offers fixed choices: a link naming anything else is not echoed back (a crafted URL could
    # otherwise put its own words on the page, in the engine's "unknown code" message).
    foreign = [
        name for name, allowed in _choices(options).items() if form[name] and form[name] not in allowed
    ]
    for name in foreign:
        form[name] = ""
    result: dict[str, Any] | None = None
    error: str | None = None
    if foreign:
        error = "This link asked for values the form does not offer; choose again: " + ", ".join(foreign)
    elif form["from_state"] and form["to_state"] and form["offence"] and form["measure"]:
        body: dict[str, Any] = {k: v for k, v in form.items() if v and k != "emergency"}
        body["emergency"] = bool(form["emergency"])
        try:
            resolved = decide(context, PolicyRequest.model_validate(body), now=container.clock.now())
            result = resolution_to_json(resolved)
        except ValidationError as exc:
            error = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        except ComityError as exc:
            error = exc.detail
    return templates.TemplateResponse(
        request,
        "policy/check.html",
        {
            "title": "Policy check",
            "form": form,
            "result": result,
            "error": error,
            **options,
        },
    )


def _options(context: Any) -> dict[str, list[Any]]:
    """What the policy form offers, from the node's published documents."""
    return {
        "jurisdictions": sorted(context.jurisdictions.values(), key=lambda j: j.code),
        "offences": sorted(context.offences.values(), key=lambda o: o.name),
        "agreements": sorted(context.agreements, key=lambda a: a.id),
        "measures": [k.value for k in ActionKind],
        "data_categories": [d.value for d in DataCategory],
        "authority_types": [a.value for a in AuthorityType],
        "links": ["offence_in_territory", "victims_in_territory", "targeting", "nationality", "residence"],
    }


def _choices(options: dict[str, list[Any]]) -> dict[str, set[str]]:
    """The values each form field may carry: exactly the options the page shows."""
    states = {j.code for j in options["jurisdictions"]}
    authorities = set(options["authority_types"])
    return {
        "from_state": states,
        "to_state": states,
        "committed_in": states,
        "resides_in": states,
        "offence": {o.code for o in options["offences"]},
        "measure": set(options["measures"]),
        "data": set(options["data_categories"]),
        "issuer": authorities,
        "validated_by": authorities,
        "jurisdictional_link": set(options["links"]),
        "agreement": {a.id for a in options["agreements"]},
    }

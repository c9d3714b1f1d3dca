"""`comity policy check`: what the policy engine decides for a proposed action, with its reasons."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError

from comity.agreements.service import current_context
from comity.cli.common import cli_errors, open_container, print_json
from comity.errors import FieldError, InvalidInput
from comity.kinds import ActionKind, AuthorityType, DataCategory
from comity.policy.explain import explain
from comity.policy.schemas import PolicyRequest
from comity.policy.service import decide, resolution_to_json

app = typer.Typer(
    help="Policy decisions: may an action go ahead under the agreements in force, and why.",
    no_args_is_help=True,
)


@app.callback()
def policy() -> None:
    """Policy decisions: may an action go ahead under the agreements in force, and why."""


#: Request fields as the command's options name them, so an error points at what the user typed.
_OPTIONS = {
    "from_state": "--from",
    "to_state": "--to",
    "offence": "--offence",
    "measure": "--measure",
    "agreement": "--agreement",
    "statute": "--statute",
    "data": "--data",
    "issuer": "--issuer",
    "validated_by": "--validated-by",
    "committed_in": "--committed-in",
    "resides_in": "--resides-in",
    "territorial_scope": "--scope",
    "illegal_in": "--illegal-in",
    "illegality_source": "--illegality-source",
    "jurisdictional_link": "--link",
    "notice_deferral_days": "--deferral-days",
    "at": "--at",
    "received_at": "--received-at",
    "original_received_at": "--original-received-at",
}


def build_request(body: dict[str, Any]) -> PolicyRequest:
    """Validate ``body`` as the API would; errors name the command's options."""
    try:
        return PolicyRequest.model_validate(body)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = [str(part) for part in error.get("loc", ())]
            name = _OPTIONS.get(loc[0], loc[0]) if loc else "input"
            errors.append(FieldError(name, error.get("msg", "invalid")))
        raise InvalidInput(f"invalid options: {', '.join(e.path for e in errors)}", errors) from exc


@app.command("check")
def check(
    from_state: str = typer.Option(..., "--from", help="issuing state (ISO 3166 code)"),
    to_state: str = typer.Option(..., "--to", help="executing state, where the addressee is (ISO 3166 code)"),
    offence: str = typer.Option(..., "--offence", help="offence taxonomy code"),
    measure: ActionKind = typer.Option(..., "--measure", help="the action proposed"),
    agreement: str | None = typer.Option(
        None, "--agreement", help="agreement id (default: the one that applies)"
    ),
    statute: str | None = typer.Option(None, "--statute", help="statute id (default: the most serious one)"),
    data: DataCategory | None = typer.Option(None, "--data", help="data category sought"),
    issuer: AuthorityType | None = typer.Option(
        None, "--issuer", help="issuing authority type (default: police)"
    ),
    validated_by: AuthorityType | None = typer.Option(
        None, "--validated-by", help="validating authority type"
    ),
    emergency: bool = typer.Option(
        False, "--emergency", help="an emergency (imminent threat to life or safety)"
    ),
    committed_in: str | None = typer.Option(None, "--committed-in", help="where the offence was committed"),
    resides_in: str | None = typer.Option(None, "--resides-in", help="where the person concerned resides"),
    no_identifiers: bool = typer.Option(False, "--no-identifiers", help="the request names no identifiers"),
    spans_period: bool = typer.Option(False, "--spans-period", help="the data sought span a period"),
    unbounded: bool = typer.Option(
        False, "--unbounded", help="the time range of the data sought is not bounded (implies --spans-period)"
    ),
    scope: list[str] = typer.Option(
        [], "--scope", help="a state where the measure takes effect (repeatable)"
    ),
    illegal_in: list[str] = typer.Option(
        [], "--illegal-in", help="a state where illegality is shown (repeatable)"
    ),
    illegality_source: str | None = typer.Option(None, "--illegality-source", help="national or union"),
    link: str | None = typer.Option(
        None,
        "--link",
        help="jurisdictional link: offence_in_territory, victims_in_territory, targeting, nationality or "
        "residence",
    ),
    deferral_days: int | None = typer.Option(None, "--deferral-days", help="judge-approved notice deferral"),
    at: str | None = typer.Option(None, "--at", help="when the action is proposed (ISO 8601 with offset)"),
    received_at: str | None = typer.Option(None, "--received-at", help="when the addressee receives it"),
    original_received_at: str | None = typer.Option(
        None, "--original-received-at", help="for an extension: when the original preservation order arrived"
    ),
    json_out: bool = typer.Option(False, "--json", help="print the decision as JSON"),
) -> None:
    """Decide whether an action may go ahead: the verdict, each rule with its source, time limits,
    obligations, and every choice and assumption made. Unknown codes and bad input exit with code 2."""
    body: dict[str, Any] = {
        "from_state": from_state,
        "to_state": to_state,
        "offence": offence,
        "measure": measure,
        "agreement": agreement,
        "statute": statute,
        "data": data,
        "issuer": issuer,
        "validated_by": validated_by,
        "emergency": emergency,
        "committed_in": committed_in,
        "resides_in": resides_in,
        "territorial_scope": scope,
        "illegal_in": illegal_in,
        "illegality_source": illegality_source,
        "jurisdictional_link": link,
        "notice_deferral_days": deferral_days,
        "at": at,
        "received_at": received_at,
        "original_received_at": original_received_at,
    }
    # Facts the user did not state stay unset, so the decision says they were assumed.
    if no_identifiers:
        body["identifiers_named"] = False
    if spans_period or unbounded:
        body["time_range_applicable"] = True
    if unbounded:
        body["time_range_bounded"] = False
    body = {key: value for key, value in body.items() if value is not None}
    with cli_errors():
        request = build_request(body)
        container = open_container()
        with container.transaction() as session:
            context = current_context(session)
        resolution = decide(context, request, now=container.clock.now())
        if json_out:
            print_json(resolution_to_json(resolution))
        else:
            typer.echo(explain(resolution.decision, resolution.action), nl=False)

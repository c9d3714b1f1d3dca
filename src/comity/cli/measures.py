"""``comity measures``: the measures on this node, for its operator (no target identifiers are printed)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from comity.cli.common import guarded, open_container, print_json
from comity.errors import NotFound
from comity.measures import lifecycle, service
from comity.measures.schemas import measure_out

app = typer.Typer(help="Measures and orders: list and show.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="print JSON instead of a table")


@app.command("list")
@guarded
def list_measures(
    status: str | None = typer.Option(None, help="only measures in this status"), as_json: bool = _JSON
) -> None:
    """List measures: id, kind, step, status, case, issued, review deadline."""
    container = open_container()
    now = container.clock.now()
    with container.transaction() as session:
        rows = [
            measure_out(m, service.allowed_actions(m, now)).model_dump(mode="json")
            for m in service.list_measures(
                session, clock=container.clock, principal=None, status=status, limit=10_000
            )
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "kind", "step", "status", "case", "issued", "review deadline")
    for r in rows:
        table.add_row(
            r["id"],
            r["kind"],
            r["step"],
            r["status"],
            r["case_id"],
            r["issued_at"] or "—",
            r["review_deadline"] or "—",
        )
    Console().print(table)


@app.command("show")
@guarded
def show_measure(measure_id: str, as_json: bool = _JSON) -> None:
    """Show one measure with its legal elements, decision, answers and what may happen next."""
    from comity.measures.model import Measure

    container = open_container()
    with container.transaction() as session:
        measure = session.get(Measure, measure_id)
        if measure is None:
            raise NotFound(f"no measure {measure_id[:60]!r}")
        body = measure_out(measure, service.allowed_actions(measure, container.clock.now())).model_dump(
            mode="json"
        )
        body["answers"] = [
            {"answer": a.answer, "reasons": a.reasons, "answered_at": a.answered_at.isoformat()}
            for a in lifecycle.answers_of(session, measure_id)
        ]
    if as_json:
        print_json(body)
        return
    typer.echo(f"{body['id']}  {body['kind']} ({body['step']})  [{body['status']}]  case {body['case_id']}")
    typer.echo(f"  legal basis   {body['legal_basis']}")
    typer.echo(
        f"  scope         {', '.join(body['territorial_scope'])}  {body['starts_at']} → "
        f"{body['ends_at'] or body['review_at']}"
    )
    typer.echo(
        f"  issuer        {body['issuing_organisation']} ({body['issuer_authority_type']})"
        + (f", validated by {body['validating_organisation']}" if body["validating_organisation"] else "")
    )
    typer.echo(f"  execution     {body['execution_status']}")
    typer.echo(f"  next          {', '.join(body['allowed_next']) or 'none'}")

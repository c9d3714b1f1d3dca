"""``comity requests``: cross-border requests on this node, with their steps and policy decisions."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from comity.assistance_requests import service, views
from comity.cli.common import guarded, open_container, print_json

app = typer.Typer(help="Cross-border requests: list and show.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="print JSON instead of a table")


@app.command("list")
@guarded
def list_requests(as_json: bool = _JSON) -> None:
    """List every request on this node, newest first."""
    container = open_container()
    with container.transaction() as session:
        rows = [views.summary(r).model_dump(mode="json") for r in service.all_requests(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "case", "measure", "from", "to", "status", "due")
    for r in rows:
        table.add_row(
            r["id"],
            r["case_id"],
            r["measure"],
            r["from_state"],
            r["to_state"],
            r["status"],
            r["due_at"] or "—",
        )
    Console().print(table)


@app.command("show")
@guarded
def show_request(request_id: str, as_json: bool = _JSON) -> None:
    """Show one request: its deadlines, the actions open now, and every step with its decision."""
    container = open_container()
    with container.transaction() as session:
        request = service.get_request(session, request_id)
        body = views.detail(session, request, now=container.clock.now()).model_dump(mode="json")
    if as_json:
        print_json(body)
        return
    typer.echo(f"{body['id']}  {body['measure']} {body['from_state']}→{body['to_state']}  [{body['status']}]")
    typer.echo(f"  allowed next: {', '.join(body['allowed_next']) or 'none'}")
    for step in body["steps"]:
        verdict = "allowed" if step["allowed"] else "refused"
        typer.echo(
            f"  {step['seq']:>3} {step['at']}  {step['action']}  → {step['to_status']}  (policy: {verdict})"
        )

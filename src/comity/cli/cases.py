"""``comity cases``: the case files on this node, for its operator (no target identifiers are printed)."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from comity.cases import service
from comity.cases.views import case_detail, deadlines, summary, timeline
from comity.cli.common import guarded, open_container, print_json

app = typer.Typer(help="Case files: list and show.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="print JSON instead of a table")


@app.command("list")
@guarded
def list_cases(as_json: bool = _JSON) -> None:
    """List every case on this node: id, title, status, jurisdictions."""
    container = open_container()
    with container.transaction() as session:
        rows = [summary(session, c).model_dump() for c in service.all_cases(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "title", "status", "jurisdictions")
    for row in rows:
        table.add_row(row["id"], row["title"], row["status"], ", ".join(row["jurisdictions"]))
    Console().print(table)


@app.command("show")
@guarded
def show_case(case_id: str, as_json: bool = _JSON) -> None:
    """Show one case: offences, targets (kind and hash, never the identifier), members, teams, timeline."""
    container = open_container()
    with container.transaction() as session:
        case = service.get_case(session, case_id)
        body: dict[str, Any] = case_detail(session, case, with_identifiers=False).model_dump(mode="json")
        body["deadlines"] = [d.model_dump(mode="json") for d in deadlines(session, case_id)]
        body["timeline"] = [e.model_dump(mode="json") for e in timeline(session, case_id)]
    if as_json:
        print_json(body)
        return
    typer.echo(f"{body['id']}  {body['title']}  [{body['status']}]  {', '.join(body['jurisdictions'])}")
    for offence in body["offences"]:
        typer.echo(f"  offence  {offence['taxonomy_code']}  {offence['statute']}")
    for target in body["targets"]:
        typer.echo(f"  target   {target['kind']}  {target['identifier_hash'][:16]}…")
    for deadline in body["deadlines"]:
        typer.echo(f"  due      {deadline['due_at']}  {deadline['kind']}  {deadline['request_id']}")

"""``comity notices``: notices to affected persons and their delivery status (no recipients printed)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from comity.cli.common import guarded, open_container, print_json
from comity.notices import service

app = typer.Typer(help="Notices to affected persons: list.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Notices to affected persons."""


@app.command("list")
@guarded
def list_notices(
    measure: str | None = typer.Option(None, help="only the notices of this measure"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """List notices: id, measure, kind, channel, status, sent, deferred until, challenge until."""
    container = open_container()
    with container.transaction() as session:
        rows = [
            {
                "id": n.id,
                "measure_id": n.measure_id,
                "kind": n.kind,
                "channel": n.channel,
                "status": n.status,
                "sent_at": n.sent_at,
                "deferred_until": n.deferred_until,
                "challenge_until": n.challenge_until,
                "delivery_evidence": n.delivery_evidence,
            }
            for n in service.list_notices(session, principal=None, measure_id=measure, limit=10_000)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "measure", "kind", "channel", "status", "sent", "deferred until")
    for r in rows:
        cells = ("id", "measure_id", "kind", "channel", "status", "sent_at", "deferred_until")
        table.add_row(*(str(r[c] or "—") for c in cells))
    Console().print(table)

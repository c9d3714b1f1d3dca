"""``comity audit``: check the due-process invariants over this node's database."""

from __future__ import annotations

import typer

from comity.cli.common import EXIT_FAILED, guarded, open_container, print_json
from comity.invariants.registry import check_all, invariants

app = typer.Typer(help="Audit this node: due-process invariants.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Audit this node: due-process invariants."""


@app.command("invariants")
@guarded
def check_invariants(
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    only: list[str] = typer.Option([], "--only", help="check only this invariant (repeatable)"),
) -> None:
    """Check every registered invariant; exit 0 when none is violated, else 1 with the violations."""
    container = open_container()
    with container.transaction() as session:
        found = check_all(session, now=container.clock.now(), only=only)
    checked = sorted(invariants())
    body = {"checked": checked, "violations": [v.as_dict() for v in found]}
    if as_json:
        print_json(body)
    elif not found:
        typer.echo(f"no violation of {len(checked)} invariants")
    else:
        for v in found:
            typer.echo(f"{v.invariant}: {v.subject}: {v.detail}")
    if found:
        raise typer.Exit(EXIT_FAILED)

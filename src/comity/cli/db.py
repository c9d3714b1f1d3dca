"""`comity db ...`: schema migrations."""

from __future__ import annotations

import typer

from comity.cli.common import cli_errors, open_container
from comity.db import check_reachable
from comity.migrations import current, upgrade

app = typer.Typer(help="Database schema: upgrade, show the current revision.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head")) -> None:
    """Apply Alembic migrations up to REVISION (default: head)."""
    with cli_errors():
        container = open_container(migrate=False)
        check_reachable(container.engine)
        upgrade(container.engine, revision)
        typer.echo(f"database at revision {current(container.engine)}")


@app.command("current")
def current_cmd() -> None:
    """Print the revision the database is at."""
    with cli_errors():
        container = open_container(migrate=False)
        check_reachable(container.engine)
        typer.echo(current(container.engine) or "(empty: run `comity db upgrade`)")

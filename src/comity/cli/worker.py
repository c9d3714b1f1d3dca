"""`comity worker`: run due dates, expiries, retention, log integration and outbox delivery."""

from __future__ import annotations

import typer

from comity.cli.common import EXIT_FAILED, cli_errors, open_container, print_json
from comity.config import Settings
from comity.logs import configure as configure_logging
from comity.worker.jobs import run_forever, tick


def worker(
    once: bool = typer.Option(False, "--once", help="run every job once and exit"),
    interval: float = typer.Option(1.0, help="seconds between ticks"),
    job: list[str] = typer.Option([], "--job", help="run only this job (repeatable)"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run the node's periodic jobs (each in its own transactions; safe to run in several processes)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    with cli_errors():
        container = open_container()
    if not once:
        run_forever(container, interval=interval)
        return
    report = tick(container, only=tuple(job))
    if json_out:
        print_json({"done": report.done, "errors": report.errors})
    else:
        for name, count in sorted(report.done.items()):
            typer.echo(f"{name}: {count}")
        for name, error in sorted(report.errors.items()):
            typer.echo(f"{name}: error: {error}", err=True)
    if report.errors:
        raise typer.Exit(EXIT_FAILED)

"""`comity worker`: run due dates, expiries, retention, log integration and outbox delivery."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import typer

from comity.cli.common import EXIT_FAILED, cli_errors, open_container, print_json
from comity.config import Settings
from comity.logs import configure as configure_logging
from comity.web.container import Container
from comity.worker.jobs import Job, run_forever, tick

#: The worker acts for the node itself; applying a config file is recorded as the console administrator's.
_ACTOR = "cli:administrator"


def worker(
    once: bool = typer.Option(False, "--once", help="run every job once and exit"),
    interval: float | None = typer.Option(
        None, help="seconds between ticks (default: 1, or the config file's worker_interval)"
    ),
    job: list[str] = typer.Option([], "--job", help="run only this job (repeatable)"),
    config: Path | None = typer.Option(
        None, "--config", help="the node's TOML config file (the same one `comity serve --config` reads)"
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run the node's periodic jobs (each in its own transactions; safe to run in several processes)."""
    extra: Mapping[str, Job] = {}
    container: Container
    with cli_errors():
        if config is not None:
            from comity.federation.nodeconfig import open_node

            node, container, _done = open_node(config, actor=_ACTOR)
            extra = node.worker_jobs()
            interval = interval or node.worker_interval
        else:
            container = open_container()
    settings = container.settings if config is not None else Settings()
    configure_logging(settings.log_level, settings.log_format)
    if not once:
        try:
            run_forever(container, interval=interval or 1.0, extra=extra)
        except KeyboardInterrupt:
            pass
        finally:
            container.engine.dispose()
        return
    report = tick(container, only=tuple(job), extra=extra)
    if json_out:
        print_json({"done": report.done, "errors": report.errors})
    else:
        for name, count in sorted(report.done.items()):
            typer.echo(f"{name}: {count}")
        for name, error in sorted(report.errors.items()):
            typer.echo(f"{name}: error: {error}", err=True)
    if report.errors:
        raise typer.Exit(EXIT_FAILED)

"""The `comity` command line: one Typer app, one sub-app per capability."""

from __future__ import annotations

from pathlib import Path

import typer

from comity.cli import agreements as agreements_cli
from comity.cli import audit as audit_cli
from comity.cli import cases as cases_cli
from comity.cli import db as db_cli
from comity.cli import evidence as evidence_cli
from comity.cli import federation as federation_cli
from comity.cli import keys as keys_cli
from comity.cli import log as log_cli
from comity.cli import measures as measures_cli
from comity.cli import notices as notices_cli
from comity.cli import policy as policy_cli
from comity.cli import requests as requests_cli
from comity.cli import retention as retention_cli
from comity.cli import users as users_cli
from comity.cli import verify as verify_cli
from comity.cli import vocabulary as vocabulary_cli
from comity.cli import witness as witness_cli
from comity.cli.common import cli_errors, open_container
from comity.cli.demo import demo
from comity.cli.worker import worker
from comity.config import Settings
from comity.logs import configure as configure_logging

app = typer.Typer(
    name="comity",
    help="Comity node: cross-border cooperation against illegal online marketplaces, with due process.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(users_cli.orgs_app, name="orgs")
app.add_typer(users_cli.users_app, name="users")
app.add_typer(vocabulary_cli.offences_app, name="offences")
app.add_typer(vocabulary_cli.jurisdictions_app, name="jurisdictions")
app.add_typer(agreements_cli.app, name="agreements")
app.add_typer(policy_cli.app, name="policy")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(log_cli.app, name="log")
app.add_typer(witness_cli.app, name="witness")
app.add_typer(cases_cli.app, name="cases")
app.add_typer(requests_cli.app, name="requests")
app.add_typer(evidence_cli.app, name="evidence")
app.add_typer(retention_cli.app, name="retention")
app.add_typer(verify_cli.app, name="verify")
app.add_typer(measures_cli.app, name="measures")
app.add_typer(notices_cli.app, name="notices")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(federation_cli.app, name="federation")
app.command("demo")(demo)
app.command("worker")(worker)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="run the node described by this TOML file (name, jurisdiction, database, peers)",
    ),
    worker: bool | None = typer.Option(
        None,
        "--worker/--no-worker",
        help="with --config: also run the worker's jobs in a background thread (default: the file's)",
    ),
    worker_interval: float | None = typer.Option(
        None, "--worker-interval", min=0.01, help="with --config: seconds between the worker's ticks"
    ),
) -> None:
    """Serve the API and web pages (migrations are applied first)."""
    if config is not None:
        federation_cli.serve(
            config=config, host=host, port=port, worker=worker, worker_interval=worker_interval
        )
        return
    if worker:
        from comity.cli.common import fail

        fail("--worker needs --config FILE (or run `comity worker` beside the server)")
    import uvicorn

    from comity.web.app import create_app

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    with cli_errors():
        container = open_container()
    uvicorn.run(create_app(container=container), host=host, port=port, log_config=None)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()

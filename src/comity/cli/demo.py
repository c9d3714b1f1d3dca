"""`comity demo`: set up a demo node, tell the story, then serve the pages."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from comity.agreements.service import current_context
from comity.cli.common import cli_errors, open_container, print_json
from comity.config import Settings
from comity.demo import setup, story, walkthrough
from comity.keys.keystore import Keystore
from comity.keys.queries import list_keys
from comity.keys.truststore import export_trust_store
from comity.logs import configure as configure_logging


def _reasons_line(decision: dict[str, Any]) -> str:
    """The reasons a person needs first: why refused, or what the decision obliges."""
    failed = [r for r in decision["reasons"] if not r.get("satisfied", True)]
    if failed:
        return "; ".join(f"{r['text']} [{r['source']}]" for r in failed[:2])
    parts = []
    if decision.get("notify_executing_state"):
        parts.append("executing state notified" + (" (suspensive)" if decision.get("suspensive") else ""))
    if decision.get("refusal_grounds_available"):
        parts.append("it may raise: " + ", ".join(decision["refusal_grounds_available"]))
    if decision.get("obligations"):
        parts.append("then: " + ", ".join(o["kind"] for o in decision["obligations"]))
    return "; ".join(parts) or "all rules satisfied"


def _limits(decision: dict[str, Any]) -> str:
    labels = {"deadline": "act within", "review_window": "review", "preservation_period": "preserve"}
    out = [
        f"{label} {decision[key + '_text']}" for key, label in labels.items() if decision.get(key + "_text")
    ]
    return "\n".join(out) or "—"


def _federated(
    *,
    serve: bool,
    json_out: bool,
    home: Path | None,
    database_url_base: str | None,
    keep_databases: bool | None,
    timeout: float,
) -> None:
    """``comity demo --federated``: three node processes and a witness, one request end to end."""
    from comity.demo import federated

    def ready(info: dict[str, Any]) -> None:
        typer.echo("The nodes keep running (Ctrl-C stops them):", err=json_out)
        for name, url in info["urls"].items():
            typer.echo(f"  {name}: {url}", err=json_out)
        typer.echo("API tokens for this run (shown once):", err=json_out)
        for code, tokens in info["tokens"].items():
            for username, token in tokens.items():
                typer.echo(f"  {code} {username}: {token}", err=json_out)

    options = federated.Options(
        home=home,
        database_url_base=database_url_base,
        keep_databases=keep_databases,
        timeout=timeout,
        keep_running=serve,
        on_ready=ready if serve else None,
    )
    with cli_errors():
        summary = federated.run(options)
    if json_out:
        print_json(summary)
        return
    console = Console(width=None if Console().is_terminal else 150)
    console.print(
        f"[bold]Comity federated demo[/bold] · three nodes (IE, DE, FR) on {summary['databases']}, "
        f"FR also a witness · {summary['wall_seconds']} s"
    )
    for number, stage in enumerate(summary["stages"], start=1):
        extras = ", ".join(f"{k}: {v}" for k, v in stage.items() if k not in {"stage", "what", "seconds"})
        line = f"  {number}. [{stage['stage']}] {stage['what']} ({stage['seconds']} s)"
        console.print(escape(line + (f"; {extras}" if extras else "")))
    console.print(
        f"request {summary['request_id']}: IE {summary['statuses']['IE']}, DE {summary['statuses']['DE']}; "
        f"{summary['messages_sent']} messages sent, {summary['delivered']} delivered, "
        f"{summary['receipts']} receipts, {summary['failures']} failures"
    )


def demo(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="serve the pages after the story"),
    json_out: bool = typer.Option(False, "--json", help="print the story as JSON"),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    federated: bool = typer.Option(
        False,
        "--federated",
        help="three nodes (IE, DE, FR) in their own processes, FR also a witness; one request end to end",
    ),
    home: Path | None = typer.Option(
        None, "--home", help="with --federated: an empty folder for the nodes (default: a temporary one)"
    ),
    database_url_base: str | None = typer.Option(
        None,
        "--database-url-base",
        help="with --federated: a PostgreSQL URL; each node gets a new database on that server",
    ),
    keep_databases: bool | None = typer.Option(
        None,
        "--keep-databases/--drop-databases",
        help="with --database-url-base: keep the nodes' databases afterwards (default: only with --home)",
    ),
    timeout: float = typer.Option(90.0, "--timeout", min=1, help="with --federated: seconds per stage"),
) -> None:
    """Set up (or reuse) a demo node, show what the policy engine decides, then serve the pages."""
    if federated:
        _federated(
            serve=serve,
            json_out=json_out,
            home=home,
            database_url_base=database_url_base,
            keep_databases=keep_databases,
            timeout=timeout,
        )
        return
    settings = Settings()
    with cli_errors():
        container = open_container()
        now = container.clock.now()
        keystore = Keystore.for_settings(container.settings)
        with container.transaction() as session:
            report = setup.set_up(session, clock=container.clock, keystore=keystore)
        with container.transaction() as session:
            context = current_context(session)
            outcomes = story.run_examples(session, now=now)
        walk = walkthrough.run(container, report.tokens)
        # Exported after the walkthrough: officers' signing keys are created on their first signed act.
        trust_store = container.settings.home / "trust-store.json"
        with container.transaction() as session:
            trust_store.write_bytes(export_trust_store(session, clock=container.clock, keystore=keystore))
            key_count = len(list_keys(session))
    decided = [o for o in outcomes if o.decision is not None]
    allowed = sum(1 for o in decided if o.decision and o.decision["allowed"])
    summary: dict[str, Any] = {
        "database": container.engine.url.render_as_string(hide_password=True),
        "organisations": report.organisations,
        "users": report.users,
        "jurisdictions": len(context.jurisdictions),
        "offences": len(context.offences),
        "agreements": len(context.agreements),
        "documents": report.documents,
        "keys": key_count,
        "trust_store": str(trust_store),
        "decisions": len(decided),
        "allowed": allowed,
        "refused": len(decided) - allowed,
        "unanswered": len(outcomes) - len(decided),
        **walk.counts,
    }
    if json_out:
        print_json(
            summary
            | {
                "examples": [
                    {"title": o.title, "request": o.request, "decision": o.decision, "error": o.error}
                    for o in outcomes
                ],
                "walkthrough": walk.steps,
                "ids": walk.ids,
            }
        )
    else:
        console = Console(width=None if Console().is_terminal else 150)
        console.print(
            f"[bold]Comity demo node[/bold] · {summary['database']} · "
            f"{summary['jurisdictions']} jurisdictions, {summary['offences']} offences, "
            f"{summary['agreements']} agreements in force (oversight-approved)"
        )
        table = Table(title="What the policy engine decides", show_lines=True)
        table.add_column("#", justify="right")
        table.add_column("proposed action", ratio=3)
        table.add_column("agreement", ratio=1)
        table.add_column("decision")
        table.add_column("why / what follows", ratio=4)
        table.add_column("time limits", ratio=1)
        for number, outcome in enumerate(outcomes, start=1):
            decision = outcome.decision
            if decision is None:
                table.add_row(
                    str(number), outcome.title, "—", "[yellow]error[/yellow]", outcome.error or "", "—"
                )
                continue
            verdict = "[green]allowed[/green]" if decision["allowed"] else "[red]refused[/red]"
            agreement = decision["agreement"]
            table.add_row(
                str(number),
                outcome.title,
                f"{agreement['id']} v{agreement['version']}\n({decision['regime']})",
                verdict,
                _reasons_line(decision),
                _limits(decision),
            )
        console.print(table)
        console.print("[bold]One enforcement action, end to end[/bold] (through the node's API):")
        for number, step in enumerate(walk.steps, start=1):
            extras = ", ".join(f"{k}: {v}" for k, v in step.items() if k not in {"stage", "what"})
            line = f"  {number}. [{step['stage']}] {step['what']}" + (f" ({extras})" if extras else "")
            console.print(escape(line))
        console.print(
            f"{summary['keys']} keys registered under {len(setup.DEMO_JURISDICTIONS)} trust anchors; "
            f"a platform pins the trust store exported to {trust_store}"
        )
        console.print(
            f"{summary['decisions']} decisions: {allowed} allowed, {summary['refused']} refused. "
            "Try one yourself: comity policy check --from IE --to DE --offence counterfeit_goods "
            "--measure production --data subscriber --issuer prosecutor"
        )
        console.print("API tokens for this run (shown once):")
        for username, token in report.tokens.items():
            console.print(f"  {username}: {token}")
    if serve:
        import uvicorn

        from comity.web.app import create_app

        configure_logging(settings.log_level, settings.log_format)
        # Keep the demo's terminal readable: one line per request is for operators' log pipelines.
        logging.getLogger("comity.http").setLevel(logging.WARNING)
        typer.echo(
            f"Serving http://{host}:{port}/ — try /policy, /agreements and /governance; sign in at /login "
            "with the demo-officer token for /cases, or the demo-judge token for /judges; the API is at "
            "/docs. Press Ctrl-C to stop."
        )
        uvicorn.run(create_app(container=container), host=host, port=port, log_level="warning")

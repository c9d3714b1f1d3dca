"""``comity retention``: destroy evidence past its retention date unless a legal hold keeps it."""

from __future__ import annotations

import typer

from comity.cli.common import guarded, open_container, print_json
from comity.custody import retention
from comity.custody.store import folder_store_for
from comity.keys.keystore import Keystore

app = typer.Typer(help="Retention of evidence and custody records.", no_args_is_help=True)


@app.command("run")
@guarded
def run(
    dry_run: bool = typer.Option(False, "--dry-run", help="say what would be purged; change nothing"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Purge evidence past retention (bytes and personal data), leaving tombstones and signed events."""
    container = open_container()
    report = retention.run(
        container.sessions,
        clock=container.clock,
        keystore=Keystore.for_settings(container.settings),
        store=folder_store_for(container.settings),
        jurisdiction=container.settings.node_jurisdiction,
        dry_run=dry_run,
    )
    if as_json:
        print_json(
            {
                "dry_run": report.dry_run,
                "at": report.at,
                "purged": report.count("purged"),
                "held": report.count("held"),
                "skipped": report.count("skipped"),
                "swept": report.swept,
                "items": [
                    {
                        "evidence": o.evidence_id,
                        "case": o.case_id,
                        "sha256": o.sha256,
                        "retention_until": o.retention_until,
                        "outcome": o.outcome,
                        "reasons": list(o.reasons),
                    }
                    for o in report.outcomes
                ],
            }
        )
        return
    verb = "would purge" if dry_run else "purged"
    for outcome in report.outcomes:
        why = "; ".join(outcome.reasons)
        typer.echo(f"{outcome.outcome:8} {outcome.evidence_id} (case {outcome.case_id}): {why}")
    typer.echo(
        f"{verb} {report.count('purged')}, held {report.count('held')}, skipped {report.count('skipped')}"
    )

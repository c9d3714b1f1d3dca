"""``comity evidence``: export a case's evidence as a verifiable bundle or as CASE/UCO JSON-LD."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from comity.cli.common import guarded, open_container, print_json
from comity.custody import bundle
from comity.custody.store import folder_store_for
from comity.keys.keystore import Keystore

app = typer.Typer(help="The evidence vault: exports for courts and partners.", no_args_is_help=True)


class ExportFormat(StrEnum):
    """What ``comity evidence export`` writes."""

    BUNDLE = "bundle"
    CASE_UCO = "case-uco"


@app.command("export")
@guarded
def export(
    case_id: str = typer.Argument(..., help="the case whose evidence to export"),
    out: Path = typer.Option(..., "--out", help="file to write (bundle.zip or case.jsonld)"),
    export_format: ExportFormat = typer.Option(ExportFormat.BUNDLE, "--format", help="bundle or case-uco"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary"),
) -> None:
    """Export a case: a bundle anyone can verify offline (comity verify bundle), or CASE/UCO JSON-LD."""
    container = open_container()
    if export_format is ExportFormat.CASE_UCO:
        with container.transaction() as session:
            document = bundle.case_uco_export(session, clock=container.clock, case_id=case_id)
        out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        actions = len(document["@graph"][0]["uco-core:object"])
        summary: dict[str, object] = {
            "case": case_id,
            "path": str(out),
            "format": "case-uco",
            "actions": actions,
        }
    else:
        result = bundle.export_bundle(
            container.sessions,
            clock=container.clock,
            settings=container.settings,
            keystore=Keystore.for_settings(container.settings),
            store=folder_store_for(container.settings),
            case_id=case_id,
            out=out,
        )
        summary = {
            "case": case_id,
            "path": str(out),
            "format": "bundle",
            "items": result.items,
            "events": result.events,
            "tree_size": result.tree_size,
            "manifest_sha256": result.manifest_sha256,
        }
    if as_json:
        print_json(summary)
    elif export_format is ExportFormat.CASE_UCO:
        typer.echo(f"wrote {out}: {summary['actions']} investigative actions of case {case_id}")
    else:
        typer.echo(
            f"wrote {out}: {summary['items']} item(s), {summary['events']} custody event(s), "
            f"proven in the log at tree size {summary['tree_size']}"
        )

"""``comity evidence``: export a case's evidence (verifiable bundle, CASE/UCO JSON-LD), transfer an item
to a peer node."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from comity.cli.common import guarded, open_container, print_json
from comity.custody import bundle
from comity.custody import transfer as evidence_transfer
from comity.custody.store import folder_store_for
from comity.identity import service as identity
from comity.keys.keystore import Keystore

app = typer.Typer(
    help="The evidence vault: exports for courts and partners, transfers to peer nodes.", no_args_is_help=True
)


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


@app.command("transfer")
@guarded
def transfer(
    evidence_id: str = typer.Argument(..., help="the sealed item to transfer"),
    to: str = typer.Option(..., "--to", help="the peer node's jurisdiction, e.g. IE"),
    agreement: str = typer.Option(..., "--agreement", help="the agreement in force with that peer"),
    note: str | None = typer.Option(None, "--note", help="why (kept with the transferred event)"),
    token: str = typer.Option(
        ..., "--token", envvar="COMITY_TOKEN", help="the officer's or judge's API token (signs as them)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary"),
) -> None:
    """Transfer a sealed item to a peer node: the signed transferred event and the message, at once.

    The message leaves with the outbox worker (``comity worker``); the peer acknowledges its receipt.
    """
    container = open_container()
    settings = container.settings
    with container.transaction() as session:
        principal = identity.authenticate(session, token)
        done = evidence_transfer.transfer(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(settings),
            store=folder_store_for(settings),
            principal=principal,
            node=settings.node_jurisdiction.upper(),
            evidence_id=evidence_id,
            to=to,
            agreement_id=agreement,
            note=note,
        )
        summary: dict[str, object] = {
            "evidence": evidence_id,
            "to": done.event.counterparty,
            "event": done.event.id,
            "envelope_sha256": done.event.envelope_sha256,
            "message_id": done.message_id,
        }
    if as_json:
        print_json(summary)
    else:
        typer.echo(
            f"evidence {evidence_id} transferred to {summary['to']}: event {summary['event']}, "
            f"message {summary['message_id']} queued"
        )

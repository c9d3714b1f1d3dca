"""``comity verify``: offline checks anyone can run without a node, a database or a network."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from comity.cli.common import EXIT_FAILED, fail, print_json
from comity.custody.bundle_verify import verify_bundle
from comity.errors import VerificationError
from comity.keys.truststore import TrustStore

app = typer.Typer(help="Verify signed Comity objects offline.", no_args_is_help=True)


@app.command("bundle")
def bundle(
    path: Path = typer.Argument(..., help="the evidence bundle (zip)"),
    trust: Path | None = typer.Option(
        None, "--trust", help="a trust store you pinned; default: the one inside the bundle"
    ),
    witness_quorum: int = typer.Option(0, "--witness-quorum", min=0, help="witness cosignatures required"),
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", min=1, help="processes checking signatures (large bundles)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Check an evidence bundle: files, signatures, hash chains, log proofs and the checkpoint."""
    try:
        store = TrustStore.load(trust) if trust is not None else None
        report = verify_bundle(path, trust=store, witness_quorum=witness_quorum, workers=workers)
    except VerificationError as exc:
        code = exc.extensions.get("code", "verification_failed")
        fail(f"{path}: NOT VERIFIED [{code}]: {exc.detail}", EXIT_FAILED)
    summary = {
        "verified": True,
        "case": report.case,
        "jurisdiction": report.jurisdiction,
        "items": report.items,
        "events": report.events,
        "evidence_files": report.evidence_files,
        "evidence_bytes": report.evidence_bytes,
        "destroyed": report.destroyed,
        "log_origin": report.origin,
        "tree_size": report.tree_size,
        "cosigned_by": list(report.cosigned_by),
        "trust": report.trust,
        "anchors": list(report.anchors),
        "signers": sorted(report.signers),
    }
    if as_json:
        print_json(summary)
        return
    typer.echo(
        f"{path}: verified: case {report.case}, {report.items} item(s), {report.events} custody event(s) "
        f"signed by {len(report.signers)} key(s), all in {report.origin} at tree size {report.tree_size}"
    )
    typer.echo(
        f"evidence files: {report.evidence_files} ({report.evidence_bytes} bytes); "
        f"destroyed: {report.destroyed}"
    )
    if report.cosigned_by:
        typer.echo(f"checkpoint cosigned by: {', '.join(report.cosigned_by)}")
    if report.trust == "bundle":
        typer.echo(
            "warning: keys were taken from the bundle's own trust store; check these anchor key ids out "
            f"of band, or pass --trust: {', '.join(report.anchors)}"
        )


@app.command("order")
def order(
    path: Path = typer.Argument(..., help="the signed order (a DSSE envelope, JSON)"),
    trust: Path = typer.Option(..., "--trust", help="the trust store you pinned"),
    addressee: str = typer.Option(..., "--addressee", help="your organisation id (the order must name it)"),
    seen: Path | None = typer.Option(
        None, "--seen", help="file of order ids already accepted (replays are refused; ids are appended)"
    ),
    at: str | None = typer.Option(None, "--at", help="verify as of this ISO 8601 instant (default: now)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Check a signed order offline: signature, trusted and unrevoked key, competent authority, addressee,
    expiry and replay. Exit 0 with a summary, or non-zero with the exact reason."""
    from datetime import UTC, datetime

    from comity.measures.orders import verify_order
    from comity.signing.checks import FileSeenIds

    try:
        when = datetime.now(UTC) if at is None else datetime.fromisoformat(at.replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise ValueError("give a time zone (Z)")
    except ValueError as exc:
        fail(f"--at: not an ISO 8601 instant: {exc}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    try:
        store = TrustStore.load(trust)
        verified = verify_order(
            data, keys=store, addressee=addressee, at=when, seen=FileSeenIds(seen) if seen else None
        )
    except VerificationError as exc:
        code = exc.extensions.get("code", "verification_failed")
        fail(f"{path}: NOT VERIFIED [{code}]: {exc.detail}", EXIT_FAILED)
    summary = {"verified": True, **verified.summary()}
    if as_json:
        print_json(summary)
        return
    content = verified.content
    validated = f", validated by {content.validating.organisation}" if content.validating else ""
    typer.echo(
        f"{path}: verified: order {content.order_id} ({content.instruction} {content.measure}, "
        f"{content.step.replace('_', ' ')}) for {content.addressee}, issued by "
        f"{content.issuing.organisation} ({content.issuing.authority_type.value}){validated}, "
        f"valid until {summary['expires_at']}"
    )

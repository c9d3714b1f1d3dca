"""``comity offences`` and ``comity jurisdictions``: the shared vocabulary in effect, and validating the data
files an administrator edits before proposing them for oversight approval."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Column, Table

from comity.cli.common import EXIT_FAILED, guarded, open_container, print_json
from comity.errors import InvalidInput
from comity.governance.context import current_context
from comity.vocabulary.loader import load_jurisdiction, load_taxonomy, taxonomy_version
from comity.vocabulary.model import JurisdictionProfile, Offence

offences_app = typer.Typer(help="The offence taxonomy in effect on this node.", no_args_is_help=True)
jurisdictions_app = typer.Typer(help="Jurisdiction profiles in effect on this node.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="print JSON instead of a table")


def offence_dict(offence: Offence) -> dict[str, Any]:
    """The JSON form of one offence, as ``comity offences list --json`` prints it."""
    return {
        "code": offence.code,
        "name": offence.name,
        "severity": offence.severity.label,
        "list_offence": offence.list_offence,
        "list_categories": list(offence.list_categories),
        "cyber_or_terror": offence.cyber_or_terror,
    }


def jurisdiction_dict(profile: JurisdictionProfile) -> dict[str, Any]:
    """The JSON form of one profile, as ``comity jurisdictions list --json`` prints it."""
    return {
        "code": profile.code,
        "name": profile.name,
        "version": profile.version,
        "time_zone": profile.time_zone,
        "challenge_period_days": profile.challenge_period_days,
        "statutes": [
            {
                "id": s.id,
                "offence": s.offence,
                "statute": s.citation,
                "max_penalty_months": s.max_penalty_months,
                "life_imprisonment": s.life_imprisonment,
            }
            for s in profile.statutes
        ],
    }


def report_invalid(exc: InvalidInput) -> NoReturn:
    """Print every problem of an invalid document with its field path, then exit non-zero."""
    typer.echo(exc.detail)
    for error in exc.errors:
        typer.echo(f"  {error.path}: {error.message}")
    raise typer.Exit(EXIT_FAILED)


@offences_app.command("list")
@guarded
def list_offences(as_json: bool = _JSON) -> None:
    """List the offences of the approved taxonomy (code, name, severity, list offence)."""
    container = open_container()
    with container.transaction() as session:
        offences = list(current_context(session).offences.values())
    if as_json:
        print_json([offence_dict(o) for o in offences])
        return
    if not offences:
        typer.echo("no taxonomy is approved on this node yet (see `comity demo`)", err=True)
        return
    table = Table(Column("code", no_wrap=True), "name", "severity", "list offence", "cyber/terror")
    for o in offences:
        listed = f"yes ({', '.join(map(str, o.list_categories))})" if o.list_offence else "no"
        table.add_row(o.code, o.name, o.severity.label, listed, "yes" if o.cyber_or_terror else "no")
    Console().print(table)


@offences_app.command("validate")
def validate_taxonomy(file: Path = typer.Argument(..., help="taxonomy YAML file")) -> None:
    """Validate a taxonomy file (no database needed): print OK, or each error with its field path."""
    try:
        offences = load_taxonomy(file)
        version = taxonomy_version(file)
    except InvalidInput as exc:
        report_invalid(exc)
    typer.echo(f"OK: taxonomy v{version}, {len(offences)} offences")


@jurisdictions_app.command("list")
@guarded
def list_jurisdictions(as_json: bool = _JSON) -> None:
    """List the approved jurisdiction profiles with their statutes and maximum penalties."""
    container = open_container()
    with container.transaction() as session:
        profiles = [p for _, p in sorted(current_context(session).jurisdictions.items())]
    if as_json:
        print_json([jurisdiction_dict(p) for p in profiles])
        return
    if not profiles:
        typer.echo("no jurisdiction profile is approved on this node yet (see `comity demo`)", err=True)
        return
    table = Table(Column("code", no_wrap=True), "name", "time zone", "challenge period", "statutes")
    for p in profiles:
        table.add_row(p.code, p.name, p.time_zone, f"{p.challenge_period_days} days", str(len(p.statutes)))
    Console().print(table)


@jurisdictions_app.command("validate")
def validate_jurisdiction(
    file: Path = typer.Argument(..., help="jurisdiction profile YAML file"),
    taxonomy: Path | None = typer.Option(None, help="taxonomy file to check offence codes against"),
) -> None:
    """Validate a profile (no database needed) against the bundled taxonomy or ``--taxonomy``."""
    try:
        offences = load_taxonomy(taxonomy)
        profile = load_jurisdiction(file, offences)
    except InvalidInput as exc:
        report_invalid(exc)
    typer.echo(f"OK: {profile.code} ({profile.name}) v{profile.version}, {len(profile.statutes)} statutes")

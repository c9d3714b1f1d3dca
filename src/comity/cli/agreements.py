"""``comity agreements``: the agreements in effect, validating agreement files, and the model templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Column, Table

from comity.agreements.loader import bundled_files, load_agreement, package_dir
from comity.agreements.model import Agreement
from comity.cli.common import fail, guarded, open_container, print_json
from comity.cli.vocabulary import report_invalid
from comity.errors import InvalidInput
from comity.governance.context import current_context
from comity.kinds import Regime
from comity.vocabulary.loader import load_jurisdictions, load_taxonomy

app = typer.Typer(help="Cooperation agreements: list, validate, model templates.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="print JSON instead of a table")


def agreement_dict(agreement: Agreement) -> dict[str, Any]:
    """The JSON form of one agreement, as ``comity agreements list --json`` prints it."""
    return {
        "id": agreement.id,
        "version": agreement.version,
        "regime": agreement.regime.value,
        "title": agreement.title,
        "parties": [p.jurisdiction for p in agreement.parties],
        "offences": sorted(agreement.offences),
        "effective": agreement.effective,
        "sunset": agreement.sunset,
    }


@app.command("list")
@guarded
def list_agreements(as_json: bool = _JSON) -> None:
    """List the agreements in effect (id, version, regime, parties, offences, effective, sunset)."""
    container = open_container()
    with container.transaction() as session:
        agreements = sorted(current_context(session).agreements, key=lambda a: a.id)
    if as_json:
        print_json([agreement_dict(a) for a in agreements])
        return
    if not agreements:
        typer.echo("no agreement is approved on this node yet (see `comity demo`)", err=True)
        return
    today = container.clock.now().date()
    # Identifiers, dates and status are read at a glance and copied: never wrap them; parties may wrap.
    fixed = {name: Column(name, no_wrap=True) for name in ("id", "v", "effective", "sunset", "status")}
    table = Table(
        fixed["id"],
        fixed["v"],
        "regime",
        "parties",
        "offences",
        fixed["effective"],
        fixed["sunset"],
        fixed["status"],
    )
    for a in agreements:
        state = "in force" if a.in_force(today) else ("not yet" if today < a.effective else "past sunset")
        table.add_row(
            a.id,
            str(a.version),
            a.regime.value,
            ", ".join(sorted(a.jurisdictions)),
            str(len(a.offences)),
            a.effective.isoformat(),
            a.sunset.isoformat(),
            state,
        )
    Console().print(table)


@app.command("validate")
def validate(
    file: Path = typer.Argument(..., help="agreement YAML file"),
    taxonomy: Path | None = typer.Option(None, help="taxonomy file (default: the bundled one)"),
    jurisdictions: Path | None = typer.Option(
        None, help="folder of jurisdiction profiles (default: the bundled demo profiles)"
    ),
) -> None:
    """Validate an agreement file without a database: print OK, or each error with its field path."""
    try:
        offences = load_taxonomy(taxonomy)
        profiles = load_jurisdictions(jurisdictions, offences)
        agreement = load_agreement(file, offences=offences, jurisdictions=profiles)
    except InvalidInput as exc:
        report_invalid(exc)
    parties = ", ".join(sorted(agreement.jurisdictions))
    typer.echo(
        f"OK: {agreement.id} v{agreement.version} ({agreement.regime.value}) between {parties}, "
        f"effective {agreement.effective}, sunset {agreement.sunset}"
    )


@app.command("template")
def template(regime: Regime = typer.Argument(..., help="the regime of the model agreement")) -> None:
    """Print the model agreement of a regime, to copy and adapt (then validate and propose it)."""
    path = package_dir("templates") / f"{regime.value}.yaml"
    if not path.is_file():
        shipped = ", ".join(p.stem for p in bundled_files("templates"))
        fail(f"no template for {regime.value}; shipped: {shipped}")
    typer.echo(path.read_text(encoding="utf-8"), nl=False)

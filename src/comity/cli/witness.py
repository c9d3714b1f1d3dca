"""``comity witness``: run a transparency-log witness (C2SP tlog-witness) as its own process."""

from __future__ import annotations

from pathlib import Path

import typer

from comity.cli.common import guarded
from comity.witness.config import generate_key, load_config, load_key

app = typer.Typer(help="A witness that cosigns other nodes' log checkpoints.", no_args_is_help=True)


@app.command("keygen")
@guarded
def keygen(
    name: str = typer.Option(..., "--name", help="the witness's name, e.g. witness.example/fr"),
    out: Path = typer.Option(..., "--out", help="the key file to create (mode 0600)"),
) -> None:
    """Create a witness key file and print its cosignature vkey (give it to the logs you witness)."""
    key = generate_key(out, name=name)
    typer.echo(key.verifier.vkey)


@app.command("vkey")
@guarded
def vkey(key_file: Path = typer.Option(..., "--key", help="the witness key file")) -> None:
    """Print the cosignature vkey of a witness key file."""
    typer.echo(load_key(key_file).verifier.vkey)


@app.command("serve")
@guarded
def serve(
    config_file: Path = typer.Option(..., "--config", help="witness configuration (TOML)"),
    host: str | None = typer.Option(None, "--host", help="overrides the configuration"),
    port: int | None = typer.Option(None, "--port", help="overrides the configuration"),
) -> None:
    """Serve POST /add-checkpoint for the logs the configuration lists, until stopped."""
    import uvicorn

    from comity.witness.app import build_witness, create_witness_app

    config = load_config(config_file)
    witness = build_witness(config)
    typer.echo(f"witness {config.name} ({witness.key.verifier.vkey}) watching {len(config.logs)} log(s)")
    uvicorn.run(
        create_witness_app(witness), host=host or config.host, port=port or config.port, log_level="warning"
    )

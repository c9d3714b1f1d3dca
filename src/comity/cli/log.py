"""``comity log``: the node's transparency log: checkpoint, vkey, proofs, entries, sequencer, checks."""

from __future__ import annotations

import base64
import signal
import threading
import time
from types import FrameType

import typer

from comity.cli.common import EXIT_FAILED, fail, guarded, open_container, print_json
from comity.translog import service
from comity.translog.checkpoints import LogSettings
from comity.translog.jobs import drain
from comity.verify.errors import LogVerificationError
from comity.web.container import Container

app = typer.Typer(help="The node's transparency log (RFC 9162, C2SP checkpoints).", no_args_is_help=True)


@app.command("checkpoint")
@guarded
def checkpoint() -> None:
    """Print the latest signed checkpoint note, with its witness cosignatures."""
    container = open_container()
    with container.transaction() as session:
        latest = service.latest_checkpoint(session)
    if latest is None:
        fail("the log has no checkpoint yet (comity log integrate)")
    typer.echo(latest.note, nl=False)


@app.command("vkey")
@guarded
def vkey() -> None:
    """Print the C2SP verifier key of the log (what witnesses and verifiers are configured with)."""
    container = open_container()
    with container.transaction() as session:
        typer.echo(service.log_vkey(session, settings=container.settings, at=container.clock.now()))


@app.command("proof")
@guarded
def proof(
    index: int = typer.Option(..., "--index", help="leaf index"),
    tree_size: int | None = typer.Option(None, "--tree-size", help="default: the latest checkpoint's size"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Print the RFC 9162 inclusion proof of entry INDEX (hex hashes, sibling first)."""
    container = open_container()
    with container.transaction() as session:
        found = service.inclusion_proof(session, index=index, tree_size=tree_size)
    hashes = [h.hex() for h in found.hashes]
    if as_json:
        print_json(
            {
                "index": found.index,
                "tree_size": found.tree_size,
                "leaf_hash": found.leaf_hash.hex(),
                "hashes": hashes,
            }
        )
    else:
        typer.echo(f"entry {found.index} in tree of size {found.tree_size}, root {found.root_hash.hex()}")
        typer.echo(f"leaf hash {found.leaf_hash.hex()}")
        typer.echo("\n".join(hashes))


@app.command("consistency")
@guarded
def consistency(
    first: int = typer.Option(..., "--from", help="the earlier tree size"),
    second: int = typer.Option(..., "--to", help="the later tree size"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Print the RFC 9162 consistency proof between two tree sizes (hex hashes)."""
    container = open_container()
    with container.transaction() as session:
        found = service.consistency_proof(session, first=first, second=second)
    hashes = [h.hex() for h in found.hashes]
    if as_json:
        print_json({"from": found.first, "to": found.second, "hashes": hashes})
    else:
        typer.echo(f"{found.first} -> {found.second}: {found.first_root.hex()} -> {found.second_root.hex()}")
        typer.echo("\n".join(hashes))


@app.command("entry")
@guarded
def entry(
    index: int = typer.Option(..., "--index", help="leaf index"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Print entry INDEX: its exact leaf bytes (base64 in JSON)."""
    container = open_container()
    with container.transaction() as session:
        found = service.entry_at(session, index=index)
    if as_json:
        print_json({"index": found.index, "data": base64.b64encode(found.data).decode("ascii")})
    else:
        typer.echo(found.data.decode("utf-8"))


@app.command("integrate")
@guarded
def integrate(
    follow: bool = typer.Option(False, "--follow", help="keep integrating, every merge delay, until stopped"),
    merge_delay: float | None = typer.Option(
        None, "--merge-delay", help="seconds (default COMITY_LOG_MERGE_DELAY)"
    ),
    limit: int = typer.Option(service.DEFAULT_BATCH, "--batch", help="entries per batch"),
) -> None:
    """Integrate committed audit events into the log and sign a checkpoint (once, or with --follow)."""
    container = open_container()
    if not follow:
        result = drain(container, limit=limit)
        typer.echo(
            f"integrated {result.integrated}; tree size {result.tree_size}, root {result.root_hash.hex()}"
        )
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    follow_log(container, stop=stop, merge_delay=merge_delay or LogSettings().merge_delay, limit=limit)


def follow_log(
    container: Container, *, stop: threading.Event, merge_delay: float, limit: int = service.DEFAULT_BATCH
) -> None:
    """Run the sequencer until ``stop`` is set, a pass every half merge delay.

    Half: an event committed just after a pass is integrated by the next, within the merge delay.
    """
    while not stop.is_set():
        started = time.monotonic()
        drain(container, limit=limit)
        stop.wait(max(0.0, merge_delay / 2 - (time.monotonic() - started)))


@app.command("sign")
@guarded
def sign() -> None:
    """Sign a checkpoint of the current tree (e.g. after rotating the node key)."""
    container = open_container()
    with container.transaction() as session:
        signer = service.node_log_signer(session, settings=container.settings, clock=container.clock)
        stored = service.sign_head(session, clock=container.clock, signer=signer)
    typer.echo(stored.note, nl=False)


@app.command("cosign")
@guarded
def cosign(
    witness_url: str = typer.Option(..., "--witness-url", help="the witness's submission prefix"),
    witness_vkey: str = typer.Option(..., "--witness-vkey", help="the witness's cosignature vkey"),
) -> None:
    """Ask a witness to cosign the latest checkpoint (C2SP tlog-witness); keep its cosignature."""
    container = open_container()
    with container.transaction() as session:
        outcome = service.request_cosignature(
            session, clock=container.clock, witness_url=witness_url, witness_vkey=witness_vkey
        )
    if not outcome.cosigned:
        fail(f"refused: {outcome.refusal} (oversight alerted)", EXIT_FAILED)
    typer.echo(outcome.checkpoint.note, nl=False)


@app.command("verify")
@guarded
def verify() -> None:
    """Recompute the log, check every checkpoint and cosignature; exit 0 or name the first fault."""
    container = open_container()
    try:
        with container.transaction() as session:
            service.verify_log(session)
            size = service.current_size(session)
    except LogVerificationError as exc:
        fail(f"{exc.code}: {exc.detail}", EXIT_FAILED)
    typer.echo(f"ok: {size} entries, every checkpoint and cosignature verified")

"""``comity federation``: the peer directory, importing a peer's trust store, sending and reading messages,
and the pseudonym keys shared by an agreement's parties."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select

from comity.cli.common import cli_errors, guarded, open_container, print_json
from comity.errors import FieldError, InvalidInput
from comity.federation import directory, pseudonyms
from comity.federation.model import Peer, ReceivedMessage
from comity.federation.nodeconfig import NodeConfig, apply, open_node
from comity.federation.outbound import send as federation_send
from comity.keys.keystore import Keystore
from comity.transport.egress import Outbound
from comity.transport.tlp import Tlp
from comity.web.container import Container

app = typer.Typer(help="Federation with other jurisdictions' nodes.", no_args_is_help=True)
peers_app = typer.Typer(help="The peer directory.", no_args_is_help=True)
trust_app = typer.Typer(help="Peers' trust stores.", no_args_is_help=True)
messages_app = typer.Typer(help="Messages received from peers.", no_args_is_help=True)
app.add_typer(peers_app, name="peers")
app.add_typer(trust_app, name="trust")
app.add_typer(messages_app, name="messages")
pseudonym_keys_app = typer.Typer(
    help="Pseudonym keys shared by an agreement's parties (never shown: fingerprints only).",
    no_args_is_help=True,
)
app.add_typer(pseudonym_keys_app, name="pseudonym-keys")

#: The CLI acts as the node administrator at the console (recorded as such in the audit trail).
_ACTOR = "cli:administrator"


def _peer_dict(peer: Peer) -> dict[str, Any]:
    return {
        "jurisdiction": peer.jurisdiction,
        "name": peer.name,
        "base_url": peer.base_url,
        "agreements": list(peer.agreements),
        "status": peer.status,
        "added_at": peer.added_at,
        "updated_at": peer.updated_at,
    }


def _json_option(value: str, name: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} is not JSON", [FieldError(name, str(exc))]) from None
    if not isinstance(parsed, dict):
        raise InvalidInput(f"{name} is a JSON object", [FieldError(name, "object expected")])
    return parsed


@peers_app.command("add")
@guarded
def peers_add(
    jurisdiction: str = typer.Argument(..., help="ISO 3166 alpha-2 code of the peer"),
    url: str = typer.Option(..., "--url", help="the peer node's base URL"),
    name: str = typer.Option("", "--name"),
    agreement: list[str] = typer.Option([], "--agreement", help="agreement in force with it (repeatable)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record (or update) a peer node."""
    container = open_container()
    with container.transaction() as session:
        peer = directory.add_peer(
            session,
            clock=container.clock,
            actor=_ACTOR,
            node=container.settings.node_jurisdiction,
            jurisdiction=jurisdiction,
            base_url=url,
            name=name,
            agreements=agreement,
        )
        out = _peer_dict(peer)
    if as_json:
        print_json(out)
    else:
        typer.echo(f"peer {out['jurisdiction']} at {out['base_url']}")


@peers_app.command("list")
@guarded
def peers_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List the peer directory."""
    container = open_container()
    with container.transaction() as session:
        peers = [_peer_dict(p) for p in directory.list_peers(session)]
    if as_json:
        print_json(peers)
        return
    for peer in peers:
        typer.echo(
            f"{peer['jurisdiction']}  {peer['status']:8}  {peer['base_url']}  {','.join(peer['agreements'])}"
        )


@peers_app.command("remove")
@guarded
def peers_remove(jurisdiction: str = typer.Argument(...)) -> None:
    """Stop exchanging with a peer (kept on record)."""
    container = open_container()
    with container.transaction() as session:
        directory.remove_peer(session, clock=container.clock, actor=_ACTOR, jurisdiction=jurisdiction)
    typer.echo(f"peer {jurisdiction.upper()} removed")


@trust_app.command("import")
@guarded
def trust_import(
    file: Path = typer.Argument(..., help="the peer's exported trust store (comity keys trust-store export)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Verify and record a peer's trust store; pins its anchor on first import (an audited act)."""
    try:
        document = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}", [FieldError("file", str(exc.strerror))]) from None
    container = open_container()
    with container.transaction() as session:
        row = directory.import_trust(
            session,
            clock=container.clock,
            actor=_ACTOR,
            node=container.settings.node_jurisdiction,
            document=document,
        )
        out = {
            "id": row.id,
            "jurisdiction": row.jurisdiction,
            "anchors": row.anchors.split(","),
            "digest": row.digest,
        }
    if as_json:
        print_json(out)
    else:
        typer.echo(f"trust store of {out['jurisdiction']} imported; anchor(s) {', '.join(out['anchors'])}")


@app.command("send")
@guarded
def send(
    to: str = typer.Option(..., "--to", help="the peer's jurisdiction"),
    kind: str = typer.Option(..., "--type", help="message type, e.g. note"),
    agreement: str = typer.Option(..., "--agreement"),
    facts: str = typer.Option("{}", "--facts", help="non-personal facts, a JSON object"),
    data: str = typer.Option("{}", "--data", help="personal data by category then field, a JSON object"),
    tlp: str = typer.Option("amber+strict", "--tlp"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Queue a message to a peer through the egress gate (the worker delivers it)."""
    container = open_container()
    item = Outbound(
        kind=kind,
        recipient=to.upper(),
        tlp=Tlp.parse(tlp),
        facts=_json_option(facts, "facts"),
        data=_json_option(data, "data"),
    )
    with container.transaction() as session:
        prepared, row = federation_send(
            session,
            clock=container.clock,
            actor=_ACTOR,
            keystore=Keystore.for_settings(container.settings),
            node=container.settings.node_jurisdiction.upper(),
            item=item,
            agreement_id=agreement,
            subject_type="peer",
            subject_id=to.upper(),
        )
        out = {
            "message_id": prepared.message_id,
            "outbox_id": row.id,
            "digest": prepared.digest,
            "kept": list(prepared.minimisation.kept),
            "dropped": list(prepared.minimisation.dropped),
            "pseudonymised": list(prepared.minimisation.pseudonymised),
        }
    if as_json:
        print_json(out)
    else:
        typer.echo(f"queued {out['message_id']} to {to.upper()}")


@messages_app.command("list")
@guarded
def messages_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Messages received from peers, newest first."""
    container = open_container()
    with container.transaction() as session:
        rows = session.scalars(select(ReceivedMessage).order_by(ReceivedMessage.received_at.desc())).all()
        out = [
            {
                "message_id": r.message_id,
                "sender": r.sender,
                "type": r.kind,
                "agreement": r.agreement_id,
                "tlp": r.tlp,
                "received_at": r.received_at,
                "body": r.body,
            }
            for r in rows
        ]
    if as_json:
        print_json(out)
        return
    for m in out:
        typer.echo(f"{m['received_at']}  {m['sender']}  {m['type']}  {m['message_id']}")


def _distribution_dict(report: pseudonyms.Distribution) -> dict[str, Any]:
    return {"generated": report.generated, "sent": report.sent, "errors": report.errors}


@pseudonym_keys_app.command("list")
@guarded
def pseudonym_keys_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """The shared pseudonym keys this node holds: agreement, version, generation, origin, fingerprint."""
    container = open_container()
    keystore = Keystore.for_settings(container.settings)
    with container.transaction() as session:
        out = [
            {
                "agreement": key.agreement_id,
                "version": key.agreement_version,
                "generation": key.generation,
                "origin": key.origin,
                "fingerprint": pseudonyms.key_fingerprint(keystore, key),
                "created_at": key.created_at,
                "retired_at": key.retired_at,
            }
            for key in pseudonyms.list_keys(session)
        ]
    if as_json:
        print_json(out)
        return
    for k in out:
        state = f"retired {k['retired_at']}" if k["retired_at"] else "in use"
        typer.echo(
            f"{k['agreement']} v{k['version']} gen {k['generation']}  {k['origin']}  {k['fingerprint']}  "
            f"created {k['created_at']}  {state}"
        )


@pseudonym_keys_app.command("distribute")
@guarded
def pseudonym_keys_distribute(as_json: bool = typer.Option(False, "--json")) -> None:
    """Generate and send the keys this node stewards (what the worker job does on each tick)."""
    container = open_container()
    with container.transaction() as session:
        report = pseudonyms.ensure_distributed(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            node=container.settings.node_jurisdiction,
            actor=_ACTOR,
        )
        out = _distribution_dict(report)
    if as_json:
        print_json(out)
        return
    typer.echo(f"{len(report.generated)} key(s) generated, {len(report.sent)} message(s) queued")
    for subject, error in report.errors.items():
        typer.echo(f"not sent: {subject}: {error}", err=True)


@pseudonym_keys_app.command("rotate")
@guarded
def pseudonym_keys_rotate(
    agreement: str = typer.Option(..., "--agreement", help="the agreement whose key to rotate"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """On the agreement's steward: retire its current key, make the next generation and send it."""
    container = open_container()
    keystore = Keystore.for_settings(container.settings)
    with container.transaction() as session:
        key, report = pseudonyms.rotate(
            session,
            clock=container.clock,
            keystore=keystore,
            node=container.settings.node_jurisdiction,
            actor=_ACTOR,
            agreement_id=agreement,
        )
        out = {
            "agreement": key.agreement_id,
            "version": key.agreement_version,
            "generation": key.generation,
            "fingerprint": pseudonyms.key_fingerprint(keystore, key),
            **_distribution_dict(report),
        }
    if as_json:
        print_json(out)
        return
    typer.echo(
        f"{out['agreement']} v{out['version']} now at generation {out['generation']} ({out['fingerprint']}); "
        f"{len(report.sent)} message(s) queued"
    )
    for subject, error in report.errors.items():
        typer.echo(f"not sent: {subject}: {error}", err=True)


def _configured(config: Path) -> tuple[Container, dict[str, int]]:
    """Open the node a config file describes, migrate it and apply the file (keys, trust, peers)."""
    _node, container, done = open_node(config, actor=_ACTOR)
    return container, done


@app.command("apply")
@guarded
def apply_config(
    config: Path = typer.Option(..., "--config", help="the node's TOML config file"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Bring a node in line with its config file (keys if asked, peers' trust stores, peers)."""
    _container, done = _configured(config)
    if as_json:
        print_json(done)
    else:
        typer.echo(f"{done['trust_imported']} trust store(s) imported, {done['peers']} peer(s) recorded")


@app.command("serve")
def serve(
    config: Path = typer.Option(..., "--config", help="the node's TOML config file"),
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    worker: bool | None = typer.Option(
        None,
        "--worker/--no-worker",
        help="also run the worker's jobs in a background thread (default: the file's `worker`, false)",
    ),
    worker_interval: float | None = typer.Option(
        None, "--worker-interval", min=0.01, help="seconds between ticks (default: the file's)"
    ),
) -> None:
    """Run one node from its config file: migrate, apply the file, then serve the API and pages (with
    --worker, also the worker's jobs, in a background thread that stops with the server)."""
    import uvicorn

    from comity.logs import configure as configure_logging
    from comity.web.app import create_app
    from comity.worker.background import BackgroundWorker

    with cli_errors():
        node, container, _done = open_node(config, actor=_ACTOR)
    configure_logging(container.settings.log_level, container.settings.log_format)
    background: BackgroundWorker | None = None
    if node.worker if worker is None else worker:
        background = BackgroundWorker(
            container, interval=worker_interval or node.worker_interval, extra=node.worker_jobs()
        )
        background.start()
        # uvicorn shuts down gracefully on SIGTERM, then raises the signal again: end with exit code 0
        # through this handler instead, once the worker thread finished its tick (below).
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(create_app(container=container), host=host, port=port, log_config=None)
    except KeyboardInterrupt:
        pass
    finally:
        if background is not None:
            background.stop()
        container.engine.dispose()


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


@app.command("bootstrap")
@guarded
def bootstrap(
    config: Path = typer.Option(..., "--config", help="the node's TOML config file"),
    export_to: Path = typer.Option(
        ...,
        "--export-to",
        help="folder to write this node's trust store (CODE.json) and log vkey (CODE.vkey)",
    ),
    demo_agreements: bool = typer.Option(
        False,
        "--demo-agreements",
        help="install the bundled (illustrative) agreements, approved by the console: for demos only",
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """First start of a node: migrate, create its keys, export what its peers and witnesses need.

    Peers named in the file are not applied yet (their trust stores may not exist); ``comity serve
    --config FILE`` applies them. Idempotent: run it on every start of a deployment's init step.
    """
    from comity.agreements.service import install_bundled
    from comity.keys.truststore import export_trust_store
    from comity.migrations import upgrade
    from comity.translog import service as translog

    node = NodeConfig.load(config)
    container = Container.from_settings(node.settings())
    upgrade(container.engine)
    code = node.jurisdiction.upper()
    keystore = Keystore.for_settings(container.settings)
    with container.transaction() as session:
        apply(
            node.model_copy(update={"peers": [], "create_keys": True}),
            session,
            clock=container.clock,
            actor=_ACTOR,
            keystore=keystore,
        )
        installed = (
            install_bundled(session, clock=container.clock, proposer=_ACTOR, approver="cli:auditor")
            if demo_agreements
            else {}
        )
    with container.transaction() as session:
        trust = export_trust_store(session, clock=container.clock, keystore=keystore, jurisdictions=[code])
        vkey = translog.log_vkey(session, settings=container.settings, at=container.clock.now())
    container.engine.dispose()
    export_to.mkdir(parents=True, exist_ok=True)
    (export_to / f"{code.lower()}.json").write_bytes(trust)
    (export_to / f"{code.lower()}.vkey").write_text(vkey + "\n", encoding="utf-8")
    out = {
        "jurisdiction": code,
        "trust_store": str(export_to / f"{code.lower()}.json"),
        "log_vkey": vkey,
        "agreements": installed,
    }
    if as_json:
        print_json(out)
    else:
        typer.echo(f"{code}: trust store and log vkey written to {export_to}")

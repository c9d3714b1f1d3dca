"""``comity federation``: the peer directory, importing a peer's trust store, sending and reading messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select

from comity.cli.common import cli_errors, guarded, open_container, print_json
from comity.errors import FieldError, InvalidInput
from comity.federation import directory
from comity.federation.model import Peer, ReceivedMessage
from comity.federation.nodeconfig import NodeConfig, apply
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


def _configured(config: Path) -> tuple[Container, dict[str, int]]:
    """Open the node a config file describes, migrate it and apply the file (keys, trust, peers)."""
    from comity.migrations import upgrade

    node = NodeConfig.load(config)
    container = Container.from_settings(node.settings())
    upgrade(container.engine)
    with container.transaction() as session:
        done = apply(
            node,
            session,
            clock=container.clock,
            actor=_ACTOR,
            keystore=Keystore.for_settings(container.settings),
        )
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
) -> None:
    """Run one node from its config file: migrate, apply the file, then serve the API and pages."""
    import uvicorn

    from comity.logs import configure as configure_logging
    from comity.web.app import create_app

    with cli_errors():
        container, _done = _configured(config)
    configure_logging(container.settings.log_level, container.settings.log_format)
    uvicorn.run(create_app(container=container), host=host, port=port, log_config=None)

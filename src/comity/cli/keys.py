"""``comity keys``: trust anchors, key registration, rotation, revocation and the trust store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from comity.cli.common import guarded, open_container, print_json
from comity.errors import FieldError, InvalidInput
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import queries, service
from comity.keys.keystore import Keystore
from comity.keys.model import RegisteredKey, TrustAnchor
from comity.keys.truststore import export_trust_store
from comity.kinds import AuthorityType
from comity.signing.errors import CodedVerificationError
from comity.signing.keys import KeyPurpose, RevocationReason
from comity.signing.payload import b64decode_strict

app = typer.Typer(
    help="Trust anchors, signing and encryption keys, and the pinned trust store.", no_args_is_help=True
)
anchor_app = typer.Typer(help="Trust anchors (one root key per jurisdiction).", no_args_is_help=True)
trust_store_app = typer.Typer(help="The trust store platforms pin to verify offline.", no_args_is_help=True)
app.add_typer(anchor_app, name="anchor")
app.add_typer(trust_store_app, name="trust-store")


def _key_dict(key: RegisteredKey) -> dict[str, Any]:
    return {
        "keyid": key.keyid,
        "purpose": key.purpose,
        "algorithm": key.algorithm,
        "jurisdiction": key.jurisdiction,
        "organisation": key.organisation,
        "authority_type": key.authority_type,
        "officer": key.officer,
        "public_key": key.public_key,
        "anchor": key.anchor_keyid,
        "valid_from": key.valid_from,
        "valid_until": key.valid_until,
        "status": key.status,
        "replaces": key.replaces,
        "replaced_by": key.replaced_by,
        "revoked_at": key.revoked_at,
        "revocation_reason": key.revocation_reason,
        "private_key_held": key.private_key_held,
    }


def _anchor_dict(anchor: TrustAnchor) -> dict[str, Any]:
    return {
        "keyid": anchor.keyid,
        "jurisdiction": anchor.jurisdiction,
        "public_key": anchor.public_key,
        "local": anchor.local,
        "status": anchor.status,
        "created_at": anchor.created_at,
    }


def _public_key(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return b64decode_strict(value, field="--public-key")
    except CodedVerificationError as exc:
        raise InvalidInput("--public-key is not base64", [FieldError("public_key", exc.detail)]) from None


@anchor_app.command("create")
@guarded
def anchor_create(
    jurisdiction: str = typer.Option(..., "--jurisdiction", help="ISO 3166 alpha-2 code"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Create the trust anchor of a jurisdiction (its root key stays in COMITY_HOME/keys)."""
    container = open_container()
    with container.transaction() as session:
        anchor = service.create_anchor(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=Keystore.for_settings(container.settings),
            jurisdiction=jurisdiction,
        )
        result = _anchor_dict(anchor)
    if as_json:
        print_json(result)
    else:
        typer.echo(f"trust anchor of {result['jurisdiction']}: {result['keyid']}")
        typer.echo("give this key id to platforms through another channel, so they can check what they pin")


@app.command("add")
@guarded
def add(
    purpose: KeyPurpose = typer.Option(..., "--purpose", help="what the key is for"),
    jurisdiction: str = typer.Option(..., "--jurisdiction", help="ISO 3166 alpha-2 code"),
    organisation: str | None = typer.Option(None, "--organisation", help="holder organisation id"),
    authority_type: AuthorityType | None = typer.Option(None, "--authority-type", help="for authority keys"),
    officer: str | None = typer.Option(None, "--officer", help="user id of the officer (officer keys)"),
    valid_days: int = typer.Option(service.DEFAULT_VALIDITY_DAYS, "--valid-days", help="validity period"),
    public_key: str | None = typer.Option(
        None, "--public-key", help="base64; the holder keeps the private key"
    ),
    label: str = typer.Option("", "--label", help="a note for administrators"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Register a key under the jurisdiction's anchor (generated here unless --public-key)."""
    container = open_container()
    with container.transaction() as session:
        key = service.register_key(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=Keystore.for_settings(container.settings),
            jurisdiction=jurisdiction,
            purpose=purpose,
            organisation=organisation,
            authority_type=authority_type,
            officer=officer,
            valid_days=valid_days,
            public_key=_public_key(public_key),
            label=label,
        )
        result = _key_dict(key)
    if as_json:
        print_json(result)
    else:
        typer.echo(
            f"registered {result['purpose']} key {result['keyid']} valid until {result['valid_until']}"
        )


@app.command("rotate")
@guarded
def rotate(
    keyid: str = typer.Argument(..., help="the key to replace"),
    overlap_days: int = typer.Option(7, "--overlap-days", help="days the old key stays valid"),
    valid_days: int | None = typer.Option(None, "--valid-days", help="validity of the new key"),
    public_key: str | None = typer.Option(None, "--public-key", help="base64, if the holder keeps its key"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Replace a key by a new one; the old key stays valid until the cut-over."""
    container = open_container()
    with container.transaction() as session:
        new = service.rotate_key(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=Keystore.for_settings(container.settings),
            keyid=keyid,
            overlap=timedelta(days=overlap_days),
            valid_days=valid_days,
            public_key=_public_key(public_key),
        )
        result = _key_dict(new)
    if as_json:
        print_json(result)
    else:
        typer.echo(f"{keyid} is superseded by {result['keyid']}")


@app.command("revoke")
@guarded
def revoke(
    keyid: str = typer.Argument(..., help="the key to revoke"),
    reason: str = typer.Option(..., "--reason", help="why (published in the trust store; no personal data)"),
    code: RevocationReason = typer.Option(RevocationReason.UNSPECIFIED, "--code", help="RFC 5280 reason"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Revoke a key now; the signed revocation goes into the next trust store."""
    container = open_container()
    with container.transaction() as session:
        key = service.revoke_key(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=Keystore.for_settings(container.settings),
            keyid=keyid,
            comment=reason,
            reason=code,
        )
        result = _key_dict(key)
    if as_json:
        print_json(result)
    else:
        typer.echo(f"revoked {keyid} from {result['revoked_at']}")


@app.command("list")
@guarded
def list_keys(
    jurisdiction: str | None = typer.Option(None, "--jurisdiction"),
    purpose: KeyPurpose | None = typer.Option(None, "--purpose"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List the anchors and registered keys."""
    container = open_container()
    now = container.clock.now()
    with container.transaction() as session:
        anchors = [_anchor_dict(a) for a in queries.list_anchors(session)]
        rows = queries.list_keys(session, jurisdiction=jurisdiction, purpose=purpose)
        keys = [{**_key_dict(k), "status_now": k.effective_status(now)} for k in rows]
    if as_json:
        print_json({"anchors": anchors, "keys": keys})
        return
    for anchor in anchors:
        typer.echo(f"anchor  {anchor['jurisdiction']}  {anchor['keyid']}  {anchor['status']}")
    for key in keys:
        holder = " ".join(
            str(x) for x in (key["jurisdiction"], key["authority_type"], key["organisation"]) if x
        )
        typer.echo(f"{key['status_now']:<13} {key['purpose']:<17} {key['keyid'][:16]}  {holder}")


@trust_store_app.command("export")
@guarded
def trust_store_export(
    file: Path = typer.Argument(..., help="where to write the trust store JSON"),
    jurisdiction: list[str] | None = typer.Option(None, "--jurisdiction", help="only these anchors"),
) -> None:
    """Write the pinned trust store (anchors, signed key statements and revocations, manifests)."""
    container = open_container()
    with container.transaction() as session:
        if not queries.list_anchors(session):
            raise InvalidInput(
                "this node has no trust anchor yet: comity keys anchor create --jurisdiction XX"
            )
        data = export_trust_store(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            jurisdictions=jurisdiction or None,
        )
    file.write_bytes(data)
    typer.echo(f"wrote {file} ({len(data)} bytes)")

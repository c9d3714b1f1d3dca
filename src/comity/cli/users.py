"""`comity orgs ...` and `comity users ...`: organisations, users and their API tokens."""

from __future__ import annotations

import typer

from comity.cli.common import cli_errors, open_container, print_json
from comity.identity import service
from comity.identity.principal import SYSTEM_ACTOR
from comity.kinds import AuthorityType, OrganisationKind, Role

orgs_app = typer.Typer(help="Organisations: authorities, platforms, oversight bodies.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their API tokens.", no_args_is_help=True)


@orgs_app.command("add")
def add_org(
    name: str = typer.Option(..., help="organisation name"),
    kind: OrganisationKind = typer.Option(..., help="authority, platform or oversight"),
    jurisdiction: str = typer.Option(..., help="ISO 3166 code"),
    authority_type: AuthorityType | None = typer.Option(None, help="for authorities only"),
    org_id: str | None = typer.Option(None, "--id", help="stable id (default: generated)"),
    operator: bool = typer.Option(
        False, "--operator", help="this organisation runs the node (its administrators administer it)"
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Register an organisation."""
    with cli_errors():
        container = open_container()
        with container.transaction() as session:
            org = service.create_organisation(
                session,
                clock=container.clock,
                actor=SYSTEM_ACTOR,
                name=name,
                kind=kind,
                jurisdiction=jurisdiction.upper(),
                authority_type=authority_type,
                org_id=org_id,
                operates_node=operator,
            )
            out = {
                "id": org.id,
                "name": org.name,
                "kind": org.kind,
                "jurisdiction": org.jurisdiction,
                "authority_type": org.authority_type,
                "operates_node": org.operates_node,
            }
        print_json(out) if json_out else typer.echo(f"organisation {out['id']} ({out['name']})")


@orgs_app.command("list")
def list_orgs(json_out: bool = typer.Option(False, "--json")) -> None:
    """List organisations."""
    with cli_errors():
        container = open_container()
        with container.transaction() as session:
            rows = [
                {
                    "id": o.id,
                    "name": o.name,
                    "kind": o.kind,
                    "jurisdiction": o.jurisdiction,
                    "authority_type": o.authority_type,
                    "operates_node": o.operates_node,
                }
                for o in service.list_organisations(session)
            ]
        if json_out:
            print_json(rows)
        else:
            for r in rows:
                typer.echo(
                    f"{r['id']}\t{r['jurisdiction']}\t{r['kind']}\t{r['authority_type'] or '-'}\t{r['name']}"
                )


@orgs_app.command("operator")
def set_operator(
    org_id: str = typer.Argument(..., help="organisation id"),
    unset: bool = typer.Option(False, "--unset", help="it no longer runs the node"),
) -> None:
    """Mark the organisation that runs this node: its administrators manage users, keys and peers."""
    with cli_errors():
        container = open_container()
        with container.transaction() as session:
            org = service.set_node_operator(
                session, clock=container.clock, actor=SYSTEM_ACTOR, org_id=org_id, operates_node=not unset
            )
            state = "runs" if org.operates_node else "does not run"
        typer.echo(f"organisation {org_id} {state} this node")


@users_app.command("add")
def add_user(
    username: str = typer.Argument(..., help="login name"),
    role: Role = typer.Option(..., help="officer, judge, platform, auditor or administrator"),
    organisation: str = typer.Option(..., "--org", help="organisation id"),
    display_name: str | None = typer.Option(None),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create a user and print its first bearer token (shown once)."""
    with cli_errors():
        container = open_container()
        with container.transaction() as session:
            issued = service.add_user(
                session,
                clock=container.clock,
                actor=SYSTEM_ACTOR,
                username=username,
                role=role,
                organisation_id=organisation,
                display_name=display_name,
            )
            out = {
                "id": issued.user.id,
                "username": issued.user.username,
                "role": issued.user.role,
                "organisation_id": issued.user.organisation_id,
                "token": issued.token,
            }
        if json_out:
            print_json(out)
        else:
            typer.echo(f"user {out['username']} ({out['role']}); token (shown once): {out['token']}")


@users_app.command("list")
def list_users(json_out: bool = typer.Option(False, "--json")) -> None:
    """List users (never their tokens)."""
    with cli_errors():
        container = open_container()
        with container.transaction() as session:
            rows = [
                {
                    "id": u.id,
                    "username": u.username,
                    "role": u.role,
                    "organisation_id": u.organisation_id,
                    "active": u.active,
                }
                for u in service.list_users(session)
            ]
        if json_out:
            print_json(rows)
        else:
            for r in rows:
                typer.echo(f"{r['username']}\t{r['role']}\t{r['organisation_id']}")

"""Setting up the federated demo's nodes: homes, databases, organisations, users, keys, config files.

Each of IE, DE and FR gets its own home, keystore and database, the bundled agreements, its users and
keys; its trust store is exported for the two others to import, and each gets a node config file naming
the two others as peers (and, for IE and DE, FR's witness). See ``comity.demo.federated``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from comity.agreements.service import install_bundled
from comity.config import Settings
from comity.federation.nodeconfig import NodeConfig, apply
from comity.identity import service as identity
from comity.identity.model import Organisation
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.keys.truststore import export_trust_store
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.migrations import upgrade
from comity.signing.keys import KeyPurpose
from comity.translog import service as translog
from comity.web.container import Container
from comity.witness.config import generate_key

AGREEMENT = "eev-eu5"
CODES = ("IE", "DE", "FR")
#: The node that also runs the witness of the two others' logs.
WITNESS_NODE = "FR"
WITNESSED = ("IE", "DE")
WITNESS_NAME = "witness.comity-demo.example/fr"

#: Demo authorities of every jurisdiction: (id suffix, name, authority type), as the single-node demo's.
_AUTHORITIES: tuple[tuple[str, str, AuthorityType], ...] = (
    ("police", "police cybercrime unit", AuthorityType.POLICE),
    ("prosecutor", "public prosecutor's office", AuthorityType.PROSECUTOR),
    ("court", "district court", AuthorityType.JUDGE),
    ("regulator", "digital services coordinator", AuthorityType.REGULATOR),
)
_ALL_JURISDICTIONS = ("IE", "DE", "FR", "NL", "ES")
_PLATFORMS = (
    ("bazaar-ltd", "Bazaar Ltd (demo marketplace)", "IE"),
    ("marktplatz-gmbh", "Marktplatz GmbH (demo marketplace)", "DE"),
)

#: Users per node: (username, role, organisation id). Tokens are issued on set-up and shown once.
USERS: dict[str, tuple[tuple[str, Role, str], ...]] = {
    "IE": (
        ("ie-admin", Role.ADMINISTRATOR, "org_oversight_ie"),
        ("demo-officer", Role.OFFICER, "org_ie_police"),
        ("demo-judge", Role.JUDGE, "org_ie_court"),
    ),
    "DE": (
        ("de-admin", Role.ADMINISTRATOR, "org_oversight_de"),
        ("demo-officer-de", Role.OFFICER, "org_de_police"),
        ("demo-platform-de", Role.PLATFORM, "marktplatz-gmbh"),
    ),
    "FR": (("fr-admin", Role.ADMINISTRATOR, "org_oversight_fr"),),
}


@dataclass
class DemoNode:
    """One jurisdiction's node as the demo sets it up and drives it."""

    code: str
    home: Path
    port: int
    database_url: str
    config_path: Path
    log_path: Path
    tokens: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self) -> Settings:
        return Settings(
            home=self.home,
            database_url=self.database_url,
            node_jurisdiction=self.code,
            base_url=self.url,
        )


@dataclass
class Witness:
    """The witness process FR runs."""

    port: int
    config_path: Path
    log_path: Path
    vkey: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# -- set-up -------------------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback, for a node or the witness to listen on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def node_databases(base_url: str | None, root: Path, *, keep: bool) -> Iterator[dict[str, str]]:
    """A fresh database URL per node: SQLite files under ``root``, or new PostgreSQL databases."""
    if not base_url:
        yield {code: f"sqlite:///{(root / code.lower() / 'comity.sqlite3').resolve()}" for code in CODES}
        return
    url = make_url(base_url)
    suffix = uuid.uuid4().hex[:8]
    names = {code: f"comity_demo_{code.lower()}_{suffix}" for code in CODES}
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    created: list[str] = []
    try:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                created.append(name)
        yield {
            code: url.set(database=name).render_as_string(hide_password=False) for code, name in names.items()
        }
    finally:
        if not keep:
            with admin.connect() as conn:
                for name in created:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _ensure_org(
    session: Any,
    container: Container,
    org_id: str,
    name: str,
    kind: OrganisationKind,
    jurisdiction: str,
    authority_type: AuthorityType | None = None,
    *,
    operates_node: bool = False,
) -> None:
    if session.get(Organisation, org_id) is None:
        identity.create_organisation(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            name=name,
            kind=kind,
            jurisdiction=jurisdiction,
            authority_type=authority_type,
            org_id=org_id,
            operates_node=operates_node,
        )
    elif operates_node:  # a node set up before organisations were marked as running it
        identity.set_node_operator(
            session, clock=container.clock, actor=SYSTEM_ACTOR, org_id=org_id, operates_node=True
        )


def set_up_node(node: DemoNode) -> str:
    """Migrate, install the agreements, create the organisations, users and keys; return the log vkey."""
    container = Container.from_settings(node.settings())
    try:
        upgrade(container.engine)
        keystore = Keystore.for_settings(container.settings)
        clock = container.clock
        with container.transaction() as session:
            # The directory of organisations is the same on every node (the addressee of a request, the
            # issuing authority of a mirrored one); users, keys and the log are each node's own.
            for code in _ALL_JURISDICTIONS:
                for suffix, name, authority_type in _AUTHORITIES:
                    _ensure_org(
                        session,
                        container,
                        f"org_{code.lower()}_{suffix}",
                        f"{code} {name} (demo)",
                        OrganisationKind.AUTHORITY,
                        code,
                        authority_type,
                    )
            for org_id, name, code in _PLATFORMS:
                _ensure_org(session, container, org_id, name, OrganisationKind.PLATFORM, code)
            _ensure_org(
                session,
                container,
                f"org_oversight_{node.code.lower()}",
                f"{node.code} oversight board (demo)",
                OrganisationKind.OVERSIGHT,
                node.code,
                operates_node=True,
            )
            for username, role, org_id in USERS[node.code]:
                issued = identity.add_user(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    username=username,
                    role=role,
                    organisation_id=org_id,
                )
                node.tokens[username] = issued.token
            install_bundled(
                session,
                clock=clock,
                proposer=f"user:{node.code.lower()}-admin",
                approver=f"user:{node.code.lower()}-auditor",
            )
        with container.transaction() as session:
            config = NodeConfig(jurisdiction=node.code, home=node.home, create_keys=True)
            apply(config, session, clock=clock, actor=SYSTEM_ACTOR, keystore=keystore)
            # The node's authorities sign orders and validations; its officers and judges sign custody
            # events. Their keys are registered now, so the trust store the peers import already has them.
            for suffix, _name, authority_type in _AUTHORITIES:
                keys.register_key(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    keystore=keystore,
                    jurisdiction=node.code,
                    purpose=KeyPurpose.AUTHORITY_SIGNING,
                    organisation=f"org_{node.code.lower()}_{suffix}",
                    authority_type=authority_type,
                    label=f"org_{node.code.lower()}_{suffix} (demo)",
                )
            for user in identity.list_users(session):
                if Role(user.role) in (Role.OFFICER, Role.JUDGE):
                    keys.register_key(
                        session,
                        clock=clock,
                        actor=SYSTEM_ACTOR,
                        keystore=keystore,
                        jurisdiction=node.code,
                        purpose=KeyPurpose.OFFICER_SIGNING,
                        organisation=user.organisation_id,
                        officer=user.id,
                        label=f"custody key of {user.id}",
                    )
        with container.transaction() as session:
            trust = export_trust_store(session, clock=clock, keystore=keystore, jurisdictions=[node.code])
            (node.home.parent / "trust").mkdir(exist_ok=True)
            (node.home.parent / "trust" / f"{node.code.lower()}.json").write_bytes(trust)
            return translog.log_vkey(session, settings=container.settings, at=clock.now())
    finally:
        container.engine.dispose()


def _toml(value: Any) -> str:
    return json.dumps(str(value) if isinstance(value, Path) else value)


def write_node_config(node: DemoNode, nodes: dict[str, DemoNode], witness: Witness, interval: float) -> None:
    """Write ``node``'s config file: its peers (the two other nodes) and, if witnessed, FR's witness."""
    lines = [
        f'name = "{node.code.lower()}-node"',
        f'jurisdiction = "{node.code}"',
        f"home = {_toml(node.home)}",
        f"database_url = {_toml(node.database_url)}",
        f"base_url = {_toml(node.url)}",
        "create_keys = true",
        "worker = true",
        f"worker_interval = {interval}",
    ]
    for peer in nodes.values():
        if peer.code == node.code:
            continue
        lines += [
            "",
            "[[peers]]",
            f'jurisdiction = "{peer.code}"',
            f"url = {_toml(peer.url)}",
            f'trust_store = "trust/{peer.code.lower()}.json"',
            f'agreements = ["{AGREEMENT}"]',
        ]
    if node.code in WITNESSED:
        lines += ["", "[[witnesses]]", f"url = {_toml(witness.url)}", f"vkey = {_toml(witness.vkey)}"]
    node.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_witness_config(witness: Witness, home: Path, vkeys: dict[str, str]) -> None:
    """Generate the witness key under ``home`` and write the witness config for the witnessed logs."""
    key = generate_key(home / "witness" / "witness.key", name=WITNESS_NAME)
    witness.vkey = key.verifier.vkey
    lines = [
        f"name = {_toml(WITNESS_NAME)}",
        'key_file = "witness.key"',
        'state_file = "witness-state.json"',
        'host = "127.0.0.1"',
        f"port = {witness.port}",
    ]
    for code in WITNESSED:
        lines += ["", "[[log]]", f"vkey = {_toml(vkeys[code])}"]
    witness.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def apply_configs(nodes: dict[str, DemoNode]) -> dict[str, dict[str, int]]:
    """Each node imports its peers' trust stores and records them (as ``comity federation apply``)."""
    done: dict[str, dict[str, int]] = {}
    for node in nodes.values():
        config = NodeConfig.load(node.config_path)
        container = Container.from_settings(node.settings())
        try:
            with container.transaction() as session:
                done[node.code] = apply(
                    config,
                    session,
                    clock=container.clock,
                    actor="cli:administrator",
                    keystore=Keystore.for_settings(container.settings),
                )
        finally:
            container.engine.dispose()
    return done

"""The federated demo: three real nodes on loopback, one cross-border request end to end between them.

``comity demo --federated`` sets up three jurisdictions' nodes, IE, DE and FR, each with its own home,
keystore and database (a SQLite file, or a fresh PostgreSQL database per node under
``--database-url-base``), its own anchor and node keys, the bundled agreements (``eev-eu5`` between IE,
DE, FR, NL and ES) and its own users. Each node's trust store is exported and imported by the two others
(the deliberate, audited import ``comity federation trust import`` makes), each names the two others as
peers, and each gets a node config file. FR also runs a C2SP tlog-witness (``comity witness serve``) that
IE's and DE's logs send their checkpoints to (``[[witnesses]]`` in their config files).

Then it starts four real processes, ``comity serve --config FILE --worker`` per node and the witness,
and drives the story over HTTP with the users' bearer tokens:

1. the shared pseudonym key of ``eev-eu5`` reaches every party from its steward (DE);
2. IE's officer opens a case (offence, seller account), drafts a production request to DE, a judge
   validates it, the officer transmits it;
3. DE's mirror of the request appears (same request and case ids); DE's officer accepts it;
4. the evidence (the German marketplace's answer) is uploaded for the request's case on DE and sealed;
   the request is marked delivered; the evidence is transferred to IE;
5. IE's request shows the delivered status and IE holds the received evidence item;
6. every outbox is drained and every received message handled;
7. IE's and DE's latest log checkpoints carry the witness's cosignature;
8. the processes stop and each node's database is counted (messages sent, delivered, receipts,
   received, handled, failures).

A stage that does not complete in time stops the demo with the stage's name (exit 1); the processes are
always stopped. Demo jurisdictions, agreements and people are illustrative.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from comity.agreements.service import install_bundled
from comity.clock import SystemClock
from comity.config import Settings
from comity.errors import ComityError
from comity.federation.model import AgreementPseudonymKey, ReceivedMessage
from comity.federation.nodeconfig import NodeConfig, apply
from comity.federation.outbound import CHANNEL as FEDERATION_CHANNEL
from comity.identity import service as identity
from comity.identity.model import Organisation
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.keys.truststore import export_trust_store
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.migrations import upgrade
from comity.outbox.model import OutboxMessage, OutboxStatus
from comity.signing.keys import KeyPurpose
from comity.translog import service as translog
from comity.web.container import Container
from comity.witness.config import generate_key

T = TypeVar("T")

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

_CHILD_ENV_DROPPED = (
    "COMITY_HOME",
    "COMITY_DATABASE_URL",
    "COMITY_NODE_JURISDICTION",
    "COMITY_BASE_URL",
    "COMITY_LOG_ORIGIN",
)


class FederatedDemoError(ComityError):
    """The federated demo could not complete a stage; the message says which and why."""

    status = 500
    title = "Federated demo failed"
    type_slug = "federated-demo-failed"

    def __init__(self, stage: str, detail: str) -> None:
        super().__init__(f"stage {stage!r}: {detail}")
        self.stage = stage
        self.reason = detail


class StageTimeout(FederatedDemoError):
    """A stage did not complete within its time limit."""


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


@dataclass
class Run:
    """What the demo did, for the JSON it prints."""

    started: float = field(default_factory=time.monotonic)
    stages: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)
    _stage_started: float = field(default_factory=time.monotonic)

    def done(self, stage: str, what: str, **details: Any) -> None:
        now = time.monotonic()
        self.stages.append(
            {"stage": stage, "what": what, "seconds": round(now - self._stage_started, 3), **details}
        )
        self._stage_started = now


# -- set-up -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _databases(base_url: str | None, root: Path, *, keep: bool) -> Iterator[dict[str, str]]:
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
        )


def _set_up_node(node: DemoNode) -> str:
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


def _write_node_config(node: DemoNode, nodes: dict[str, DemoNode], witness: Witness, interval: float) -> None:
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


def _write_witness_config(witness: Witness, home: Path, vkeys: dict[str, str]) -> None:
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


def _apply_configs(nodes: dict[str, DemoNode]) -> dict[str, dict[str, int]]:
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


# -- processes -----------------------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CHILD_ENV_DROPPED}
    env.setdefault("COMITY_LOG_LEVEL", "WARNING")
    return env


def _start(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(  # noqa: S603 (this interpreter, the demo's own arguments)
            [sys.executable, "-m", "comity.cli.main", *args],
            env=_child_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class _Processes:
    """The running processes; each wait checks they are still alive, so a crash is named at once."""

    def __init__(self) -> None:
        self.named: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}

    def add(self, name: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.named[name] = (process, log_path)

    def check(self, stage: str) -> None:
        for name, (process, log_path) in self.named.items():
            if process.poll() is not None:
                raise FederatedDemoError(
                    stage,
                    f"the {name} process exited with code {process.returncode}; its log ({log_path}):\n"
                    + _tail(log_path),
                )

    def stop_all(self) -> None:
        for process, _ in self.named.values():
            _stop(process)


def _wait(processes: _Processes, stage: str, what: str, probe: Callable[[], T | None], timeout: float) -> T:
    """Poll ``probe`` until it returns something; raise :class:`StageTimeout` naming the stage."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while True:
        processes.check(stage)
        try:
            found = probe()
        except (httpx.HTTPError, FederatedDemoError) as exc:
            found, last_error = None, str(exc)
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            suffix = f" (last: {last_error[:300]})" if last_error else ""
            raise StageTimeout(stage, f"timed out after {timeout:g}s waiting for {what}{suffix}")
        time.sleep(0.2)


def _healthy(url: str) -> bool | None:
    try:
        return True if httpx.get(url + "/healthz", timeout=2).status_code == 200 else None
    except httpx.TransportError:
        return None


# -- the story over HTTP ------------------------------------------------------------------------------


class _Api:
    """JSON over HTTP to one node with one user's token; every call must succeed or the stage fails."""

    def __init__(self, node: DemoNode) -> None:
        self.node = node
        self.client = httpx.Client(base_url=node.url + "/api/v1", timeout=30)

    def call(self, stage: str, method: str, path: str, who: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.node.tokens[who]}", **kwargs.pop("headers", {})}
        response = self.client.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise FederatedDemoError(
                stage,
                f"{self.node.code} {method} {path} as {who}: {response.status_code} {response.text[:500]}",
            )
        return response.json()

    def close(self) -> None:
        self.client.close()


def _cosignatures(node: DemoNode) -> dict[str, Any] | None:
    """The latest checkpoint of ``node``'s log if the witness cosigned it."""
    response = httpx.get(node.url + "/api/v1/log/checkpoint", timeout=5)
    if response.status_code != 200:
        return None
    note = response.text
    lines = [line for line in note.splitlines() if line.startswith(f"\u2014 {WITNESS_NAME} ")]
    if not lines:
        return None
    body = note.split("\n\n", 1)[0].splitlines()
    return {"origin": body[0], "size": int(body[1]), "cosignatures": lines}


def _pseudonym_keys(node: DemoNode) -> int:
    engine = create_engine(node.database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(AgreementPseudonymKey)
                    .where(AgreementPseudonymKey.agreement_id == AGREEMENT)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _every_node_holds_a_pseudonym_key(nodes: dict[str, DemoNode]) -> dict[str, int] | None:
    held = {code: _pseudonym_keys(node) for code, node in nodes.items()}
    return held if all(held.values()) else None


def _figures(node: DemoNode) -> dict[str, int]:
    """A node's federation figures, read from its database."""
    engine = create_engine(node.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(OutboxMessage.status, OutboxMessage.evidence).where(
                    OutboxMessage.channel == FEDERATION_CHANNEL
                )
            ).all()
            received = conn.execute(
                select(ReceivedMessage.retrieved_at, ReceivedMessage.handling_failed_at)
            ).all()
    finally:
        engine.dispose()
    return {
        "messages_sent": len(rows),
        "delivered": sum(1 for r in rows if r.status == OutboxStatus.DELIVERED.value),
        "receipts": sum(1 for r in rows if isinstance(r.evidence, dict) and r.evidence.get("receipt")),
        "pending": sum(
            1 for r in rows if r.status in (OutboxStatus.PENDING.value, OutboxStatus.DELIVERING.value)
        ),
        "failed": sum(1 for r in rows if r.status == OutboxStatus.FAILED.value),
        "received": len(received),
        "handled": sum(1 for r in received if r.retrieved_at is not None),
        "handling_failed": sum(1 for r in received if r.handling_failed_at is not None),
    }


def _settled(nodes: dict[str, DemoNode]) -> dict[str, dict[str, int]] | None:
    figures = {code: _figures(node) for code, node in nodes.items()}
    busy = any(f["pending"] or f["handled"] + f["handling_failed"] < f["received"] for f in figures.values())
    return None if busy else figures


def _story(nodes: dict[str, DemoNode], processes: _Processes, run: Run, timeout: float) -> dict[str, Any]:
    ie, de = _Api(nodes["IE"]), _Api(nodes["DE"])
    try:
        return _drive(nodes, ie, de, processes, run, timeout)
    finally:
        ie.close()
        de.close()


def _drive(
    nodes: dict[str, DemoNode], ie: _Api, de: _Api, processes: _Processes, run: Run, timeout: float
) -> dict[str, Any]:
    held = _wait(
        processes,
        "pseudonym_keys",
        f"the shared pseudonym key of {AGREEMENT} on every node",
        partial(_every_node_holds_a_pseudonym_key, nodes),
        timeout,
    )
    run.done("pseudonym_keys", f"the steward (DE) shared the pseudonym key of {AGREEMENT}", keys=held)

    now = SystemClock().now()
    case = ie.call(
        "case",
        "POST",
        "/cases",
        "demo-officer",
        json={
            "title": "Counterfeit watches sold to Irish buyers",
            "jurisdictional_links": ["victims_in_territory"],
        },
    )
    case_id = case["id"]
    offence = ie.call(
        "case",
        "POST",
        f"/cases/{case_id}/offences",
        "demo-officer",
        json={"taxonomy_code": "counterfeit_goods", "statute": "IE-TMA-1996-s92"},
    )
    target = ie.call(
        "case",
        "POST",
        f"/cases/{case_id}/targets",
        "demo-officer",
        json={"kind": "seller_account", "identifier": "watchdeals-4711", "data_category": "subscriber"},
    )
    run.ids["case"] = case_id
    run.done("case", "IE officer opens a case: offence, statute, seller account", case=case_id)

    draft = ie.call(
        "request",
        "POST",
        f"/cases/{case_id}/requests",
        "demo-officer",
        json={
            "offence_id": offence["offences"][0]["id"],
            "target_ids": [target["targets"][0]["id"]],
            "agreement_id": AGREEMENT,
            "to_state": "DE",
            "measure": "production",
            # Traffic data of a seller who does not live in IE: DE, the enforcing state, is notified and
            # reviews the order before the marketplace must answer (e-Evidence Art. 8(1), 10(2)).
            "data_category": "traffic",
            "person_resides_in_issuing": False,
            "time_from": (now - timedelta(days=90)).isoformat(),
            "time_to": now.isoformat(),
            "addressee_organisation_id": "marktplatz-gmbh",
        },
    )
    request_id = draft["id"]
    run.ids["request"] = request_id
    ie.call("request", "POST", f"/requests/{request_id}/submit", "demo-officer", json={})
    validated = ie.call("request", "POST", f"/requests/{request_id}/validate", "demo-judge")
    sent = ie.call("request", "POST", f"/requests/{request_id}/transmit", "demo-officer")
    run.done(
        "request",
        "IE drafts a production request to DE; a judge validates it; the officer transmits it",
        validated=validated["status"],
        status=sent["status"],
    )

    def mirrored() -> dict[str, Any] | None:
        page = de.call("mirror", "GET", "/requests", "demo-officer-de")
        return next((r for r in page["items"] if r["id"] == request_id), None)

    mirror = _wait(processes, "mirror", f"DE's mirror of request {request_id}", mirrored, timeout)
    run.done(
        "mirror",
        "the request travels over federation; DE mirrors it with the same request and case ids",
        status=mirror["status"],
        case=mirror["case_id"],
    )

    accepted = de.call("accept", "POST", f"/requests/{request_id}/accept", "demo-officer-de")
    run.done(
        "accept",
        "DE's officer reviews the notified order and accepts it (no ground for refusal, Art. 12)",
        status=accepted["status"],
    )

    evidence_query = {
        "kind": "dataset",
        "case_id": mirror["case_id"],
        "data_category": "traffic",
        "tlp": "amber",
        "legal_authority": f"EPOC {request_id} (Regulation (EU) 2023/1543 Art. 5)",
        "retention_until": (now + timedelta(days=365)).isoformat(),
        "filename": "traffic-data.csv",
    }
    content = b"account,logged_in_at,source_ip\nwatchdeals-4711,2026-09-01T08:00:00Z,198.51.100.7\n"
    # The marketplace hands its answer to DE's authority, whose officer records it into custody (custody
    # is an officer's or a judge's act on every node) and seals it for the transfer.
    collector = "demo-officer-de"
    evidence = de.call(
        "evidence",
        "POST",
        "/evidence",
        collector,
        params=evidence_query,
        content=content,
        headers={"Content-Type": "text/csv"},
    )
    de.call("evidence", "POST", f"/evidence/{evidence['id']}/events", collector, json={"action": "sealed"})
    run.ids["evidence_de"] = evidence["id"]
    run.done(
        "evidence",
        "the marketplace's answer is collected on DE for the request's case and sealed",
        evidence=evidence["id"],
        sha256=evidence["sha256"],
        collected_by=collector,
    )

    delivered = de.call("delivered", "POST", f"/requests/{request_id}/delivered", "demo-platform-de", json={})
    run.done("delivered", "the German marketplace marks the request delivered", status=delivered["status"])

    sender = collector
    de.call(
        "transfer",
        "POST",
        f"/evidence/{evidence['id']}/transfer",
        sender,
        json={"to": "IE", "agreement_id": AGREEMENT},
    )
    run.done(
        "transfer",
        "DE transfers the sealed evidence to IE (a signed custody event on each side)",
        by=sender,
    )

    de_status = de.call("delivered", "GET", f"/requests/{request_id}", "demo-officer-de")["status"]

    def ie_delivered() -> dict[str, Any] | None:
        detail = ie.call("ie_status", "GET", f"/requests/{request_id}", "demo-officer")
        return detail if detail["status"] == de_status else None

    ie_detail = _wait(processes, "ie_status", f"IE's request to show {de_status!r}", ie_delivered, timeout)
    run.done(
        "ie_status", "DE's steps reach IE: its request shows the same status", status=ie_detail["status"]
    )

    def ie_holds() -> dict[str, Any] | None:
        items = ie.call("ie_evidence", "GET", "/evidence", "demo-officer", params={"case_id": case_id})
        return next((i for i in items if i["sha256"] == evidence["sha256"]), None)

    received = _wait(processes, "ie_evidence", "the transferred evidence on IE", ie_holds, timeout)
    run.ids["evidence_ie"] = received["id"]
    run.done(
        "ie_evidence",
        "IE holds the received evidence item, same content address",
        evidence=received["id"],
        state=received["state"],
    )

    _wait(
        processes,
        "settle",
        "every outbox drained and every received message handled",
        lambda: _settled(nodes),
        timeout,
    )
    final = {
        "IE": ie.call("final", "GET", f"/requests/{request_id}", "demo-officer")["status"],
        "DE": de.call("final", "GET", f"/requests/{request_id}", "demo-officer-de")["status"],
    }
    ie_items = ie.call("final", "GET", "/evidence", "demo-officer", params={"case_id": case_id})
    de_items = de.call("final", "GET", "/evidence", "demo-officer-de", params={"case_id": mirror["case_id"]})
    run.done("settle", "every message delivered, receipted and handled on every node")

    witnessed: dict[str, Any] = {}
    for code in WITNESSED:
        node = nodes[code]
        witnessed[code] = _wait(
            processes,
            "witness",
            f"a checkpoint of {code}'s log cosigned by {WITNESS_NAME}",
            partial(_cosignatures, node),
            timeout,
        )
    run.done(
        "witness",
        "IE's and DE's log checkpoints are cosigned by FR's witness",
        sizes={c: w["size"] for c, w in witnessed.items()},
    )
    return {
        "request_id": request_id,
        "case_id": case_id,
        "statuses": final,
        "evidence": {
            "DE": [{"id": i["id"], "sha256": i["sha256"], "state": i["state"]} for i in de_items],
            "IE": [{"id": i["id"], "sha256": i["sha256"], "state": i["state"]} for i in ie_items],
        },
        "witness": {"name": WITNESS_NAME, "checkpoints": witnessed},
    }


# -- the whole run ------------------------------------------------------------------------------------


@contextmanager
def _terminated_as_exit() -> Iterator[None]:
    """SIGTERM ends the demo as Ctrl-C does: through the clean-up that stops the node processes (and, while
    the nodes are kept running, with the summary)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class Options:
    home: Path | None = None
    database_url_base: str | None = None
    #: Keep the PostgreSQL databases after the run (default: only when ``home`` is given).
    keep_databases: bool | None = None
    timeout: float = 90.0
    worker_interval: float = 0.3
    keep_running: bool = False
    on_ready: Callable[[dict[str, Any]], None] | None = None


def run(options: Options) -> dict[str, Any]:
    """Set up the three nodes and the witness, run them, drive the story, stop them; return the summary."""
    run_log = Run()
    temporary = options.home is None
    root = Path(tempfile.mkdtemp(prefix="comity-federated-")) if options.home is None else options.home
    if not temporary:
        if root.exists() and any(root.iterdir()):
            raise FederatedDemoError("setup", f"{root} is not empty: the federated demo sets up new nodes")
        root.mkdir(parents=True, exist_ok=True)
    keep_logs = False
    try:
        with ExitStack() as stack:
            stack.enter_context(_terminated_as_exit())
            keep = not temporary if options.keep_databases is None else options.keep_databases
            databases = stack.enter_context(_databases(options.database_url_base, root, keep=keep))
            (root / "logs").mkdir(exist_ok=True)
            nodes = {
                code: DemoNode(
                    code=code,
                    home=root / code.lower(),
                    port=_free_port(),
                    database_url=databases[code],
                    config_path=root / f"{code.lower()}.toml",
                    log_path=root / "logs" / f"{code.lower()}.log",
                )
                for code in CODES
            }
            witness = Witness(
                port=_free_port(),
                config_path=root / WITNESS_NODE.lower() / "witness" / "witness.toml",
                log_path=root / "logs" / "witness.log",
            )
            vkeys = {code: _set_up_node(node) for code, node in nodes.items()}
            _write_witness_config(witness, nodes[WITNESS_NODE].home, vkeys)
            for node in nodes.values():
                _write_node_config(node, nodes, witness, options.worker_interval)
            applied = _apply_configs(nodes)
            run_log.done(
                "setup",
                "three nodes, each its own home, keystore, database, keys and users; trust stores exchanged, "
                "peers recorded; FR's witness configured for IE's and DE's logs",
                trust_imported={c: d["trust_imported"] for c, d in applied.items()},
                peers={c: d["peers"] for c, d in applied.items()},
            )

            processes = _Processes()
            stack.callback(processes.stop_all)
            witness.process = _start(
                ["witness", "serve", "--config", str(witness.config_path)], witness.log_path
            )
            processes.add("witness", witness.process, witness.log_path)
            for node in nodes.values():
                node.process = _start(
                    ["serve", "--config", str(node.config_path), "--port", str(node.port), "--worker"],
                    node.log_path,
                )
                processes.add(f"{node.code} node", node.process, node.log_path)
            for name, url in [("witness", witness.url), *((n.code, n.url) for n in nodes.values())]:
                _wait(
                    processes,
                    "start",
                    f"{name} at {url} to answer /healthz",
                    partial(_healthy, url),
                    options.timeout,
                )
            run_log.done(
                "start",
                "four processes: `comity serve --config FILE --worker` per node, and `comity witness serve`",
                urls={**{c: n.url for c, n in nodes.items()}, "witness": witness.url},
            )

            story = _story(nodes, processes, run_log, options.timeout)

            if options.keep_running and options.on_ready is not None:
                options.on_ready(
                    {
                        "urls": {**{c: n.url for c, n in nodes.items()}, "witness": witness.url},
                        "tokens": {c: n.tokens for c, n in nodes.items()},
                        "home": str(root),
                    }
                )
                try:
                    while True:
                        processes.check("serve")
                        time.sleep(0.5)
                except KeyboardInterrupt:
                    pass
            processes.stop_all()
            figures = {code: _figures(node) for code, node in nodes.items()}
    except FederatedDemoError as exc:
        # The nodes' logs say why; they are kept (the temporary folder too) for the operator to read.
        keep_logs = True
        raise type(exc)(exc.stage, f"{exc.reason} (node logs kept in {root / 'logs'})") from None
    finally:
        if temporary and not keep_logs:
            shutil.rmtree(root, ignore_errors=True)
    totals = {
        key: sum(f[key] for f in figures.values())
        for key in ("messages_sent", "delivered", "receipts", "received", "handled")
    }
    failures = sum(f["failed"] + f["handling_failed"] for f in figures.values())
    return {
        **totals,
        "failures": failures,
        "nodes": figures,
        **story,
        "ids": run_log.ids,
        "stages": run_log.stages,
        "home": None if temporary else str(root),
        "databases": "postgresql" if options.database_url_base else "sqlite",
        "wall_seconds": round(time.monotonic() - run_log.started, 3),
    }

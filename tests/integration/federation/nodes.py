"""Several federation nodes for tests: each its own database (a SQLite file, or a PostgreSQL database
created from COMITY_TEST_DATABASE_URL), its own home and keystore, its own anchor and node keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from comity.agreements.service import install_bundled
from comity.assistance_requests.model import AssistanceRequest
from comity.cases.model import Case, CaseMember, CaseOffence
from comity.clock import Clock
from comity.config import Settings
from comity.federation import directory
from comity.identity.principal import SYSTEM_ACTOR
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.keys.truststore import export_trust_store
from comity.migrations import upgrade
from comity.signing.keys import KeyPurpose
from comity.web.container import Container

AGREEMENT = "eev-eu5"  # demo e-Evidence agreement between IE, DE, FR, NL and ES


@contextmanager
def node_database(name: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL for one node; dropped afterwards on PostgreSQL."""
    base = os.environ.get("COMITY_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        return
    url = make_url(base)
    database = f"comity_fed_{name.lower()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield url.set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Node:
    """One jurisdiction's node as a test drives it."""

    code: str
    container: Container
    keystore: Keystore

    @property
    def settings(self) -> Settings:
        return self.container.settings

    def env(self) -> dict[str, str]:
        """The environment a ``comity`` process of this node runs with."""
        return {
            **os.environ,
            "COMITY_HOME": str(self.settings.home),
            "COMITY_DATABASE_URL": self.settings.resolved_database_url,
            "COMITY_NODE_JURISDICTION": self.code,
            "COMITY_LOG_LEVEL": "WARNING",
        }

    def trust_store(self) -> bytes:
        with self.container.transaction() as session:
            return export_trust_store(
                session, clock=self.container.clock, keystore=self.keystore, jurisdictions=[self.code]
            )

    def node_key(self, purpose: KeyPurpose) -> str:
        with self.container.transaction() as session:
            return keys.current_key(
                session, purpose=purpose, jurisdiction=self.code, at=self.container.clock.now()
            ).keyid


def make_node(code: str, *, home: Path, database_url: str, clock: Clock) -> Node:
    """A migrated node with the bundled agreements approved, its anchor and its node keys."""
    settings = Settings(home=home, database_url=database_url, node_jurisdiction=code)
    container = Container.from_settings(settings, clock=clock)
    upgrade(container.engine)
    keystore = Keystore.for_settings(settings)
    with container.transaction() as session:
        install_bundled(session, clock=clock, proposer="user:admin", approver="user:auditor")
        keys.create_anchor(session, clock=clock, actor=SYSTEM_ACTOR, keystore=keystore, jurisdiction=code)
        for purpose in (KeyPurpose.NODE_SIGNING, KeyPurpose.NODE_ENCRYPTION):
            keys.register_key(
                session,
                clock=clock,
                actor=SYSTEM_ACTOR,
                keystore=keystore,
                jurisdiction=code,
                purpose=purpose,
            )
    return Node(code=code, container=container, keystore=keystore)


def introduce(node: Node, peer: Node, *, base_url: str, agreements: tuple[str, ...] = (AGREEMENT,)) -> None:
    """``node`` imports ``peer``'s trust store and records it as a peer at ``base_url``."""
    document = peer.trust_store()
    with node.container.transaction() as session:
        directory.import_trust(
            session, clock=node.container.clock, actor=SYSTEM_ACTOR, node=node.code, document=document
        )
        directory.add_peer(
            session,
            clock=node.container.clock,
            actor=SYSTEM_ACTOR,
            node=node.code,
            jurisdiction=peer.code,
            base_url=base_url,
            agreements=agreements,
        )


def share_case(node: Node, case_id: str, *, peers: tuple[str, ...], lead_organisation: str) -> None:
    """Record on ``node`` a case ``case_id`` that it shares with each of ``peers`` through a federated
    request (the state transfers of evidence attach to), creating it if it is not there yet.

    The request rows are bare fixtures for the custody tests (the request workflow has its own tests):
    what matters here is that the case exists and is linked to each peer.
    """
    container = node.container
    now = container.clock.now()
    with container.transaction() as session:
        if session.get(Case, case_id) is None:
            session.add(
                Case(
                    id=case_id,
                    title=f"shared case {case_id}",
                    summary="",
                    lead_jurisdiction=node.code,
                    lead_organisation_id=lead_organisation,
                    jurisdictional_links=["offence_in_territory"],
                    status="open",
                    opened_by=SYSTEM_ACTOR,
                    opened_at=now,
                    reopen_count=0,
                )
            )
            session.flush()
        offence = session.scalar(select(CaseOffence.id).where(CaseOffence.case_id == case_id))
        if offence is None:
            offence = f"off_{uuid.uuid4().hex[:16]}"
            session.add(
                CaseOffence(
                    id=offence,
                    case_id=case_id,
                    taxonomy_code="counterfeit_goods",
                    jurisdiction=node.code,
                    statute="fixture",
                    added_by=SYSTEM_ACTOR,
                    added_at=now,
                )
            )
            session.flush()
        for peer in peers:
            linked = session.scalar(
                select(AssistanceRequest.id).where(
                    AssistanceRequest.case_id == case_id, AssistanceRequest.federated_with == peer
                )
            )
            if linked is not None:
                continue
            session.add(
                AssistanceRequest(
                    id=f"req_{uuid.uuid4().hex[:16]}",
                    case_id=case_id,
                    procedure="eev_production",
                    regime="e_evidence",
                    measure="production",
                    data_category="content",
                    agreement_id=AGREEMENT,
                    agreement_version=1,
                    offence_id=offence,
                    offence_code="counterfeit_goods",
                    statute="fixture",
                    from_state=node.code,
                    to_state=peer,
                    target_ids=[],
                    issuer_authority="judge",
                    status="delivered",
                    transmitted_at=now,
                    created_by=SYSTEM_ACTOR,
                    created_at=now,
                    updated_at=now,
                    federated_with=peer,
                    mirror=False,
                )
            )


def join(node: Node, case_id: str, user_id: str) -> None:
    """Make ``user_id`` an investigator of ``case_id`` on ``node`` (from now on)."""
    now = node.container.clock.now()
    with node.container.transaction() as session:
        session.add(
            CaseMember(
                id=f"mem_{uuid.uuid4().hex[:16]}",
                case_id=case_id,
                user_id=user_id,
                role="investigator",
                jurisdiction=node.code,
                starts_at=now,
                ends_at=None,
                added_by=SYSTEM_ACTOR,
                added_at=now,
            )
        )

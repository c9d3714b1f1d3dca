"""The peer directory and trust imports: the administration API and the rules of importing trust."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from comity.audit.model import AuditEvent
from comity.clock import FixedClock
from comity.errors import Conflict, InvalidInput
from comity.federation import directory
from comity.identity import service as identity
from comity.identity.principal import SYSTEM_ACTOR
from comity.kinds import OrganisationKind, Role
from comity.signing.errors import MalformedTrustStore
from integration.federation.nodes import Node
from support import bearer


def admin_token(node: Node, role: Role = Role.ADMINISTRATOR) -> str:
    with node.container.transaction() as session:
        org = identity.create_organisation(
            session,
            clock=node.container.clock,
            actor=SYSTEM_ACTOR,
            name=f"{node.code} oversight",
            kind=OrganisationKind.OVERSIGHT,
            jurisdiction=node.code,
            operates_node=True,  # its administrators administer the node (peers, trust)
        )
        return identity.add_user(
            session,
            clock=node.container.clock,
            actor=SYSTEM_ACTOR,
            username=f"{role.value}-{node.code.lower()}",
            role=role,
            organisation_id=org.id,
        ).token


def test_admin_manages_peers_and_imports_trust_over_the_api(
    nodes: dict[str, Node], http: dict[str, TestClient]
) -> None:
    de, fr = nodes["DE"], nodes["FR"]
    client = http["DE"]
    token = admin_token(de)
    assert client.get("/api/v1/federation/peers").status_code == 401
    auditor = admin_token(de, Role.AUDITOR)
    assert client.get("/api/v1/federation/peers", headers=bearer(auditor)).status_code == 403

    imported = client.post("/api/v1/federation/trust", content=fr.trust_store(), headers=bearer(token))
    assert imported.status_code == 201, imported.text
    assert imported.json()["jurisdiction"] == "FR"
    added = client.post(
        "/api/v1/federation/peers",
        json={"jurisdiction": "fr", "base_url": "https://fr.node.test/", "agreements": ["eev-eu5"]},
        headers=bearer(token),
    )
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["jurisdiction"] == "FR"
    assert body["base_url"] == "https://fr.node.test"
    assert len(body["anchors"]) == 1
    listed = client.get("/api/v1/federation/peers", headers=bearer(token)).json()
    assert [p["jurisdiction"] for p in listed] == ["FR", "IE"]
    removed = client.delete("/api/v1/federation/peers/FR", headers=bearer(token))
    assert removed.json()["status"] == "removed"
    bad = client.post(
        "/api/v1/federation/peers",
        json={"jurisdiction": "NL", "base_url": "ftp://x"},
        headers=bearer(token),
    )
    assert bad.status_code == 422
    with de.container.transaction() as session:
        tags = session.scalars(select(AuditEvent.tag).where(AuditEvent.tag.like("federation:%"))).all()
    assert {"federation:trust:imported", "federation:peer:added", "federation:peer:removed"} <= set(tags)


def test_a_removed_peer_is_refused(nodes: dict[str, Node], http: dict[str, TestClient]) -> None:
    from integration.federation.test_exchange import forge, refusal

    with nodes["DE"].container.transaction() as session:
        directory.remove_peer(
            session, clock=nodes["DE"].container.clock, actor=SYSTEM_ACTOR, jurisdiction="IE"
        )
    assert refusal(http["DE"], forge(nodes["IE"])) == "unknown_peer"


def test_trust_import_rules(nodes: dict[str, Node]) -> None:
    ie, de, fr = nodes["IE"], nodes["DE"], nodes["FR"]
    clock = de.container.clock
    assert isinstance(clock, FixedClock)

    def import_into_de(document: bytes) -> None:
        with de.container.transaction() as session:
            directory.import_trust(session, clock=clock, actor=SYSTEM_ACTOR, node="DE", document=document)

    with pytest.raises(InvalidInput, match="own trust store"):
        import_into_de(de.trust_store())
    older = ie.trust_store()
    clock.advance(timedelta(seconds=5))
    import_into_de(ie.trust_store())  # newer than the one the fixture imported
    with pytest.raises(Conflict, match="before the one already imported"):
        import_into_de(older)
    # FR's store relabelled as IE's: its anchor's signed manifest names FR, so it does not verify.
    forged = json.loads(fr.trust_store())
    forged["anchors"][0]["jurisdiction"] = "IE"
    with pytest.raises(MalformedTrustStore):
        import_into_de(json.dumps(forged).encode())

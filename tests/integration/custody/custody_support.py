"""Helpers shared by the evidence vault tests (importable as ``integration.custody.custody_support``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.signing
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import comity.models  # noqa: F401  (every table registered)
from comity.cases.model import Case, CaseMember, CaseStatus, MemberRole
from comity.clock import Clock
from comity.config import Settings
from comity.custody import service
from comity.custody.bundle import anchor_log, export_bundle
from comity.custody.service import EvidenceKind, NewEvidence
from comity.custody.states import CustodyAction
from comity.custody.store import folder_store_for
from comity.db import make_session_factory
from comity.errors import Unauthenticated
from comity.identity import service as identity
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.ids import new_id
from comity.keys import queries
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.keys.truststore import export_trust_store
from comity.kinds import AuthorityType, DataCategory, OrganisationKind, Role
from comity.signing.keys import Ed25519Signer, KeyPurpose
from comity.translog import service as translog
from comity.transport.tlp import Tlp
from comity.web.container import Container
from comity.witness.app import create_witness_app
from comity.witness.config import WatchedLog, WitnessKey
from comity.witness.core import Witness, WitnessState
from support import bearer

API = "/api/v1"
#: ``make_user(role, jurisdiction=..., kind=...) -> bearer token`` (the root conftest fixture).
UserFactory = Callable[..., str]


def create_anchor(container: Container, jurisdiction: str = "IE") -> str:
    """A trust anchor for ``jurisdiction``; officer and node keys are then created on first use."""
    with container.transaction() as session:
        anchor = keys.create_anchor(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            keystore=Keystore.for_settings(container.settings),
            jurisdiction=jurisdiction,
        )
        return anchor.keyid


def upload_params(
    now: datetime, *, case_id: str = "case_1", retention_days: int = 365, **extra: Any
) -> dict[str, Any]:
    """Query parameters of a valid upload."""
    params: dict[str, Any] = {
        "kind": "screenshot",
        "case_id": case_id,
        "data_category": "content",
        "tlp": "amber+strict",
        "legal_authority": "IE-WARRANT-2026-17",
        "retention_until": (now + timedelta(days=retention_days)).isoformat(),
        "source": "http://exampleonionaddress.onion/listing/42",
        "filename": "listing-42.png",
    }
    params.update(extra)
    return params


def join_case(container: Container, who: str | Principal, case_id: str = "case_1") -> None:
    """Make the user behind ``who`` (a token or a principal) a member of case ``case_id``, opening it (led
    by them) if it does not exist yet: evidence belongs to a real case its custodians may read.

    Officers join as investigators (lead when they open it), judges as the case's judge.
    """
    with container.transaction() as session:
        principal = who if isinstance(who, Principal) else identity.authenticate(session, who)
        now = container.clock.now()
        if session.get(Case, case_id) is None:
            session.add(
                Case(
                    id=case_id,
                    title=f"case {case_id}",
                    summary="",
                    lead_jurisdiction=principal.jurisdiction,
                    lead_organisation_id=principal.organisation_id,
                    jurisdictional_links=["offence_in_territory"],
                    status=CaseStatus.OPEN.value,
                    opened_by=principal.actor,
                    opened_at=now,
                    reopen_count=0,
                )
            )
            session.flush()
            role = MemberRole.LEAD
        else:
            role = MemberRole.INVESTIGATOR
        if principal.role is Role.JUDGE:
            role = MemberRole.JUDGE
        already = session.scalar(
            select(CaseMember.id).where(
                CaseMember.case_id == case_id, CaseMember.user_id == principal.user_id
            )
        )
        if already is None:
            session.add(
                CaseMember(
                    id=new_id("mem"),
                    case_id=case_id,
                    user_id=principal.user_id,
                    role=role.value,
                    jurisdiction=principal.jurisdiction,
                    starts_at=now,
                    ends_at=None,
                    added_by=SYSTEM_ACTOR,
                    added_at=now,
                )
            )


def close_case(container: Container, case_id: str = "case_1") -> None:
    """Mark a case closed (retention then applies to its evidence: an open case holds it)."""
    with container.transaction() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.status = CaseStatus.CLOSED.value
        case.closed_at = container.clock.now()


def upload(
    client: TestClient,
    token: str,
    data: bytes | Iterator[bytes],
    now: datetime,
    *,
    media_type: str = "image/png",
    join: bool = True,
    **params: Any,
) -> Any:
    """POST evidence into a case the uploader is a member of (``join=False``: as they are); the response."""
    case_id = params.get("case_id", "case_1")
    if join and isinstance(case_id, str) and " " not in case_id:
        with contextlib.suppress(Unauthenticated):  # the upload itself answers 401
            join_case(client.app.state.container, token, case_id)  # type: ignore[attr-defined]
    return client.post(
        f"{API}/evidence",
        params=upload_params(now, **params),
        content=data,
        headers={**bearer(token), "Content-Type": media_type},
    )


def blob_files(container: Container) -> list[str]:
    """Every file under the evidence store (blobs and temporary files)."""
    root = container.settings.home / "evidence"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count(session: Session, model: type[Any]) -> int:
    """Rows of a table."""
    return len(session.query(model).all())


# -- a whole case, built through the services, exported as a bundle ----------------------------------


@dataclass
class BuiltCase:
    """A case exported as a bundle, and what a verifier may pin."""

    bundle: Path
    trust_store: Path
    witness_vkey: str
    stale_cosignature: str  # the witness's cosignature of an earlier checkpoint of the same log
    other_officer: Ed25519Signer  # a registered officer key of the same node (for re-signing attacks)
    items: list[str] = field(default_factory=list)
    events: int = 0


def _principal(container: Container, role: Role, authority_type: AuthorityType, name: str) -> Principal:
    with container.transaction() as session:
        org = identity.create_organisation(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            name=f"{name} org",
            kind=OrganisationKind.AUTHORITY,
            jurisdiction="IE",
            authority_type=authority_type,
        )
        issued = identity.add_user(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            username=name,
            role=role,
            organisation_id=org.id,
        )
        return identity.authenticate(session, issued.token)


def _collect(container: Container, principal: Principal, data: bytes, case_id: str, **personal: str) -> str:
    join_case(container, principal, case_id)
    store = folder_store_for(container.settings)
    blob = store.put([data])
    metadata = NewEvidence(
        kind=EvidenceKind.WEBPAGE_CAPTURE,
        case_id=case_id,
        data_category=DataCategory.CONTENT,
        tlp=Tlp.AMBER,
        legal_authority="IE-WARRANT-2026-17",
        retention_until=container.clock.now() + timedelta(days=365),
        media_type="text/html",
        **personal,  # type: ignore[arg-type]
    )
    with container.transaction() as session:
        item = service.collect(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            principal=principal,
            node_jurisdiction="IE",
            blob=blob,
            metadata=metadata,
        )
        return item.id


def _act(
    container: Container, principal: Principal, evidence_id: str, action: CustodyAction, **kw: Any
) -> None:
    with container.transaction() as session:
        service.record_action(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            principal=principal,
            evidence_id=evidence_id,
            action=action,
            **kw,
        )


def witness_cosign(container: Container, directory: Path, key: WitnessKey) -> str:
    """Have an in-process witness cosign the node's latest checkpoint; returns its cosignature line."""
    keystore = Keystore.for_settings(container.settings)
    with container.transaction() as session:
        anchor_log(session, clock=container.clock, settings=container.settings, keystore=keystore)
    with container.transaction() as session:
        signer = translog.node_log_signer(session, settings=container.settings, clock=container.clock)
    witness = Witness(
        key=key,
        logs=(WatchedLog(origin=signer.origin, keys=(signer.verifier,)),),
        state=WitnessState(directory / "witness.sqlite3"),
    )
    with TestClient(create_witness_app(witness)) as http, container.transaction() as session:
        outcome = translog.request_cosignature(
            session,
            clock=container.clock,
            witness_url="http://testserver",
            witness_vkey=key.verifier.vkey,
            client=http,
        )
        assert outcome.cosigned
        return next(line for line in outcome.checkpoint.note.splitlines() if key.name in line)


def build_case(container: Container, directory: Path, case_id: str = "case_1") -> BuiltCase:
    """Two items with a chain each (one destroyed), a witness-cosigned checkpoint, and the bundle."""
    officer = _principal(container, Role.OFFICER, AuthorityType.POLICE, "officer_a")
    judge = _principal(container, Role.JUDGE, AuthorityType.JUDGE, "judge_b")
    join_case(container, officer, case_id)
    join_case(container, judge, case_id)
    first = _collect(container, officer, b"<html>listing 42</html>", case_id, source="http://shop.example/42")
    _act(container, officer, first, CustodyAction.ANALYSED, note="price list extracted")
    _act(container, officer, first, CustodyAction.SEALED)
    _act(container, officer, first, CustodyAction.TRANSFERRED, counterparty="org_court")
    _act(container, judge, first, CustodyAction.RECEIVED, counterparty="IE")
    _act(container, judge, first, CustodyAction.ACCESSED, note="hearing preparation")
    witness = WitnessKey(name="witness.example/w1", signing_key=nacl.signing.SigningKey.generate())
    stale = witness_cosign(container, directory, witness)
    second = _collect(container, officer, b"<html>seller page</html>", case_id, filename="seller.html")
    with container.transaction() as session:
        service.destroy_by_officer(
            session,
            clock=container.clock,
            keystore=Keystore.for_settings(container.settings),
            principal=officer,
            evidence_id=second,
            reason="duplicate capture",
        )
    keystore = Keystore.for_settings(container.settings)
    witness_cosign(container, directory, witness)
    out = directory / "bundle.zip"
    summary = export_bundle(
        container.sessions,
        clock=container.clock,
        settings=container.settings,
        keystore=keystore,
        store=folder_store_for(container.settings),
        case_id=case_id,
        out=out,
    )
    trust = directory / "trust-store.json"
    with container.transaction() as session:
        trust.write_bytes(export_trust_store(session, clock=container.clock, keystore=keystore))
        judge_key = queries.signer_for(
            session,
            keystore=keystore,
            purpose=KeyPurpose.OFFICER_SIGNING,
            jurisdiction="IE",
            at=container.clock.now(),
            officer=judge.user_id,
        )
    return BuiltCase(
        bundle=out,
        trust_store=trust,
        witness_vkey=witness.verifier.vkey,
        stale_cosignature=stale,
        other_officer=judge_key,
        items=[first, second],
        events=summary.events,
    )


def standalone_node(engine: Engine, home: Path, clock: Clock) -> Container:
    """A node container of its own (for module-scoped fixtures, which cannot use the per-test one)."""
    settings = Settings(home=home, database_url=engine.url.render_as_string(hide_password=False))
    home.mkdir(parents=True, exist_ok=True)
    container = Container(
        settings=settings, engine=engine, sessions=make_session_factory(engine), clock=clock
    )
    create_anchor(container)
    return container

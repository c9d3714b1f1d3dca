"""Governance use cases: propose, approve, reject, supersede; what is in effect follows approvals only."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.agreements import service as agreements
from comity.agreements.loader import package_dir
from comity.audit.model import AuditEvent
from comity.clock import FixedClock
from comity.errors import Forbidden, IllegalTransition, InvalidInput
from comity.governance import service as governance
from comity.governance.context import current_context
from comity.governance.model import DocumentKind, DocumentStatus
from comity.identity.principal import Principal
from comity.kinds import OrganisationKind, Role
from comity.vocabulary.documents import read_source
from comity.vocabulary.loader import data_dir
from unit.governance.governance_support import principal

ADMIN = "user:node-admin"


def bundled(kind: DocumentKind, name: str) -> dict[str, Any]:
    """The content of a bundled document, as a fresh mutable copy."""
    path = {
        DocumentKind.TAXONOMY: data_dir() / "taxonomy.yaml",
        DocumentKind.JURISDICTION: data_dir() / "jurisdictions" / f"{name}.yaml",
        DocumentKind.AGREEMENT: package_dir("demo") / f"{name}.yaml",
    }[kind]
    data, _ = read_source(path, what=kind.value)
    return copy.deepcopy(data)


def tags(session: Session, subject_id: str) -> list[str]:
    stmt = select(AuditEvent.tag).where(AuditEvent.subject_id == subject_id).order_by(AuditEvent.seq)
    return list(session.scalars(stmt))


@pytest.fixture
def installed(gov_session: Session, gov_clock: FixedClock) -> Session:
    counts = agreements.install_bundled(gov_session, clock=gov_clock, proposer=ADMIN, approver="user:auditor")
    assert counts == {"installed": 14, "unchanged": 0, "kept": 0}
    return gov_session


def test_nothing_takes_effect_until_oversight_approves(
    gov_session: Session, gov_clock: FixedClock, auditor: Principal
) -> None:
    taxonomy = bundled(DocumentKind.TAXONOMY, "taxonomy")
    row = governance.propose(
        gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=taxonomy
    )
    assert (row.status, row.key, row.version, row.proposed_by) == ("proposed", "taxonomy", 1, ADMIN)
    assert len(row.content_sha256) == 64
    assert current_context(gov_session).offences == {}

    governance.approve(gov_session, clock=gov_clock, document_id=row.id, approver=auditor, note="checked")
    assert (row.status, row.decided_by, row.decision_note) == ("approved", "user:auditor", "checked")
    assert "counterfeit_goods" in current_context(gov_session).offences
    assert tags(gov_session, row.id) == ["governance:document:proposed", "governance:document:approved"]


def test_the_proposer_may_not_approve_their_own_proposal(
    gov_session: Session, gov_clock: FixedClock, auditor: Principal
) -> None:
    row = governance.propose(
        gov_session,
        clock=gov_clock,
        actor=auditor.actor,
        kind=DocumentKind.TAXONOMY,
        content=bundled(DocumentKind.TAXONOMY, "taxonomy"),
    )
    with pytest.raises(Forbidden, match="proposer may not decide"):
        governance.approve(gov_session, clock=gov_clock, document_id=row.id, approver=auditor)
    assert row.status == "proposed"
    with pytest.raises(Forbidden):
        governance.approve_as(gov_session, clock=gov_clock, document_id=row.id, actor=auditor.actor)


@pytest.mark.parametrize(
    "decider",
    [
        principal("police-admin", Role.ADMINISTRATOR, OrganisationKind.AUTHORITY),
        principal("platform-admin", Role.ADMINISTRATOR, OrganisationKind.PLATFORM),
        principal("oversight-officer", Role.OFFICER, OrganisationKind.OVERSIGHT),
        principal("oversight-judge", Role.JUDGE, OrganisationKind.OVERSIGHT),
    ],
    ids=["authority-admin", "platform-admin", "oversight-officer", "oversight-judge"],
)
def test_only_auditors_and_administrators_of_an_oversight_body_decide(
    gov_session: Session, gov_clock: FixedClock, decider: Principal
) -> None:
    row = governance.propose(
        gov_session,
        clock=gov_clock,
        actor=ADMIN,
        kind=DocumentKind.TAXONOMY,
        content=bundled(DocumentKind.TAXONOMY, "taxonomy"),
    )
    with pytest.raises(Forbidden):
        governance.approve(gov_session, clock=gov_clock, document_id=row.id, approver=decider)
    with pytest.raises(Forbidden):
        governance.reject(gov_session, clock=gov_clock, document_id=row.id, decider=decider, note="no")
    assert row.status == "proposed"


def test_an_oversight_administrator_may_decide(
    gov_session: Session, gov_clock: FixedClock, oversight_admin: Principal
) -> None:
    row = governance.propose(
        gov_session,
        clock=gov_clock,
        actor=ADMIN,
        kind=DocumentKind.TAXONOMY,
        content=bundled(DocumentKind.TAXONOMY, "taxonomy"),
    )
    governance.approve(gov_session, clock=gov_clock, document_id=row.id, approver=oversight_admin)
    assert row.status == "approved"


def test_illegal_transitions_are_refused(
    gov_session: Session, gov_clock: FixedClock, auditor: Principal, oversight_admin: Principal
) -> None:
    taxonomy = bundled(DocumentKind.TAXONOMY, "taxonomy")
    first = governance.propose(
        gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=taxonomy
    )
    governance.reject(gov_session, clock=gov_clock, document_id=first.id, decider=auditor, note="too broad")
    with pytest.raises(IllegalTransition) as raised:
        governance.approve(gov_session, clock=gov_clock, document_id=first.id, approver=oversight_admin)
    assert raised.value.extensions == {
        "current_state": "rejected",
        "attempted": "approve",
        "allowed_next": [],
    }

    taxonomy["version"] = 2
    second = governance.propose(
        gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=taxonomy
    )
    governance.approve(gov_session, clock=gov_clock, document_id=second.id, approver=auditor)
    with pytest.raises(IllegalTransition):
        governance.approve(gov_session, clock=gov_clock, document_id=second.id, approver=oversight_admin)
    with pytest.raises(IllegalTransition) as raised:
        governance.reject(
            gov_session, clock=gov_clock, document_id=second.id, decider=oversight_admin, note="x"
        )
    assert raised.value.extensions["allowed_next"] == ["supersede"]
    assert tags(gov_session, first.id)[-1] == "governance:document:rejected"
    assert first.decision_note == "too broad"


def test_a_rejection_states_its_reasons(
    gov_session: Session, gov_clock: FixedClock, auditor: Principal
) -> None:
    row = governance.propose(
        gov_session,
        clock=gov_clock,
        actor=ADMIN,
        kind=DocumentKind.TAXONOMY,
        content=bundled(DocumentKind.TAXONOMY, "taxonomy"),
    )
    with pytest.raises(InvalidInput) as raised:
        governance.reject(gov_session, clock=gov_clock, document_id=row.id, decider=auditor, note="  ")
    assert [e.path for e in raised.value.errors] == ["note"]


def test_versions_only_go_up(gov_session: Session, gov_clock: FixedClock, auditor: Principal) -> None:
    taxonomy = bundled(DocumentKind.TAXONOMY, "taxonomy")
    row = governance.propose(
        gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=taxonomy
    )
    governance.reject(gov_session, clock=gov_clock, document_id=row.id, decider=auditor, note="no")
    with pytest.raises(InvalidInput) as raised:
        governance.propose(
            gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=taxonomy
        )
    assert [e.path for e in raised.value.errors] == ["version"]


def test_documents_are_checked_against_the_approved_vocabulary(
    gov_session: Session, gov_clock: FixedClock, auditor: Principal
) -> None:
    ireland = bundled(DocumentKind.JURISDICTION, "ie")
    with pytest.raises(InvalidInput) as raised:  # no taxonomy approved yet: no offence code exists
        governance.propose(
            gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.JURISDICTION, content=ireland
        )
    assert {e.path for e in raised.value.errors} == {
        f"statutes[{i}].offence" for i in range(len(ireland["statutes"]))
    }

    taxonomy = governance.propose(
        gov_session,
        clock=gov_clock,
        actor=ADMIN,
        kind=DocumentKind.TAXONOMY,
        content=bundled(DocumentKind.TAXONOMY, "taxonomy"),
    )
    governance.approve(gov_session, clock=gov_clock, document_id=taxonomy.id, approver=auditor)
    profile = governance.propose(
        gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.JURISDICTION, content=ireland
    )
    governance.approve(gov_session, clock=gov_clock, document_id=profile.id, approver=auditor)

    terms = bundled(DocumentKind.AGREEMENT, "terms-bazaar")  # parties in five states; only IE is approved
    with pytest.raises(InvalidInput) as raised:
        governance.propose(
            gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.AGREEMENT, content=terms
        )
    assert {e.path for e in raised.value.errors} == {f"parties[{i}].jurisdiction" for i in (1, 2, 3, 4)}


def test_a_new_version_supersedes_the_old_and_the_context_follows(
    installed: Session, gov_clock: FixedClock, auditor: Principal
) -> None:
    session = installed
    before = current_context(session)
    assert current_context(session) is before  # cached while nothing changes
    old = governance.approved_version(session, DocumentKind.AGREEMENT, "eev-eu5")
    assert old is not None

    content = bundled(DocumentKind.AGREEMENT, "eev-eu5")
    content.update(version=2, sunset="2027-12-31")
    content["offences"].remove("arson")
    new = governance.propose(
        session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.AGREEMENT, content=content
    )
    pending = next(a for a in current_context(session).agreements if a.id == "eev-eu5")
    assert pending.version == 1
    assert "arson" in pending.offences

    governance.approve(session, clock=gov_clock, document_id=new.id, approver=auditor)
    after = current_context(session)
    current = next(a for a in after.agreements if a.id == "eev-eu5")
    assert (current.version, current.sunset.isoformat(), "arson" in current.offences) == (
        2,
        "2027-12-31",
        False,
    )
    assert len(after.agreements) == len(before.agreements)
    assert (old.status, old.superseded_by) == ("superseded", new.id)
    assert [r.version for r in governance.versions(session, DocumentKind.AGREEMENT, "eev-eu5")] == [1, 2]
    assert tags(session, old.id)[-1] == "governance:document:superseded"
    assert [r.version for r in agreements.public_versions(session, "eev-eu5")] == [1, 2]
    assert agreements.get_agreement(session, "eev-eu5").row.id == new.id


def test_approving_a_newer_proposal_supersedes_older_pending_ones(
    installed: Session, gov_clock: FixedClock, auditor: Principal, oversight_admin: Principal
) -> None:
    session = installed
    v2 = bundled(DocumentKind.AGREEMENT, "jit-shadowmart") | {"version": 2, "sunset": "2027-09-30"}
    v3 = bundled(DocumentKind.AGREEMENT, "jit-shadowmart") | {"version": 3, "sunset": "2027-12-31"}
    two = governance.propose(session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.AGREEMENT, content=v2)
    three = governance.propose(session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.AGREEMENT, content=v3)
    governance.approve(session, clock=gov_clock, document_id=three.id, approver=auditor)
    assert two.status == "superseded"
    with pytest.raises(IllegalTransition):
        governance.approve(session, clock=gov_clock, document_id=two.id, approver=oversight_admin)
    jit = next(a for a in current_context(session).agreements if a.id == "jit-shadowmart")
    assert jit.version == 3


def test_a_taxonomy_may_not_drop_a_code_still_in_use(
    installed: Session, gov_clock: FixedClock, auditor: Principal
) -> None:
    taxonomy = bundled(DocumentKind.TAXONOMY, "taxonomy")
    taxonomy["version"] = 2
    del taxonomy["offences"]["counterfeit_goods"]
    with pytest.raises(InvalidInput) as raised:
        governance.propose(
            installed, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=taxonomy
        )
    (error,) = raised.value.errors
    assert error.path == "offences"
    assert "counterfeit_goods" in error.message
    assert "agreement eev-eu5" in error.message
    assert "jurisdiction DE (DE-MarkenG-143)" in error.message


def test_approval_rechecks_the_proposal_against_what_is_now_in_effect(
    installed: Session, gov_clock: FixedClock, auditor: Principal, oversight_admin: Principal
) -> None:
    session = installed
    taxonomy = bundled(DocumentKind.TAXONOMY, "taxonomy")
    taxonomy["version"] = 2
    taxonomy["offences"]["illegal_fireworks"] = {"name": "Illegal fireworks", "severity": "medium"}
    row = governance.propose(
        session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=taxonomy
    )
    governance.approve(session, clock=gov_clock, document_id=row.id, approver=auditor)

    terms = bundled(DocumentKind.AGREEMENT, "terms-bazaar")
    terms["version"] = 2
    terms["offences"].append("illegal_fireworks")
    proposal = governance.propose(
        session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.AGREEMENT, content=terms
    )

    del taxonomy["offences"]["illegal_fireworks"]  # nothing approved uses it yet, so it may go
    taxonomy["version"] = 3
    row = governance.propose(
        session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=taxonomy
    )
    governance.approve(session, clock=gov_clock, document_id=row.id, approver=auditor)

    with pytest.raises(InvalidInput) as raised:
        governance.approve(session, clock=gov_clock, document_id=proposal.id, approver=oversight_admin)
    assert [e.path for e in raised.value.errors] == [f"offences[{len(terms['offences']) - 1}]"]
    assert proposal.status == DocumentStatus.PROPOSED.value


def test_the_cached_context_is_right_after_a_rollback(
    installed: Session, gov_clock: FixedClock, auditor: Principal
) -> None:
    session = installed
    content = bundled(DocumentKind.AGREEMENT, "dsa-eu5") | {"version": 2, "sunset": "2028-06-30"}
    row = governance.propose(
        session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.AGREEMENT, content=content
    )
    savepoint = session.begin_nested()
    governance.approve(session, clock=gov_clock, document_id=row.id, approver=auditor)
    assert next(a for a in current_context(session).agreements if a.id == "dsa-eu5").version == 2
    savepoint.rollback()
    assert next(a for a in current_context(session).agreements if a.id == "dsa-eu5").version == 1
    governance.approve(session, clock=gov_clock, document_id=row.id, approver=auditor)
    assert next(a for a in current_context(session).agreements if a.id == "dsa-eu5").version == 2


def test_install_is_idempotent_and_keeps_the_nodes_own_versions(
    installed: Session, gov_clock: FixedClock, auditor: Principal
) -> None:
    session = installed
    again = agreements.install_bundled(session, clock=gov_clock, proposer=ADMIN, approver="user:auditor")
    assert again == {"installed": 0, "unchanged": 14, "kept": 0}
    content = bundled(DocumentKind.AGREEMENT, "frz-eu5") | {"version": 2, "sunset": "2028-12-31"}
    row = governance.propose(
        session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.AGREEMENT, content=content
    )
    governance.approve(session, clock=gov_clock, document_id=row.id, approver=auditor)
    third = agreements.install_bundled(session, clock=gov_clock, proposer=ADMIN, approver="user:auditor")
    assert third == {"installed": 0, "unchanged": 14, "kept": 0}  # v1 is on record (superseded): unchanged
    assert governance.approved_version(session, DocumentKind.AGREEMENT, "frz-eu5").version == 2  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        agreements.install_bundled(session, clock=gov_clock, proposer=ADMIN, approver=ADMIN)


def test_text_from_callers_is_never_read_as_a_server_path(
    gov_session: Session, gov_clock: FixedClock
) -> None:
    path = str(data_dir() / "taxonomy.yaml")  # a real file: must be taken as (invalid) text, not opened
    with pytest.raises(InvalidInput) as raised:
        governance.propose(
            gov_session, clock=gov_clock, actor=ADMIN, kind=DocumentKind.TAXONOMY, content=path
        )
    assert [(e.path, e.message) for e in raised.value.errors] == [("$", "expected a mapping, got str")]

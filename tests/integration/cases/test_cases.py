"""Case files through the services: access by membership, joint teams, coordination, close and reopen."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from comity.alerts.model import Alert
from comity.assistance_requests import steps
from comity.audit.model import AuditEvent
from comity.cases import service, teams
from comity.cases.model import Case, CaseTarget
from comity.cases.schemas import MemberAdd, SecondeeAdd, TeamCreate
from comity.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from integration.cases.world import World


def test_only_members_in_their_period_see_a_case(world: World) -> None:
    case_id, _, _ = world.open_case()
    now = world.clock.now()
    with world.container.transaction() as session:
        assert service.require_member(session, world.who("officer"), case_id, at=now).id == case_id
        for outsider in ("other_officer", "de_officer", "judge", "platform"):
            with pytest.raises(NotFound):
                service.require_member(session, world.who(outsider), case_id, at=now)
        with pytest.raises(NotFound):
            service.require_member(session, world.who("officer"), "case_nonexistent", at=now)
        teams.add_member(
            session,
            clock=world.clock,
            principal=world.who("officer"),
            case_id=case_id,
            data=MemberAdd(
                username=world.who("other_officer").username,
                role="analyst",  # type: ignore[arg-type]
                ends_at=now + timedelta(days=5),
            ),
        )
    with world.container.transaction() as session:
        assert service.require_member(session, world.who("other_officer"), case_id, at=now)
        with pytest.raises(Forbidden):  # an analyst reads but does not edit
            service.require_editor(session, world.who("other_officer"), case_id, at=now)
        with pytest.raises(NotFound):
            service.require_member(session, world.who("other_officer"), case_id, at=now + timedelta(days=5))
        listed = service.list_cases(session, principal=world.who("other_officer"), at=now + timedelta(days=6))
        assert listed == []


def test_judges_see_a_case_once_a_request_was_submitted_to_them(world: World) -> None:
    case = world.open_case()
    rid = world.draft(case)
    now = world.clock.now()
    with world.container.transaction() as session:
        with pytest.raises(NotFound):
            service.require_member(session, world.who("judge"), case[0], at=now)
        steps.submit(session, clock=world.clock, principal=world.who("officer"), request_id=rid)
    with world.container.transaction() as session:
        assert service.require_member(session, world.who("judge"), case[0], at=now).id == case[0]
        with pytest.raises(NotFound):  # a judge of another jurisdiction does not
            service.require_member(session, world.who("de_judge"), case[0], at=now)
        with pytest.raises(Forbidden):
            service.require_editor(session, world.who("judge"), case[0], at=now)


def test_joint_team_with_secondee_extension_and_rules(world: World) -> None:
    case_id, _, _ = world.open_case()
    now = world.clock.now()
    officer = world.who("officer")
    undertaking = hashlib.sha256(b"signed undertaking").hexdigest()
    with world.container.transaction() as session:
        team = teams.create_team(
            session,
            clock=world.clock,
            principal=officer,
            case_id=case_id,
            data=TeamCreate(
                purpose="Counterfeit ring",
                parties=["DE", "IE"],
                starts_at=now,
                ends_at=now + timedelta(days=180),
                agreement_id="jit-shadowmart",
            ),
        )
        assert team.parties == ["IE", "DE"]
        member = teams.add_secondee(
            session,
            clock=world.clock,
            principal=officer,
            case_id=case_id,
            team_id=team.id,
            data=SecondeeAdd(
                username=world.who("de_officer").username,
                undertaking_sha256=undertaking,
                undertaking_signed_at=now,
                ends_at=now + timedelta(days=400),
            ),
        )
        assert member.ends_at == team.ends_at  # a secondment never outlasts the team
        team_id = team.id
    with world.container.transaction() as session:
        assert service.require_member(session, world.who("de_officer"), case_id, at=now)
        case = session.get(Case, case_id)
        assert case is not None
        assert service.jurisdictions(session, case) == ["DE", "IE"]
        with pytest.raises(InvalidInput):  # FR is not a party
            teams.add_secondee(
                session,
                clock=world.clock,
                principal=officer,
                case_id=case_id,
                team_id=team_id,
                data=SecondeeAdd(
                    username=world.who("fr_officer").username,
                    undertaking_sha256=undertaking,
                    undertaking_signed_at=now,
                ),
            )
    with world.container.transaction() as session:
        extended = teams.extend_team(
            session,
            clock=world.clock,
            principal=officer,
            case_id=case_id,
            team_id=team_id,
            ends_at=now + timedelta(days=365),
        )
        assert extended.extension_count == 1
    with world.container.transaction() as session, pytest.raises(InvalidInput):
        teams.extend_team(
            session, clock=world.clock, principal=officer, case_id=case_id, team_id=team_id, ends_at=now
        )
    with world.container.transaction() as session, pytest.raises(InvalidInput):
        teams.add_member(  # officers of other states join as secondees only
            session,
            clock=world.clock,
            principal=officer,
            case_id=case_id,
            data=MemberAdd(username=world.who("de_officer").username, role="investigator"),  # type: ignore[arg-type]
        )


def test_same_target_in_two_jurisdictions_raises_one_alert_to_each(world: World) -> None:
    ie_case = world.open_case(identifier="Seller-4711")
    de_case = world.open_case(by="de_officer", identifier=" seller-4711 ")
    world.open_case(
        by="de_officer", identifier="seller-4711", title="again"
    )  # a second DE case: its own pair
    world.open_case(identifier="seller-4711", title="same jurisdiction")  # IE twice: not a conflict by itself
    with world.container.transaction() as session:
        alerts = session.scalars(select(Alert).where(Alert.kind == "coordination_conflict")).all()
        pairs = {tuple(a.details["cases"]) for a in alerts}
        assert tuple(sorted((ie_case[0], de_case[0]))) in pairs
        for alert in alerts:
            assert alert.jurisdiction in ("IE", "DE")
            assert "seller" not in alert.message.lower()
            assert "4711" not in str(alert.details)
        before = len(alerts)
        case = session.get(Case, ie_case[0])
        assert case is not None
        service_targets = __import__("comity.cases.targets", fromlist=["check_coordination"])
        service_targets.check_coordination(session, clock=world.clock, case=case)
    with world.container.transaction() as session:
        assert (
            len(session.scalars(select(Alert).where(Alert.kind == "coordination_conflict")).all()) == before
        )
        # identifiers never reach the audit trail
        for event in session.scalars(select(AuditEvent)):
            assert "4711" not in str(event.details)
        target = session.scalars(select(CaseTarget)).first()
        assert target is not None
        added = session.scalars(select(AuditEvent).where(AuditEvent.tag == "cases:case:target_added")).first()
        assert added is not None
        assert target.identifier_hash in str(added.details)


def test_close_waits_for_requests_then_reopen(world: World) -> None:
    case = world.open_case()
    rid = world.draft(case)
    officer = world.who("officer")
    with world.container.transaction() as session, pytest.raises(Conflict) as blocked:
        service.close_case(session, clock=world.clock, principal=officer, case_id=case[0], reason="done")
    assert rid in blocked.value.extensions["blocking"]
    with world.container.transaction() as session:
        steps.withdraw(session, clock=world.clock, principal=officer, request_id=rid)
    with world.container.transaction() as session:
        assert (
            service.close_case(
                session, clock=world.clock, principal=officer, case_id=case[0], reason="done"
            ).status
            == "closed"
        )
    with world.container.transaction() as session, pytest.raises(IllegalTransition) as again:
        service.close_case(session, clock=world.clock, principal=officer, case_id=case[0], reason="done")
    assert again.value.extensions["allowed_next"] == ["reopen"]
    with world.container.transaction() as session, pytest.raises(IllegalTransition):
        world.draft(case)
    with world.container.transaction() as session:
        reopened = service.reopen_case(
            session, clock=world.clock, principal=officer, case_id=case[0], reason="new facts"
        )
        assert reopened.status == "open"
        assert reopened.reopen_count == 1
    with world.container.transaction() as session:
        tags = [e.tag for e in service.timeline(session, case[0])]
        assert tags[0] == "cases:case:opened"
        assert tags[-2:] == ["cases:case:closed", "cases:case:reopened"]

"""Organisations, users and tokens on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from comity.audit.model import AuditEvent
from comity.errors import Conflict, InvalidInput, Unauthenticated
from comity.identity import service
from comity.identity.model import ApiToken
from comity.identity.principal import SYSTEM_ACTOR
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.web.container import Container


def _org(container: Container, **kw: object):  # type: ignore[no-untyped-def]
    args = {
        "name": "Garda",
        "kind": OrganisationKind.AUTHORITY,
        "jurisdiction": "IE",
        "authority_type": AuthorityType.POLICE,
    } | kw
    with container.transaction() as session:
        return service.create_organisation(session, clock=container.clock, actor=SYSTEM_ACTOR, **args)  # type: ignore[arg-type]


def test_user_token_authenticates_to_principal_with_authority_type(container: Container) -> None:
    org = _org(container)
    with container.transaction() as session:
        issued = service.add_user(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            username="aoife",
            role=Role.OFFICER,
            organisation_id=org.id,
        )
    with container.transaction() as session:
        principal = service.authenticate(session, issued.token)
        stored = session.scalars(select(ApiToken)).all()
    assert principal.role is Role.OFFICER
    assert principal.authority_type is AuthorityType.POLICE
    assert principal.jurisdiction == "IE"
    # only the hash is at rest
    assert [t.token_hash for t in stored] == [service.hash_token(issued.token)]
    assert issued.token not in {t.token_hash for t in stored}


def test_unknown_token_is_unauthenticated(container: Container) -> None:
    with container.transaction() as session, pytest.raises(Unauthenticated):
        service.authenticate(session, "cmt_nope")


def test_state_changes_write_audit_events_without_personal_data(container: Container) -> None:
    org = _org(container)
    with container.transaction() as session:
        service.add_user(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            username="aoife",
            role=Role.OFFICER,
            organisation_id=org.id,
            display_name="Aoife Byrne",
        )
    with container.transaction() as session:
        tags = [e.tag for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        details = [e.details for e in session.scalars(select(AuditEvent))]
    assert tags == ["identity:organisation:created", "identity:user:created", "identity:token:issued"]
    assert "Aoife" not in repr(details)


def test_authority_needs_authority_type_and_others_must_not_have_one(container: Container) -> None:
    with pytest.raises(InvalidInput) as err:
        _org(container, authority_type=None)
    assert [e.path for e in err.value.errors] == ["authority_type"]
    with pytest.raises(InvalidInput):
        _org(container, kind=OrganisationKind.PLATFORM, authority_type=AuthorityType.POLICE)


def test_role_must_fit_organisation_kind(container: Container) -> None:
    platform = _org(container, name="Bazaar", kind=OrganisationKind.PLATFORM, authority_type=None)
    with container.transaction() as session, pytest.raises(InvalidInput, match="role judge"):
        service.add_user(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            username="x",
            role=Role.JUDGE,
            organisation_id=platform.id,
        )


def test_duplicate_username_conflicts_and_nothing_is_half_written(container: Container) -> None:
    org = _org(container)
    with container.transaction() as session:
        service.add_user(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            username="aoife",
            role=Role.OFFICER,
            organisation_id=org.id,
        )
    with pytest.raises(Conflict), container.transaction() as session:
        service.add_user(
            session,
            clock=container.clock,
            actor=SYSTEM_ACTOR,
            username="aoife",
            role=Role.OFFICER,
            organisation_id=org.id,
        )
    with container.transaction() as session:
        assert len(service.list_users(session)) == 1

"""Who takes which step of a federated request: each node's users their side, the peer node the other
side of the requests it shares, and nothing else (DB-free: membership is stubbed out)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comity.assistance_requests import access
from comity.assistance_requests.model import (
    ADDRESSEE_ACTIONS,
    EXECUTING_ACTIONS,
    ISSUING_ACTIONS,
    VALIDATOR_ACTIONS,
    Action,
    AssistanceRequest,
    Status,
)
from comity.errors import Forbidden, NotFound
from comity.federation.dispatch import peer_principal
from comity.identity.principal import Principal
from comity.kinds import AuthorityType, OrganisationKind, Role

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
SESSION = object()  # never touched: membership is stubbed out below


@pytest.fixture(autouse=True)
def _nobody_is_a_member(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "_case_grant", lambda *args: None)


def _request(*, federated_with: str | None, mirror: bool) -> AssistanceRequest:
    return AssistanceRequest(
        id="req_1",
        case_id="case_1",
        from_state="IE",
        to_state="DE",
        status=Status.EXECUTING_STATE_REVIEWING.value,
        transmitted_at=NOW,
        addressee_organisation_id=None,
        created_by="user:ie-officer",
        federated_with=federated_with,
        mirror=mirror,
    )


def _officer(jurisdiction: str) -> Principal:
    return Principal(
        user_id="u1",
        username=f"{jurisdiction.lower()}-officer",
        role=Role.OFFICER,
        organisation_id="org1",
        organisation_kind=OrganisationKind.AUTHORITY,
        jurisdiction=jurisdiction,
        authority_type=AuthorityType.POLICE,
    )


def _check(principal: Principal, request: AssistanceRequest, action: Action) -> None:
    access.check_actor(SESSION, principal, request, action, NOW)  # type: ignore[arg-type]


def test_sides_of_a_federated_request() -> None:
    issuing = _request(federated_with="DE", mirror=False)
    mirror = _request(federated_with="IE", mirror=True)
    single = _request(federated_with=None, mirror=False)
    assert access.peer_side_actions(issuing) == EXECUTING_ACTIONS | ADDRESSEE_ACTIONS
    assert access.peer_side_actions(mirror) == ISSUING_ACTIONS | VALIDATOR_ACTIONS
    assert access.peer_side_actions(single) == frozenset()
    assert access.local_side_actions(single) == frozenset(Action)
    for request in (issuing, mirror):
        assert access.local_side_actions(request).isdisjoint(access.peer_side_actions(request))


def test_the_peer_holding_the_other_side_is_recognised_by_its_node() -> None:
    issuing = _request(federated_with="DE", mirror=False)
    mirror = _request(federated_with="IE", mirror=True)
    assert access.is_peer_of(peer_principal("DE"), issuing)
    assert not access.is_peer_of(peer_principal("IE"), issuing)  # its own jurisdiction's node? not a peer
    assert access.is_peer_of(peer_principal("IE"), mirror)
    assert not access.is_peer_of(peer_principal("DE"), mirror)
    assert not access.is_peer_of(peer_principal("FR"), issuing)
    assert not access.is_peer_of(_officer("DE"), issuing)  # a user is never a peer node
    assert not access.is_peer_of(peer_principal("DE"), _request(federated_with=None, mirror=False))


@pytest.mark.parametrize("action", sorted(EXECUTING_ACTIONS | ADDRESSEE_ACTIONS))
def test_on_the_issuing_node_the_executing_node_takes_its_side(action: Action) -> None:
    _check(peer_principal("DE"), _request(federated_with="DE", mirror=False), action)


@pytest.mark.parametrize("action", sorted(ISSUING_ACTIONS | VALIDATOR_ACTIONS | {Action.LAPSE}))
def test_on_the_issuing_node_the_executing_node_takes_nothing_else(action: Action) -> None:
    with pytest.raises(Forbidden):
        _check(peer_principal("DE"), _request(federated_with="DE", mirror=False), action)


@pytest.mark.parametrize("action", sorted(ISSUING_ACTIONS | VALIDATOR_ACTIONS))
def test_on_the_mirror_the_issuing_node_takes_its_side(action: Action) -> None:
    _check(peer_principal("IE"), _request(federated_with="IE", mirror=True), action)


@pytest.mark.parametrize("action", sorted(EXECUTING_ACTIONS | ADDRESSEE_ACTIONS | {Action.LAPSE}))
def test_on_the_mirror_the_issuing_node_takes_nothing_else(action: Action) -> None:
    with pytest.raises(Forbidden):
        _check(peer_principal("IE"), _request(federated_with="IE", mirror=True), action)


@pytest.mark.parametrize("action", sorted(Action))
def test_other_nodes_and_unshared_requests_are_not_found(action: Action) -> None:
    for principal, request in (
        (peer_principal("FR"), _request(federated_with="DE", mirror=False)),
        (peer_principal("DE"), _request(federated_with=None, mirror=False)),  # one node holds it all
        (peer_principal("IE"), _request(federated_with="DE", mirror=False)),
        (peer_principal("DE"), _request(federated_with="IE", mirror=True)),
    ):
        assert not access.can_see(SESSION, principal, request, NOW)  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            _check(principal, request, action)


def test_local_users_take_only_their_nodes_side() -> None:
    # On the issuing node a DE officer would be "executing" on a single-node request ...
    _check(_officer("DE"), _request(federated_with=None, mirror=False), Action.ACCEPT)
    # ... but on a federated one the executing side is DE's node's, not this node's users'.
    with pytest.raises(Forbidden):
        _check(_officer("DE"), _request(federated_with="DE", mirror=False), Action.ACCEPT)
    # On the mirror the DE officer is the executing state.
    _check(_officer("DE"), _request(federated_with="IE", mirror=True), Action.ACCEPT)

"""The key registry API and page, mounted on a minimal app over the shared test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from comity.identity.principal import Principal
from comity.keys import api
from comity.keys.truststore import TrustStore
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.signing import errors as errs
from comity.web import problems
from comity.web.container import Container
from comity.web.deps import authenticated

SetCaller = Callable[..., None]


@pytest.fixture
def caller() -> dict[str, Principal]:
    return {}


@pytest.fixture
def client(keys_container: Container, caller: dict[str, Principal]) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.container = keys_container
    problems.install(app)
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(api.pages)

    def _principal() -> Principal:
        if "who" not in caller:
            from comity.errors import Unauthenticated

            raise Unauthenticated("a bearer token is required")
        return caller["who"]

    app.dependency_overrides[authenticated] = _principal
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def login(caller: dict[str, Principal]) -> SetCaller:
    def _login(role: Role = Role.ADMINISTRATOR, jurisdiction: str = "IE") -> None:
        caller["who"] = Principal(
            user_id="usr_1",
            username="admin1",
            role=role,
            organisation_id="org_node",
            organisation_kind=OrganisationKind.AUTHORITY,
            jurisdiction=jurisdiction,
            authority_type=AuthorityType.POLICE,
            operates_node=True,  # the node's own administrators manage keys (others get 403)
        )

    return _login


def test_administrator_creates_anchor_and_keys_and_the_public_reads_them(
    client: TestClient, login: SetCaller
) -> None:
    assert client.get("/api/v1/keys/trust-store").status_code == 404
    login()
    anchor = client.post("/api/v1/keys/anchors", json={"jurisdiction": "IE"})
    assert anchor.status_code == 201, anchor.text
    node = client.post("/api/v1/keys", json={"purpose": "node_signing", "jurisdiction": "IE"})
    assert node.status_code == 201, node.text
    judge = client.post(
        "/api/v1/keys", json={"purpose": "authority_signing", "jurisdiction": "IE", "authority_type": "judge"}
    )
    assert judge.status_code == 201, judge.text
    assert judge.json()["authority_type"] == "judge"

    directory = client.get("/api/v1/keys").json()
    assert [a["keyid"] for a in directory["anchors"]] == [anchor.json()["keyid"]]
    assert {k["keyid"] for k in directory["keys"]} == {node.json()["keyid"], judge.json()["keyid"]}
    filtered = client.get("/api/v1/keys", params={"purpose": "authority_signing"}).json()
    assert [k["keyid"] for k in filtered["keys"]] == [judge.json()["keyid"]]
    assert client.get(f"/api/v1/keys/{judge.json()['keyid']}").json()["purpose"] == "authority_signing"

    download = client.get("/api/v1/keys/trust-store")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    store = TrustStore.from_json(download.content)
    assert store.lookup(judge.json()["keyid"]).holder.authority_type is AuthorityType.JUDGE

    page = client.get("/keys")
    assert page.status_code == 200
    assert judge.json()["keyid"][:16] in page.text
    assert anchor.json()["keyid"] in page.text


def test_revoke_and_rotate(client: TestClient, login: SetCaller) -> None:
    login()
    client.post("/api/v1/keys/anchors", json={"jurisdiction": "IE"})
    keyid = client.post("/api/v1/keys", json={"purpose": "node_signing", "jurisdiction": "IE"}).json()[
        "keyid"
    ]
    rotated = client.post(f"/api/v1/keys/{keyid}/rotate", json={"overlap_days": 1})
    assert rotated.status_code == 201, rotated.text
    assert rotated.json()["replaces"] == keyid
    revoked = client.post(
        f"/api/v1/keys/{rotated.json()['keyid']}/revoke",
        json={"reason": "server decommissioned", "code": "key_compromise"},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    again = client.post(f"/api/v1/keys/{rotated.json()['keyid']}/revoke", json={"reason": "again"})
    assert again.status_code == 409
    store = TrustStore.from_json(client.get("/api/v1/keys/trust-store").content)
    with pytest.raises(errs.KeyRevoked):
        store.resolve(rotated.json()["keyid"], store.exported_at)


def test_only_administrators_of_the_jurisdiction_manage_keys(client: TestClient, login: SetCaller) -> None:
    assert client.post("/api/v1/keys/anchors", json={"jurisdiction": "IE"}).status_code == 401
    login(Role.OFFICER)
    assert client.post("/api/v1/keys/anchors", json={"jurisdiction": "IE"}).status_code == 403
    login(Role.ADMINISTRATOR, jurisdiction="FR")
    response = client.post("/api/v1/keys/anchors", json={"jurisdiction": "IE"})
    assert response.status_code == 403
    assert "cannot manage the keys of IE" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "master_key", "jurisdiction": "IE"}, "body.purpose"),
        ({"purpose": "node_signing", "jurisdiction": "IE", "public_key": "***"}, "public_key"),
        ({"purpose": "authority_signing", "jurisdiction": "IE"}, "authority_type"),
        ({"purpose": "node_signing", "jurisdiction": "IE", "valid_days": 99999}, "body.valid_days"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, login: SetCaller, body: dict[str, object], field: str
) -> None:
    login()
    client.post("/api/v1/keys/anchors", json={"jurisdiction": "IE"})
    response = client.post("/api/v1/keys", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["path"] for e in response.json()["errors"]]


def test_unknown_key_is_404(client: TestClient, login: SetCaller) -> None:
    assert client.get("/api/v1/keys/" + "ab" * 32).status_code == 404
    login()
    assert client.post("/api/v1/keys/" + "ab" * 32 + "/revoke", json={"reason": "x"}).status_code == 404


def test_every_route_declares_who_may_call_it() -> None:
    from fastapi.routing import APIRoute

    for route in api.router.routes:
        assert isinstance(route, APIRoute)
        names = {d.call.__name__ for d in route.dependant.dependencies if d.call is not None}
        nested = {
            sub.call.__name__
            for d in route.dependant.dependencies
            for sub in d.dependencies
            if sub.call is not None
        }
        assert names & {"public", "node_administrator"} or "public" in nested, route.path

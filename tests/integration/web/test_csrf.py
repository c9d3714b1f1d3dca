"""Page forms: refused with a 403 page, changing nothing, unless they carry this sign-in's token and come
from this site; the sign-in form likewise (login CSRF); the JSON API never takes the page cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from comity.audit.model import AuditEvent
from comity.config import Settings
from comity.web.app import create_app
from comity.web.container import Container
from comity.web.csrf import PRESESSION_COOKIE, SIGN_IN_COOKIE
from comity.web.deps import authenticated
from integration.measures.world import World, build_world, measure_row
from support import form_token, page_login

NOTE = {"note": "necessary and proportionate", "approve_prior_notice_skip": "true"}


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


def _events(world: World) -> int:
    with world.tx() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _judge_page(client: TestClient, world: World, measure_id: str, token: str | None = None) -> str:
    """Sign in as a judge and return the CSRF token of the measure's decision forms."""
    assert page_login(client, token or world.tokens["judge"], "/judges").status_code == 303
    return form_token(client.get(f"/judges/measures/{measure_id}").text)


def _assert_refused(world: World, measure_id: str, response, events: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "nothing was changed" in response.text
    assert f'href="/judges/measures/{measure_id}"' in response.text  # a way back
    assert measure_row(world, measure_id).status == "awaiting_authorisation"
    assert _events(world) == events


def test_a_cross_site_post_with_a_forged_origin_is_refused_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    measure_id = world.awaiting_judge()
    token = _judge_page(client, world, measure_id)
    before = _events(world)
    action = f"/judges/measures/{measure_id}/authorise"
    # Even with the right token (say, leaked), another site's page may not post the form.
    for headers in (
        {"origin": "https://evil.example"},
        {"origin": "null"},  # sandboxed frames, data: URLs
        {"origin": "http://testserver.evil.example"},
        {"referer": "https://evil.example/judges/measures/x"},  # no Origin: the Referer decides
    ):
        r = client.post(action, data={**NOTE, "csrf_token": token}, headers=headers)
        _assert_refused(world, measure_id, r, before)
        assert "from another site" in r.text


def test_a_missing_or_wrong_token_is_refused(client: TestClient, world: World) -> None:
    measure_id = world.awaiting_judge()
    token = _judge_page(client, world, measure_id)
    before = _events(world)
    action = f"/judges/measures/{measure_id}/authorise"
    same_site = {"origin": "http://testserver"}
    issued, mac = token.rsplit(".", 1)
    for data in (
        NOTE,
        {**NOTE, "csrf_token": ""},
        {**NOTE, "csrf_token": issued + "." + mac[::-1]},
        {**NOTE, "csrf_token": "v1.1.x"},
        {**NOTE, "csrf_token": "x" * 5000},
    ):
        _assert_refused(world, measure_id, client.post(action, data=data, headers=same_site), before)


def test_the_right_token_from_the_same_origin_decides(client: TestClient, world: World) -> None:
    measure_id = world.awaiting_judge()
    token = _judge_page(client, world, measure_id)
    r = client.post(
        f"/judges/measures/{measure_id}/authorise",
        data={**NOTE, "csrf_token": token},
        headers={"origin": "http://testserver", "referer": "https://evil.example/"},  # Origin wins
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/judges/measures/{measure_id}"
    assert measure_row(world, measure_id).status == "authorised"


def test_a_token_of_another_sign_in_does_not_work(client: TestClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    other = world.another_judge()
    measure_id = world.awaiting_judge()
    with TestClient(app) as second:
        theirs = _judge_page(second, world, measure_id, other)
    mine = _judge_page(client, world, measure_id)
    assert theirs != mine
    before = _events(world)
    r = client.post(f"/judges/measures/{measure_id}/authorise", data={**NOTE, "csrf_token": theirs})
    _assert_refused(world, measure_id, r, before)


def test_a_token_goes_stale_after_a_working_day(client: TestClient, world: World) -> None:
    measure_id = world.awaiting_judge()
    token = _judge_page(client, world, measure_id)
    world.clock.advance(timedelta(hours=12, seconds=1))
    before = _events(world)
    r = client.post(f"/judges/measures/{measure_id}/authorise", data={**NOTE, "csrf_token": token})
    _assert_refused(world, measure_id, r, before)


def test_the_configured_public_origin_may_post(container: Container, world: World) -> None:
    settings = Settings(
        home=container.settings.home,
        database_url=container.settings.database_url,
        public_origin="https://comity.example",
    )
    behind_proxy = Container(
        settings=settings, engine=container.engine, sessions=container.sessions, clock=container.clock
    )
    measure_id = world.awaiting_judge()
    with TestClient(create_app(container=behind_proxy)) as client:
        token = _judge_page(client, world, measure_id)
        r = client.post(
            f"/judges/measures/{measure_id}/authorise",
            data={**NOTE, "csrf_token": token},
            headers={"origin": "https://comity.example"},
            follow_redirects=False,
        )
    assert r.status_code == 303
    assert measure_row(world, measure_id).status == "authorised"
    with pytest.raises(ValueError, match="public_origin"):
        Settings(public_origin="https://comity.example/path")


def test_the_sign_in_form_needs_its_pre_session(client: TestClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    judge = world.tokens["judge"]
    # An attacker's page posting its own API token (login CSRF) has no pre-session and no token.
    r = client.post("/login", data={"token": judge, "next": "/judges"}, follow_redirects=False)
    assert r.status_code == 403
    assert SIGN_IN_COOKIE not in r.cookies
    assert 'href="/login"' in r.text
    # A token from another browser's pre-session does not match this browser's.
    with TestClient(app) as elsewhere:
        foreign = form_token(elsewhere.get("/login").text)
    login = client.get("/login")
    assert PRESESSION_COOKIE in login.cookies
    r = client.post("/login", data={"token": judge, "csrf_token": foreign}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/judges", follow_redirects=False).status_code == 303  # still signed out
    own = form_token(login.text)
    r = client.post(
        "/login",
        data={"token": judge, "csrf_token": own},
        headers={"origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    r = client.post("/login", data={"token": judge, "csrf_token": own}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/judges", follow_redirects=False).status_code == 200


def test_sign_out_needs_the_token(client: TestClient, world: World) -> None:
    page_login(client, world.tokens["officer"])
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/cases", follow_redirects=False).status_code == 200  # still signed in
    token = form_token(client.get("/cases").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_every_state_changing_page_route_checks_the_form(app) -> None:  # type: ignore[no-untyped-def]
    unchecked, checked = [], []
    for route in iter_route_contexts(app.routes):
        methods = set(route.methods or ()) - {"GET", "HEAD", "OPTIONS"}
        if not methods or (route.path or "").startswith("/api/"):
            continue
        protected = any(getattr(c, "comity_csrf", False) for c in _calls(route.dependant))
        (checked if protected else unchecked).append(route.path)
    assert unchecked == []
    assert {"/login", "/logout", "/judges/measures/{measure_id}/{action}"} <= set(checked)


def test_no_api_route_takes_the_page_cookie(client: TestClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    """Signed in on the pages, every API route that needs a caller still answers 401 without a bearer."""
    assert page_login(client, world.tokens["judge"], "/judges").status_code == 303
    assert client.get("/judges", follow_redirects=False).status_code == 200
    tried = 0
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not path.startswith("/api/v1/"):
            continue
        assert not _cookie_params(route.dependant), path
        if authenticated not in _calls(route.dependant):
            continue  # open data: it needs no credential, and declares no cookie
        for method in sorted(set(route.methods or ()) - {"HEAD", "OPTIONS"}):
            r = client.request(method, path.replace("{", "").replace("}", ""), follow_redirects=False)
            assert r.status_code == 401, (method, path, r.status_code)
            tried += 1
    assert tried > 50  # the sweep reached the authenticated API


def _calls(dependant) -> set[object]:  # type: ignore[no-untyped-def]
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _cookie_params(dependant) -> list[object]:  # type: ignore[no-untyped-def]
    found = list(dependant.cookie_params)
    for sub in dependant.dependencies:
        found += _cookie_params(sub)
    return found

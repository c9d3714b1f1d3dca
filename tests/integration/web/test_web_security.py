"""Security headers on every response, flash messages from the server only, /docs from vendored files,
and the node's web secret."""

from __future__ import annotations

import base64
import json
import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import comity
from comity.config import Settings
from comity.errors import ConfigurationError
from comity.web.flash import FLASH_COOKIE
from comity.web.security import CONTENT_SECURITY_POLICY, WEB_SECRET_FILE, load_web_secret
from comity.web.templating import STATIC_DIR, TEMPLATE_DIR
from integration.measures.world import World, build_world
from support import form_token, page_login

LIFTED = "Lifted by the Supreme Court"


@pytest.fixture
def world(container) -> World:  # type: ignore[no-untyped-def]
    return build_world(container)


def _assert_hardened(response) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in headers  # plain HTTP


def test_every_kind_of_response_carries_the_headers(client: TestClient, world: World) -> None:
    responses = {
        "login redirect": client.get("/cases", follow_redirects=False),
        "refused form": client.post("/logout"),
        "page": client.get("/"),
        "api": client.get("/api/v1/offences"),
        "api error": client.get("/api/v1/me"),
        "static": client.get("/static/comity.css"),
        "vendored": client.get("/static/vendor/swagger-ui/swagger-ui.css"),
        "docs": client.get("/docs"),
        "openapi": client.get("/openapi.json"),
        "sign-in": page_login(client, world.tokens["judge"], "/judges"),
        "missing page": client.get("/judges/measures/msr_nope"),
        "unknown path": client.get("/nothing-here"),
    }
    expected = {"api error": 401, "missing page": 404, "unknown path": 404, "refused form": 403}
    expected["login redirect"] = expected["sign-in"] = 303
    for name, response in responses.items():
        assert response.status_code == expected.get(name, 200), name
        _assert_hardened(response)


def test_hsts_only_over_https(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as secure:
        for path in ("/", "/api/v1/offences", "/static/comity.css", "/nothing-here"):
            assert secure.get(path).headers["strict-transport-security"] == "max-age=31536000"


def test_an_unexpected_error_still_carries_the_headers(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    @app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError("boom")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    _assert_hardened(response)


def test_no_template_needs_unsafe_inline() -> None:
    offending = []
    for template in TEMPLATE_DIR.rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", text, re.I):
            offending.append(template.name)
    assert offending == []


def test_message_and_error_in_the_url_are_not_shown(client: TestClient, world: World) -> None:
    measure_id = world.awaiting_judge()  # submitted to the judges, so the judge reads it
    page_login(client, world.tokens["judge"], "/judges")
    for query in (f"?message={LIFTED}", f"?error={LIFTED}", f"?notice={LIFTED}&flash={LIFTED}"):
        page = client.get(f"/judges/measures/{measure_id}{query}")
        assert page.status_code == 200
        assert "Supreme Court" not in page.text
    assert "Supreme Court" not in client.get(f"/login?next=/cases&message={LIFTED}").text
    # The policy form quotes no value it does not offer (the engine's "unknown code" message would).
    asked = "/policy?from_state=IE&to_state=DE&offence=counterfeit_goods&measure=production"
    for field in ("agreement", "offence", "issuer", "to_state"):
        page = client.get(f"{asked}&{field}={LIFTED}")
        assert page.status_code == 200
        assert "Supreme Court" not in page.text
        assert f"choose again: {field}" in page.text
    assert "Cannot decide" not in client.get(asked).text  # the offered values still decide


def test_a_decision_outcome_is_a_server_flash_shown_once(client: TestClient, world: World) -> None:
    here = f"/judges/measures/{world.awaiting_judge()}"
    page_login(client, world.tokens["judge"], "/judges")
    token = form_token(client.get(here).text)
    r = client.post(f"{here}/authorise", data={"note": "", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == here  # no text in the URL
    assert FLASH_COOKIE in r.cookies
    assert "httponly" in r.headers["set-cookie"].lower()
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    shown = client.get(here)
    assert 'role="alert"' in shown.text
    assert 'role="alert"' not in client.get(here).text  # consumed on read
    # Another page does not take it: it waits for its own page.
    token = form_token(client.get(here).text)
    client.post(f"{here}/lift", data={"note": "x", "csrf_token": token}, follow_redirects=False)
    assert 'role="alert"' not in client.get("/judges").text
    assert 'role="alert"' in client.get(here).text


def test_a_forged_or_stale_flash_cookie_shows_nothing(client: TestClient, world: World, app) -> None:  # type: ignore[no-untyped-def]
    here = f"/judges/measures/{world.awaiting_judge()}"
    page_login(client, world.tokens["judge"], "/judges")
    # A cookie the attacker wrote (e.g. from a sibling sub-domain) does not verify.
    body = base64.urlsafe_b64encode(json.dumps({"t": LIFTED, "e": False, "p": here, "x": 2**40}).encode())
    client.cookies.set(FLASH_COOKIE, f"v1.{body.decode().rstrip('=')}.AAAA")
    assert "Supreme Court" not in client.get(here).text
    client.cookies.delete(FLASH_COOKIE)
    # A genuine flash of another sign-in does not show for this one.
    token = form_token(client.get(here).text)
    r = client.post(f"{here}/authorise", data={"note": "", "csrf_token": token}, follow_redirects=False)
    genuine = r.cookies[FLASH_COOKIE]
    other = world.another_judge()
    with TestClient(app) as second:
        page_login(second, other, "/judges")
        second.cookies.set(FLASH_COOKIE, genuine)
        page = second.get(here, follow_redirects=False)
        assert page.status_code == 200
        assert "Decide" in page.text
        assert 'role="alert"' not in page.text
    world.clock.advance(timedelta(seconds=61))
    assert 'role="alert"' not in client.get(here).text  # past its minute


def test_docs_load_only_vendored_files(client: TestClient) -> None:
    html = client.get("/docs").text
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in urls
    assert "/static/swagger-init.js" in urls
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert re.search(r"https?://", html) is None
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script
    for url in urls:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
    assert client.get("/redoc").status_code == 404  # not served rather than blank


def test_package_data_ships_every_static_file() -> None:
    package = Path(comity.__file__).parent
    config = tomllib.loads((package.parents[1] / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["comity"]
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    static = [p for p in STATIC_DIR.rglob("*") if p.is_file()]
    assert any(p.suffix == ".js" for p in static)
    assert [p for p in static if p not in shipped] == []


def test_the_web_secret_is_created_once_private(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "node")
    first = load_web_secret(settings)
    path = tmp_path / "node" / WEB_SECRET_FILE
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert len(first) == 32
    assert load_web_secret(settings) == first
    assert load_web_secret(Settings(home=tmp_path / "other")) != first
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_web_secret(settings)

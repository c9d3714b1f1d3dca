"""Browser: every page renders under the strict Content-Security-Policy, /docs works with no outside
network, and a form posted from another site is refused without changing the measure."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route, expect

from comity.web.container import Container
from integration.measures.world import build_world, measure_row

pytestmark = pytest.mark.browser


def _violations(page: Page) -> list[str]:
    """Console messages of Content-Security-Policy violations and script errors, as they come."""
    found: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"{page.url}: {error}"))
    return found


def _sign_in(page: Page, live_url: str, token: str, then: str) -> None:
    page.goto(f"{live_url}/login?next={then}")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_url + then)


def test_no_page_breaks_the_content_security_policy(
    page: Page, live_url: str, container: Container, tmp_path: Path
) -> None:
    world = build_world(container)
    measure_id = world.awaiting_judge()
    violations = _violations(page)
    public = [
        "/",
        "/alerts",
        "/offences",
        "/jurisdictions",
        "/jurisdictions/IE",
        "/governance",
        "/agreements",
    ]
    public += ["/agreements/eev-eu5", "/keys", "/login", "/policy"]
    for path in public:
        page.goto(live_url + path)
        expect(page.locator("h1")).to_be_visible()
    # The stylesheet applies (a page that lost its CSS would still show its h1).
    assert page.locator("header.site").evaluate("e => getComputedStyle(e).display") == "flex"
    page.get_by_label("Issuing state").select_option("IE")
    page.get_by_label("Executing state").select_option("DE")
    page.get_by_label("Offence", exact=True).select_option("counterfeit_goods")
    page.get_by_label("Measure").select_option("production")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("section.decision h2")).to_be_visible()

    _sign_in(page, live_url, world.tokens["officer"], "/cases")
    for path in (f"/cases/{world.case_id}", "/requests/req_nope", "/cases"):
        page.goto(live_url + path)
        expect(page.locator("h1")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_url + "/login")

    _sign_in(page, live_url, world.tokens["judge"], "/judges")
    page.get_by_role("link", name=measure_id).click()
    page.get_by_label("Reasons for refusal").fill("not shown to be necessary")
    page.get_by_role("button", name="Refuse").click()
    expect(page.get_by_role("status")).to_have_text("refuse: done")  # the server's flash
    page.goto(live_url + "/judges/measures/msr_nope")
    page.goto(live_url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    page.screenshot(path=str(tmp_path / "docs.png"))
    assert violations == []

    # The watch works: an inline style attribute is reported as a violation.
    page.goto(live_url + "/")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    assert any("inline style" in v for v in violations), violations


def test_docs_render_with_the_outside_network_blocked(page: Page, live_url: str) -> None:
    outside: list[str] = []

    def only_this_node(route: Route) -> None:
        if route.request.url.startswith(live_url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_node)
    violations = _violations(page)
    page.goto(live_url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    expect(page.locator("#swagger-ui")).to_contain_text("/api/v1/me")
    assert page.locator(".opblock").count() > 20
    page.locator(".opblock-summary", has_text="/api/v1/me").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert outside == []
    assert violations == []


def test_a_form_posted_from_another_site_is_refused(page: Page, live_url: str, container: Container) -> None:
    world = build_world(container)
    measure_id = world.awaiting_judge()
    _sign_in(page, live_url, world.tokens["judge"], "/judges")
    attacker = (
        "<!doctype html><title>Win a prize</title>"
        f'<form method="post" action="{live_url}/judges/measures/{measure_id}/authorise">'
        '<input type="hidden" name="note" value="looks fine">'
        '<input type="hidden" name="approve_prior_notice_skip" value="true">'
        '<input type="hidden" name="csrf_token" value="v1.1.guess">'
        "<button>Claim</button></form>"
    )
    page.route(
        "http://attacker.test/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=attacker),
    )
    page.goto("http://attacker.test/prize")
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("h1")).to_have_text("Form refused")
    expect(page.get_by_role("alert")).to_contain_text("another site")
    expect(page.get_by_role("link", name="Go back")).to_have_attribute(
        "href", f"/judges/measures/{measure_id}"
    )
    assert measure_row(world, measure_id).status == "awaiting_authorisation"

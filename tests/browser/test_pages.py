"""Browser: a person opens the node's pages in chromium and follows the navigation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from comity.agreements.service import install_bundled
from comity.web.container import Container

pytestmark = pytest.mark.browser


def test_home_navigation_reaches_alerts(page: Page, live_url: str, tmp_path: Path) -> None:
    page.goto(live_url + "/")
    expect(page.locator("h1")).to_have_text("Comity node")
    page.get_by_role("navigation").get_by_role("link", name="Alerts").click()
    expect(page).to_have_url(live_url + "/alerts")
    expect(page.locator("h1")).to_have_text("Open alerts")
    page.screenshot(path=str(tmp_path / "alerts.png"))
    assert (tmp_path / "alerts.png").stat().st_size > 0


def test_a_person_reads_an_agreement_and_its_sunset(page: Page, live_url: str, container: Container) -> None:
    with container.transaction() as session:
        install_bundled(session, clock=container.clock, proposer="user:admin", approver="user:oversight")
    page.goto(live_url + "/")
    page.get_by_role("navigation").get_by_role("link", name="Agreements").click()
    row = page.locator("tr", has_text="eev-eu5")
    expect(row).to_contain_text("in force")
    expect(row).to_contain_text("days to sunset")
    row.get_by_role("link").first.click()
    expect(page).to_have_url(live_url + "/agreements/eev-eu5")
    expect(page.locator("h1")).to_contain_text("e-Evidence")
    expect(page.locator("body")).to_contain_text("Permitted measures")


def test_an_officer_checks_an_action_and_reads_why_it_is_refused(
    page: Page, live_url: str, container: Container, tmp_path: Path
) -> None:
    with container.transaction() as session:
        install_bundled(session, clock=container.clock, proposer="user:admin", approver="user:oversight")
    page.goto(live_url + "/policy")
    page.get_by_label("Issuing state").select_option("IE")
    page.get_by_label("Executing state").select_option("DE")
    page.get_by_label("Issuing authority").select_option("prosecutor")
    page.get_by_label("Offence", exact=True).select_option("counterfeit_goods")
    page.get_by_label("Measure").select_option("production")
    page.get_by_label("Data category").select_option("traffic")
    page.get_by_label("Jurisdictional link").select_option("victims_in_territory")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("section.decision h2")).to_have_text("Refused")
    refused = page.locator("tr.refused")
    expect(refused.first).to_contain_text("Art. 4(2)")
    page.screenshot(path=str(tmp_path / "policy.png"), full_page=True)

    page.get_by_label("Data category").select_option("subscriber")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("section.decision h2")).to_have_text("Allowed")
    expect(page.locator("section.decision")).to_contain_text("10 days")

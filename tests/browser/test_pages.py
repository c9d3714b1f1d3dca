"""Browser: a person opens the node's pages in chromium and follows the navigation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_home_navigation_reaches_alerts(page: Page, live_url: str, tmp_path: Path) -> None:
    page.goto(live_url + "/")
    expect(page.locator("h1")).to_have_text("Comity node")
    page.get_by_role("navigation").get_by_role("link", name="Alerts").click()
    expect(page).to_have_url(live_url + "/alerts")
    expect(page.locator("h1")).to_have_text("Open alerts")
    page.screenshot(path=str(tmp_path / "alerts.png"))
    assert (tmp_path / "alerts.png").stat().st_size > 0

"""Browser: a judge signs in, finds a measure in the queue, and decides it on one page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from comity.web.container import Container
from integration.measures.world import build_world

pytestmark = pytest.mark.browser


def test_a_judge_authorises_a_measure_from_the_queue(
    page: Page, live_url: str, container: Container, tmp_path: Path
) -> None:
    world = build_world(container)
    now = world.clock.now()
    measure = world.draft(
        kind="removal_order",
        provisional=True,
        urgent=True,
        ends_at=None,
        review_at=(now + timedelta(days=3)).isoformat(),
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="the stock would be moved",
    )
    assert world.submit(measure.id).status == "awaiting_authorisation"

    page.goto(live_url + "/judges")
    expect(page).to_have_url(live_url + "/login?next=/judges")
    page.get_by_label("API token").fill(world.tokens["judge"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_url + "/judges")
    page.get_by_role("link", name=measure.id).click()
    expect(page.locator("body")).to_contain_text("removal order")
    page.get_by_label("Reasons", exact=True).fill(
        "necessary and proportionate to commercial-scale counterfeiting"
    )
    page.get_by_label("Accept skipping prior notice").check()
    page.get_by_role("button", name="Authorise").click()
    expect(page.locator("body")).to_contain_text("authorised")
    page.screenshot(path=str(tmp_path / "judge.png"), full_page=True)

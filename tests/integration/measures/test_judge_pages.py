"""The judge's pages: sign in with a token, see the queue, decide a measure on its one page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from integration.measures.world import World
from support import page_login, post_form


def test_the_queue_needs_a_judge_signed_in(client: TestClient, world: World) -> None:
    r = client.get("/judges", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_a_judge_authorises_and_confirms_from_the_pages(client: TestClient, world: World) -> None:
    from datetime import timedelta

    now = world.clock.now()
    m = world.draft(
        kind="removal_order",
        provisional=True,
        urgent=True,
        ends_at=None,
        review_at=(now + timedelta(days=5)).isoformat(),
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="the stock would be moved",
    )
    world.submit(m.id)
    r = page_login(client, world.tokens["judge"], "/judges")
    assert r.status_code == 303
    page = client.get("/judges")
    assert page.status_code == 200
    assert m.id in page.text
    assert "skip prior notice" in page.text
    page = client.get(f"/judges/measures/{m.id}")
    assert "the stock would be moved" in page.text
    assert "Authorise" in page.text
    # A decision without reasons is refused on the page, not with a 500.
    here = f"/judges/measures/{m.id}"
    r = post_form(client, here, f"{here}/authorise", {"note": ""}, follow_redirects=True)
    assert r.status_code == 200
    assert 'role="alert"' in r.text
    r = post_form(
        client,
        here,
        f"{here}/authorise",
        {"note": "urgent and proportionate", "approve_prior_notice_skip": "true"},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "authorise: done" in r.text
    assert "authorised" in r.text
    world.issue(m.id)
    assert m.id in client.get("/judges").text  # now in the reviews
    r = post_form(client, here, f"{here}/confirm", {"note": "upheld on review"}, follow_redirects=True)
    assert "confirm: done" in r.text
    assert "judicial order" in r.text
    r = post_form(client, here, f"{here}/confirm", {"note": "again"}, follow_redirects=True)
    assert r.status_code == 200
    assert 'role="alert"' in r.text
    assert client.get("/judges/measures/msr_nope").status_code == 404

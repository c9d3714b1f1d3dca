"""The judge's pages: sign in with a token, see the queue, decide a measure on its one page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from integration.measures.world import World


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
    r = client.post(
        "/login", data={"token": world.tokens["judge"], "next": "/judges"}, follow_redirects=False
    )
    assert r.status_code == 303
    page = client.get("/judges")
    assert page.status_code == 200
    assert m.id in page.text
    assert "skip prior notice" in page.text
    page = client.get(f"/judges/measures/{m.id}")
    assert "the stock would be moved" in page.text
    assert "Authorise" in page.text
    # A decision without reasons is refused on the page, not with a 500.
    r = client.post(f"/judges/measures/{m.id}/authorise", data={"note": ""}, follow_redirects=True)
    assert r.status_code == 200
    assert 'role="alert"' in r.text
    r = client.post(
        f"/judges/measures/{m.id}/authorise",
        data={"note": "urgent and proportionate", "approve_prior_notice_skip": "true"},
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "authorise: done" in r.text
    assert "authorised" in r.text
    world.issue(m.id)
    assert m.id in client.get("/judges").text  # now in the reviews
    r = client.post(
        f"/judges/measures/{m.id}/confirm", data={"note": "upheld on review"}, follow_redirects=True
    )
    assert "confirm: done" in r.text
    assert "judicial order" in r.text
    r = client.post(f"/judges/measures/{m.id}/confirm", data={"note": "again"}, follow_redirects=True)
    assert r.status_code == 200
    assert 'role="alert"' in r.text
    assert client.get("/judges/measures/msr_nope").status_code == 404

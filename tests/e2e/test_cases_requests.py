"""Over real HTTP: an officer opens a case and sends a content production request; the judge validates it,
the worker delivers it to the executing state, which confirms early; the platform hands the data over. The
officer's pages (signed in with a token through /login) show the case, its timeline and deadlines."""

from __future__ import annotations

from typing import Any

import httpx

from comity.web.container import Container
from comity.worker.jobs import tick
from integration.cases.world import build_world
from support import bearer, page_login, post_form


def test_case_and_request_over_http(live_url: str, container: Container, make_user: Any) -> None:
    world = build_world(container, make_user)
    api = f"{live_url}/api/v1"
    officer, judge, de, platform = (
        bearer(world.tokens[n]) for n in ("officer", "judge", "de_officer", "platform")
    )
    with httpx.Client(timeout=10) as http:
        case = http.post(
            f"{api}/cases",
            json={"title": "Fake watches ring", "jurisdictional_links": ["victims_in_territory"]},
            headers=officer,
        )
        assert case.status_code == 201, case.text
        case_id = case.json()["id"]
        offence = http.post(
            f"{api}/cases/{case_id}/offences",
            json={"taxonomy_code": "counterfeit_goods", "statute": "IE-TMA-1996-s92"},
            headers=officer,
        )
        target = http.post(
            f"{api}/cases/{case_id}/targets",
            json={"kind": "domain", "identifier": "fake-watches.example"},
            headers=officer,
        )
        assert offence.status_code == target.status_code == 201
        draft = http.post(
            f"{api}/cases/{case_id}/requests",
            json={
                "offence_id": offence.json()["offences"][0]["id"],
                "target_ids": [target.json()["targets"][0]["id"]],
                "agreement_id": "eev-eu5",
                "to_state": "DE",
                "measure": "production",
                "data_category": "content",
                "time_from": "2026-06-01T00:00:00Z",
                "time_to": "2026-08-01T00:00:00Z",
                "addressee_organisation_id": world.platform_org,
            },
            headers=officer,
        )
        assert draft.status_code == 201, draft.text
        rid = draft.json()["id"]
        early = http.post(f"{api}/requests/{rid}/transmit", headers=officer)
        assert early.status_code == 409
        assert early.json()["allowed_next"] == ["submit", "issue", "withdraw"]
        assert (
            http.post(f"{api}/requests/{rid}/submit", json={}, headers=officer).json()["status"]
            == "awaiting_validation"
        )
        assert http.post(f"{api}/requests/{rid}/validate", headers=judge).json()["status"] == "issued"
        sent = http.post(f"{api}/requests/{rid}/transmit", headers=officer)
        assert sent.json()["status"] == "executing_state_reviewing", sent.text
        assert tick(container, only=("outbox",)).done["outbox"] == 1
        held = http.post(f"{api}/requests/{rid}/delivered", json={}, headers=platform)
        assert held.status_code == 409  # day-10 rule: the executing state has not confirmed yet
        assert http.post(f"{api}/requests/{rid}/accept", headers=de).json()["status"] == "accepted"
        assert (
            http.post(f"{api}/requests/{rid}/delivered", json={}, headers=platform).json()["status"]
            == "delivered"
        )

        pages = httpx.Client(base_url=live_url, timeout=10, follow_redirects=False)
        assert pages.get("/cases").status_code == 303
        assert page_login(pages, "wrong").status_code == 401
        login = page_login(pages, world.tokens["officer"], f"/cases/{case_id}")
        assert login.status_code == 303
        assert "httponly" in login.headers["set-cookie"].lower()
        listing = pages.get("/cases")
        assert listing.status_code == 200
        assert "Fake watches ring" in listing.text
        page = pages.get(f"/cases/{case_id}")
        assert page.status_code == 200
        assert "Timeline" in page.text
        assert "requests:request:transmit" in page.text
        assert "Deadlines" in page.text
        assert pages.get("/cases/case_nope").status_code == 404
        request_page = pages.get(f"/requests/{rid}")
        assert request_page.status_code == 200
        assert "Art. 4(2)" in request_page.text  # the judge's validation, with the clause it satisfied
        assert f'href="/requests/{rid}"' in page.text
        assert pages.get("/requests/req_nope").status_code == 404
        assert post_form(pages, "/cases", "/logout", {}).status_code == 303
        pages.close()

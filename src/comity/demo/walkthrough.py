"""The demo's enforcement walkthrough, through the node's real HTTP API (DESIGN §3, "one enforcement action").

An Irish officer opens a case on a seller of counterfeit watches, asks Germany for the seller's subscriber
data (validated by a judge, transmitted through the egress gate and the outbox, answered by the German
marketplace), seals what came back as evidence with a signed custody event, and the node's transparency log
integrates it all; the case's evidence bundle is exported and verified offline like a court would.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from comity.custody.bundle import export_bundle
from comity.custody.bundle_verify import verify_bundle
from comity.custody.store import folder_store_for
from comity.errors import ComityError
from comity.invariants.registry import check_all, invariants
from comity.keys.keystore import Keystore
from comity.keys.truststore import TrustStore
from comity.measures.orders import verify_order
from comity.web.app import create_app
from comity.web.container import Container
from comity.worker.jobs import tick


class StoryError(ComityError):
    """A step of the walkthrough was refused: the demo says which and why."""

    status = 500
    title = "Demo walkthrough failed"
    type_slug = "demo-walkthrough-failed"


@dataclass
class Walkthrough:
    """What the walkthrough did, stage by stage."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def step(self, stage: str, what: str, **details: Any) -> None:
        self.steps.append({"stage": stage, "what": what, **details})


class _Api:
    """A thin JSON client over the app: every call must succeed, or the story stops with the reason."""

    def __init__(self, client: Any, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def call(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **kwargs.pop("headers", {})}
        response = self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise StoryError(f"{method} {path} as {who}: {response.status_code} {response.text[:400]}")
        return response.json()


def run(container: Container, tokens: dict[str, str]) -> Walkthrough:
    """Walk one enforcement action through the API with the demo users' ``tokens``."""
    # Starlette's in-process client drives the real app (auth, validation, routes) without a socket. Imported
    # here, not at module level, so that `comity --help` does not pay for it (nor print its deprecation note).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette warns about its httpx-based client on import
        from fastapi.testclient import TestClient

    story = Walkthrough()
    now = container.clock.now()
    with TestClient(create_app(container=container), raise_server_exceptions=True) as client:
        api = _Api(client, tokens)
        case = api.call(
            "POST",
            "/cases",
            "demo-officer",
            json={
                "title": "Counterfeit watches sold to Irish buyers",
                "jurisdictional_links": ["victims_in_territory"],
            },
        )
        case_id = case["id"]
        story.ids["case"] = case_id
        offence = api.call(
            "POST",
            f"/cases/{case_id}/offences",
            "demo-officer",
            json={"taxonomy_code": "counterfeit_goods", "statute": "IE-TMA-1996-s92"},
        )
        target = api.call(
            "POST",
            f"/cases/{case_id}/targets",
            "demo-officer",
            json={"kind": "seller_account", "identifier": "watchdeals-4711", "data_category": "subscriber"},
        )
        story.step("case", "IE officer opens a case: offence, statute, seller account", case=case_id)

        draft = api.call(
            "POST",
            f"/cases/{case_id}/requests",
            "demo-officer",
            json={
                "offence_id": offence["offences"][0]["id"],
                "target_ids": [target["targets"][0]["id"]],
                "agreement_id": "eev-eu5",
                "to_state": "DE",
                "measure": "production",
                "data_category": "subscriber",
                "time_from": (now - timedelta(days=90)).isoformat(),
                "time_to": now.isoformat(),
                "addressee_organisation_id": "marktplatz-gmbh",
            },
        )
        request_id = draft["id"]
        story.ids["request"] = request_id
        api.call("POST", f"/requests/{request_id}/submit", "demo-officer", json={})
        validated = api.call("POST", f"/requests/{request_id}/validate", "demo-judge")
        story.step(
            "request", "IE judge validates the production order (police issuer)", status=validated["status"]
        )
        sent = api.call("POST", f"/requests/{request_id}/transmit", "demo-officer")
        delivered = tick(container, only=("outbox",)).done.get("outbox", 0)
        story.step(
            "request",
            "transmitted to DE through the egress gate and the outbox",
            status=sent["status"],
            messages_delivered=delivered,
        )
        answered = api.call("POST", f"/requests/{request_id}/delivered", "demo-platform-de", json={})
        story.step(
            "request", "the German marketplace hands the subscriber data over", status=answered["status"]
        )

        evidence = api.call(
            "POST",
            "/evidence",
            "demo-officer",
            params={
                "kind": "dataset",
                "case_id": case_id,
                "data_category": "subscriber",
                "tlp": "amber",
                "legal_authority": f"EPOC {request_id} (Regulation (EU) 2023/1543 Art. 5)",
                "retention_until": (now + timedelta(days=365)).isoformat(),
                "filename": "subscriber-data.csv",
            },
            content=b"account,name,email\nwatchdeals-4711,Example Seller,seller@example.invalid\n",
            headers={"Content-Type": "text/csv"},
        )
        story.ids["evidence"] = evidence["id"]
        api.call("POST", f"/evidence/{evidence['id']}/events", "demo-officer", json={"action": "sealed"})
        story.step(
            "evidence",
            "the answer is collected and sealed; each custody event is signed",
            sha256=evidence["sha256"],
        )

        _order_stage(story, api, container, case_id)

        integrated = tick(container, only=("translog",)).done.get("translog", 0)
        story.step(
            "log",
            "the transparency log integrates every audit event and signs a checkpoint",
            integrated=integrated,
        )

    with tempfile.TemporaryDirectory() as folder:
        bundle = Path(folder) / "bundle.zip"
        export_bundle(
            container.sessions,
            clock=container.clock,
            settings=container.settings,
            keystore=Keystore.for_settings(container.settings),
            store=folder_store_for(container.settings),
            case_id=case_id,
            out=bundle,
        )
        report = verify_bundle(bundle)
    story.step(
        "bundle",
        "the case's evidence bundle is exported and verified offline",
        tree_size=report.tree_size,
        items=report.items,
        custody_events=report.events,
        origin=report.origin,
    )
    with container.transaction() as session:
        violations = check_all(session, now=container.clock.now())
    story.step(
        "audit",
        "every due-process invariant is checked over the whole database",
        invariants=len(invariants()),
        violations=len(violations),
    )
    story.counts.update(
        invariant_violations=len(violations),
        cases=1,
        requests=1,
        evidence=report.items,
        custody_events=report.events,
        bundles_verified=1,
        log_entries=report.tree_size,
    )
    return story


def _order_stage(story: Walkthrough, api: _Api, container: Container, case_id: str) -> None:
    """A provisional removal order to the Bazaar marketplace: authorised by a judge (who also accepts why
    prior notice would defeat it), signed with the issuing authority's key, verified by the platform
    offline against the pinned trust store, complied with; the affected seller's notice goes out through
    the platform."""
    now = container.clock.now()
    listing = api.call(
        "POST",
        f"/cases/{case_id}/targets",
        "demo-officer",
        json={
            "kind": "listing_url",
            "identifier": "https://bazaar.example/listing/4711",
            "data_category": "content",
        },
    )
    target_id = next(t["id"] for t in listing["targets"] if t["kind"] == "listing_url")
    measure = api.call(
        "POST",
        "/measures",
        "demo-officer",
        json={
            "case_id": case_id,
            "kind": "removal_order",
            "addressee": "bazaar-ltd",
            "offence": "counterfeit_goods",
            "executing_jurisdiction": "IE",
            "target_id": target_id,
            "provisional": True,
            "urgent": True,
            "legal_basis": "Regulation (EU) 2022/2065 Art. 9; Trade Marks Act 1996 s. 14",
            "justification": "The listing offers counterfeit watches, confirmed by a test purchase.",
            "proportionality": {
                "offence_severity": "medium: commercial-scale counterfeiting",
                "harm": "buyers deceived into paying for imitation goods",
                "milder_alternatives": ["voluntary request under Bazaar's terms (not answered in 7 days)"],
            },
            "escalation_reason": "the voluntary request under the platform's terms went unanswered",
            "territorial_scope": ["IE"],
            "starts_at": now.isoformat(),
            "review_at": (now + timedelta(days=7)).isoformat(),
            "prior_notice_skip_ground": "would_defeat",
            "prior_notice_skip_reason": "the seller would relist the stock under another account",
        },
    )
    measure_id = measure["id"]
    story.ids["measure"] = measure_id
    api.call("POST", f"/measures/{measure_id}/submit", "demo-officer", json={})
    api.call(
        "POST",
        f"/measures/{measure_id}/authorise",
        "demo-judge",
        json={
            "note": "necessary and proportionate; prior notice would defeat it",
            "approve_prior_notice_skip": True,
        },
    )
    issued = api.call("POST", f"/measures/{measure_id}/issue", "demo-officer", json={})
    story.step(
        "order",
        "a judge authorises a provisional removal order; it is signed and issued",
        status=issued["status"],
        review_by=issued.get("review_deadline") or issued.get("lapses_at"),
    )

    inbox = api.call("GET", "/platform/inbox", "demo-platform")
    order = next(m for m in inbox if m["kind"] == "order.apply")
    trust = TrustStore.from_json(api.client.get("/api/v1/keys/trust-store").content)
    verified = verify_order(
        order["payload"].encode(),
        keys=trust,
        addressee="bazaar-ltd",
        at=container.clock.now() + timedelta(seconds=1),
    )
    for message in inbox:
        api.call("POST", f"/platform/inbox/{message['message_id']}/ack", "demo-platform")
    api.call("POST", f"/measures/{measure_id}/answers", "demo-platform", json={"answer": "complied"})
    tick(container, only=("outbox",))  # the relay confirms what the platform acknowledged
    tick(container, only=("notices.delivery",))  # ... and the notice counts as sent only then
    notices = api.call("GET", "/notices", "demo-officer", params={"measure_id": measure_id})
    story.step(
        "order",
        "the platform verifies the order offline, complies; the seller's notice is delivered",
        verified_order=verified.summary()["order_id"],
        notices=[f"{n['kind']}:{n['status']}" for n in notices],
    )
    story.counts.update(measures=1, orders=1, notices=len(notices))

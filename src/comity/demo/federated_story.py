"""The federated demo's story, driven stage by stage over HTTP with the users' bearer tokens."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

import httpx

from comity.clock import SystemClock
from comity.demo.federated_figures import every_node_holds_a_pseudonym_key, settled
from comity.demo.federated_processes import FederatedDemoError, Processes, wait_for
from comity.demo.federated_setup import AGREEMENT, WITNESS_NAME, WITNESSED, DemoNode


@dataclass
class Run:
    """What the demo did, for the JSON it prints."""

    started: float = field(default_factory=time.monotonic)
    stages: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, Any] = field(default_factory=dict)
    _stage_started: float = field(default_factory=time.monotonic)

    def done(self, stage: str, what: str, **details: Any) -> None:
        now = time.monotonic()
        self.stages.append(
            {"stage": stage, "what": what, "seconds": round(now - self._stage_started, 3), **details}
        )
        self._stage_started = now


# -- the story over HTTP ------------------------------------------------------------------------------


class _Api:
    """JSON over HTTP to one node with one user's token; every call must succeed or the stage fails."""

    def __init__(self, node: DemoNode) -> None:
        self.node = node
        self.client = httpx.Client(base_url=node.url + "/api/v1", timeout=30)

    def call(self, stage: str, method: str, path: str, who: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.node.tokens[who]}", **kwargs.pop("headers", {})}
        response = self.client.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise FederatedDemoError(
                stage,
                f"{self.node.code} {method} {path} as {who}: {response.status_code} {response.text[:500]}",
            )
        return response.json()

    def close(self) -> None:
        self.client.close()


def _cosignatures(node: DemoNode) -> dict[str, Any] | None:
    """The latest checkpoint of ``node``'s log if the witness cosigned it."""
    response = httpx.get(node.url + "/api/v1/log/checkpoint", timeout=5)
    if response.status_code != 200:
        return None
    note = response.text
    lines = [line for line in note.splitlines() if line.startswith(f"\u2014 {WITNESS_NAME} ")]
    if not lines:
        return None
    body = note.split("\n\n", 1)[0].splitlines()
    return {"origin": body[0], "size": int(body[1]), "cosignatures": lines}


def drive_story(nodes: dict[str, DemoNode], processes: Processes, run: Run, timeout: float) -> dict[str, Any]:
    """Drive the story over HTTP as IE's and DE's users, stage by stage; return what the summary shows."""
    ie, de = _Api(nodes["IE"]), _Api(nodes["DE"])
    try:
        return _drive(nodes, ie, de, processes, run, timeout)
    finally:
        ie.close()
        de.close()


def _drive(
    nodes: dict[str, DemoNode], ie: _Api, de: _Api, processes: Processes, run: Run, timeout: float
) -> dict[str, Any]:
    held = wait_for(
        processes,
        "pseudonym_keys",
        f"the shared pseudonym key of {AGREEMENT} on every node",
        partial(every_node_holds_a_pseudonym_key, nodes),
        timeout,
    )
    run.done("pseudonym_keys", f"the steward (DE) shared the pseudonym key of {AGREEMENT}", keys=held)

    now = SystemClock().now()
    case = ie.call(
        "case",
        "POST",
        "/cases",
        "demo-officer",
        json={
            "title": "Counterfeit watches sold to Irish buyers",
            "jurisdictional_links": ["victims_in_territory"],
        },
    )
    case_id = case["id"]
    offence = ie.call(
        "case",
        "POST",
        f"/cases/{case_id}/offences",
        "demo-officer",
        json={"taxonomy_code": "counterfeit_goods", "statute": "IE-TMA-1996-s92"},
    )
    target = ie.call(
        "case",
        "POST",
        f"/cases/{case_id}/targets",
        "demo-officer",
        json={"kind": "seller_account", "identifier": "watchdeals-4711", "data_category": "subscriber"},
    )
    run.ids["case"] = case_id
    run.done("case", "IE officer opens a case: offence, statute, seller account", case=case_id)

    draft = ie.call(
        "request",
        "POST",
        f"/cases/{case_id}/requests",
        "demo-officer",
        json={
            "offence_id": offence["offences"][0]["id"],
            "target_ids": [target["targets"][0]["id"]],
            "agreement_id": AGREEMENT,
            "to_state": "DE",
            "measure": "production",
            # Traffic data of a seller who does not live in IE: DE, the enforcing state, is notified and
            # reviews the order before the marketplace must answer (e-Evidence Art. 8(1), 10(2)).
            "data_category": "traffic",
            "person_resides_in_issuing": False,
            "time_from": (now - timedelta(days=90)).isoformat(),
            "time_to": now.isoformat(),
            "addressee_organisation_id": "marktplatz-gmbh",
        },
    )
    request_id = draft["id"]
    run.ids["request"] = request_id
    ie.call("request", "POST", f"/requests/{request_id}/submit", "demo-officer", json={})
    validated = ie.call("request", "POST", f"/requests/{request_id}/validate", "demo-judge")
    sent = ie.call("request", "POST", f"/requests/{request_id}/transmit", "demo-officer")
    run.done(
        "request",
        "IE drafts a production request to DE; a judge validates it; the officer transmits it",
        validated=validated["status"],
        status=sent["status"],
    )

    def mirrored() -> dict[str, Any] | None:
        page = de.call("mirror", "GET", "/requests", "demo-officer-de")
        return next((r for r in page["items"] if r["id"] == request_id), None)

    mirror = wait_for(processes, "mirror", f"DE's mirror of request {request_id}", mirrored, timeout)
    run.done(
        "mirror",
        "the request travels over federation; DE mirrors it with the same request and case ids",
        status=mirror["status"],
        case=mirror["case_id"],
    )

    accepted = de.call("accept", "POST", f"/requests/{request_id}/accept", "demo-officer-de")
    run.done(
        "accept",
        "DE's officer reviews the notified order and accepts it (no ground for refusal, Art. 12)",
        status=accepted["status"],
    )

    evidence_query = {
        "kind": "dataset",
        "case_id": mirror["case_id"],
        "data_category": "traffic",
        "tlp": "amber",
        "legal_authority": f"EPOC {request_id} (Regulation (EU) 2023/1543 Art. 5)",
        "retention_until": (now + timedelta(days=365)).isoformat(),
        "filename": "traffic-data.csv",
    }
    content = b"account,logged_in_at,source_ip\nwatchdeals-4711,2026-09-01T08:00:00Z,198.51.100.7\n"
    # The marketplace hands its answer to DE's authority, whose officer records it into custody (custody
    # is an officer's or a judge's act on every node) and seals it for the transfer.
    collector = "demo-officer-de"
    evidence = de.call(
        "evidence",
        "POST",
        "/evidence",
        collector,
        params=evidence_query,
        content=content,
        headers={"Content-Type": "text/csv"},
    )
    de.call("evidence", "POST", f"/evidence/{evidence['id']}/events", collector, json={"action": "sealed"})
    run.ids["evidence_de"] = evidence["id"]
    run.done(
        "evidence",
        "the marketplace's answer is collected on DE for the request's case and sealed",
        evidence=evidence["id"],
        sha256=evidence["sha256"],
        collected_by=collector,
    )

    delivered = de.call("delivered", "POST", f"/requests/{request_id}/delivered", "demo-platform-de", json={})
    run.done("delivered", "the German marketplace marks the request delivered", status=delivered["status"])

    sender = collector
    de.call(
        "transfer",
        "POST",
        f"/evidence/{evidence['id']}/transfer",
        sender,
        json={"to": "IE", "agreement_id": AGREEMENT},
    )
    run.done(
        "transfer",
        "DE transfers the sealed evidence to IE (a signed custody event on each side)",
        by=sender,
    )

    de_status = de.call("delivered", "GET", f"/requests/{request_id}", "demo-officer-de")["status"]

    def ie_delivered() -> dict[str, Any] | None:
        detail = ie.call("ie_status", "GET", f"/requests/{request_id}", "demo-officer")
        return detail if detail["status"] == de_status else None

    ie_detail = wait_for(processes, "ie_status", f"IE's request to show {de_status!r}", ie_delivered, timeout)
    run.done(
        "ie_status", "DE's steps reach IE: its request shows the same status", status=ie_detail["status"]
    )

    def ie_holds() -> dict[str, Any] | None:
        items = ie.call("ie_evidence", "GET", "/evidence", "demo-officer", params={"case_id": case_id})
        return next((i for i in items if i["sha256"] == evidence["sha256"]), None)

    received = wait_for(processes, "ie_evidence", "the transferred evidence on IE", ie_holds, timeout)
    run.ids["evidence_ie"] = received["id"]
    run.done(
        "ie_evidence",
        "IE holds the received evidence item, same content address",
        evidence=received["id"],
        state=received["state"],
    )

    wait_for(
        processes,
        "settle",
        "every outbox drained and every received message handled",
        lambda: settled(nodes),
        timeout,
    )
    final = {
        "IE": ie.call("final", "GET", f"/requests/{request_id}", "demo-officer")["status"],
        "DE": de.call("final", "GET", f"/requests/{request_id}", "demo-officer-de")["status"],
    }
    ie_items = ie.call("final", "GET", "/evidence", "demo-officer", params={"case_id": case_id})
    de_items = de.call("final", "GET", "/evidence", "demo-officer-de", params={"case_id": mirror["case_id"]})
    run.done("settle", "every message delivered, receipted and handled on every node")

    witnessed: dict[str, Any] = {}
    for code in WITNESSED:
        node = nodes[code]
        witnessed[code] = wait_for(
            processes,
            "witness",
            f"a checkpoint of {code}'s log cosigned by {WITNESS_NAME}",
            partial(_cosignatures, node),
            timeout,
        )
    run.done(
        "witness",
        "IE's and DE's log checkpoints are cosigned by FR's witness",
        sizes={c: w["size"] for c, w in witnessed.items()},
    )
    return {
        "request_id": request_id,
        "case_id": case_id,
        "statuses": final,
        "evidence": {
            "DE": [{"id": i["id"], "sha256": i["sha256"], "state": i["state"]} for i in de_items],
            "IE": [{"id": i["id"], "sha256": i["sha256"], "state": i["state"]} for i in ie_items],
        },
        "witness": {"name": WITNESS_NAME, "checkpoints": witnessed},
    }

"""The authorisation matrix: every API route and page x every kind of caller (role, own or other
jurisdiction, on the case or not) -> the status the rules of access say, and no personal data in a body
its reader may not see.

The expected outcomes are written here from the rules (DESIGN §3 "access follows the case", the issue's
table of who reads and who writes), not read from the code. The route table is walked from the app: a
route without an entry here fails the test, so a new route cannot ship without its row.

Outcomes: a status (401, 403, 404...), ``OK`` (authorised: the call reached its use case, which may still
answer 409 or 422 about the state or the input), ``OK_OR_404`` (a node administrator acting on an object
id that need not exist in this world, e.g. an alert), and for pages ``SIGNED_OUT`` (a redirect to /login:
the page does not serve this role).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.requests import Request

from comity.kinds import Role
from comity.web import csrf
from comity.web.app import create_app
from comity.web.container import Container
from integration.web.authz_world import (
    JUSTIFICATION_MARKER,
    MARKERS,
    PROFILES,
    RECIPIENT_MARKER,
    SOURCE_MARKER,
    TARGET_MARKER,
    AuthzWorld,
    build,
)

OK = "ok"
OK_OR_404 = "ok-or-404"
SIGNED_OUT = "signed-out"
Expect = int | str
Rule = Callable[[str], Expect]

# --- who is who in the world ------------------------------------------------------------------------

OFFICERS = {"lead", "investigator_ie", "member_de", "officer_ie", "officer_de"}
JUDGES = {"judge_ie", "judge_de"}
PLATFORMS = {"platform_measure", "platform_request", "platform_other"}
AUDITORS = {"auditor_ie", "auditor_de"}
ADMINS = {"admin_node", "admin_de", "admin_platform"}
ROLES: dict[Role, set[str]] = {
    Role.OFFICER: OFFICERS,
    Role.JUDGE: JUDGES,
    Role.PLATFORM: PLATFORMS,
    Role.AUDITOR: AUDITORS,
    Role.ADMINISTRATOR: ADMINS,
}
#: The case's readers: its members in period (lead, IE investigator, DE secondee) and the IE judge, to
#: whom its measure and request were submitted. Its editors: the lead and the investigator.
CASE_READERS = {"lead", "investigator_ie", "member_de", "judge_ie"}
CASE_EDITORS = {"lead", "investigator_ie"}
#: The oversight of IE (the node's jurisdiction): its auditor and the node's administrator.
OVERSIGHT_IE = {"auditor_ie", "admin_node"}
#: The measure's readers: the case's, the platform it is addressed to (issued), and IE oversight.
MEASURE_READERS = CASE_READERS | {"platform_measure"} | OVERSIGHT_IE
#: The request's readers: the case's, the executing state's officers (DE), the DE addressee platform.
EXECUTING = {"officer_de", "member_de"}
REQUEST_READERS = CASE_READERS | EXECUTING | {"platform_request"}
#: Evidence: the case's readers among this node's custodians (IE officers and judges) read it; the DE
#: secondee reads the case but custody on this node is IE's (403).
EVIDENCE_READERS = {"lead", "investigator_ie", "judge_ie"}

#: Which markers of personal data each caller may see in a body.
MAY_SEE: dict[str, set[str]] = {
    **{p: set(MARKERS) for p in CASE_READERS},
    "platform_measure": {TARGET_MARKER, JUSTIFICATION_MARKER},
    "platform_request": {TARGET_MARKER},
    "officer_de": {TARGET_MARKER},
}


def _role_of(profile: str) -> Role | None:
    return next((role for role, people in ROLES.items() if profile in people), None)


# --- rules --------------------------------------------------------------------------------------------


def public(_: str) -> Expect:
    return OK


def gate(roles: set[Role] | None, rule: Rule = public) -> Rule:
    """Authenticated callers of ``roles`` (any role when None) reach ``rule``; 401 anonymous, else 403."""

    def _rule(profile: str) -> Expect:
        role = _role_of(profile)
        if role is None:
            return 401
        if roles is not None and role not in roles:
            return 403
        return rule(profile)

    return _rule


def page(roles: set[Role], rule: Rule = public) -> Rule:
    """A page for ``roles``: anyone else is sent to sign in."""

    def _rule(profile: str) -> Expect:
        role = _role_of(profile)
        if role is None or role not in roles:
            return SIGNED_OUT
        return rule(profile)

    return _rule


def among(allowed: set[str], *, seen: set[str] = frozenset(), otherwise: int = 404) -> Rule:  # type: ignore[assignment]
    """OK for ``allowed``; 403 for those who see the object (``seen``) but may not do this; else 404."""

    def _rule(profile: str) -> Expect:
        if profile in allowed:
            return OK
        return 403 if profile in seen else otherwise

    return _rule


def only(allowed: set[str], otherwise: int = 403, missing_ok: bool = False) -> Rule:
    def _rule(profile: str) -> Expect:
        if profile in allowed:
            return OK_OR_404 if missing_ok else OK
        return otherwise

    return _rule


def signed_in_form(rule: Rule) -> Rule:
    """A page form: a signed-out browser was shown no form token, so its post is refused (403)."""
    return lambda profile: 403 if profile == "anonymous" else rule(profile)


O, J, P, A, AD = Role.OFFICER, Role.JUDGE, Role.PLATFORM, Role.AUDITOR, Role.ADMINISTRATOR  # noqa: E741
NODE_ADMIN = gate({AD}, only({"admin_node"}))
NODE_ADMIN_MISSING_OK = gate({AD}, only({"admin_node"}, missing_ok=True))
CASE_READ = gate({O, J}, among(CASE_READERS))
CASE_EDIT = gate({O}, among(CASE_EDITORS, seen=CASE_READERS))
MEASURE_READ = gate({O, J, P, A, AD}, among(MEASURE_READERS))
MEASURE_OFFICER = gate({O}, among(CASE_EDITORS, seen=MEASURE_READERS))
MEASURE_JUDGE = gate({J}, among({"judge_ie"}, seen=MEASURE_READERS))
MEASURE_OFFICER_OR_JUDGE = gate({O, J}, among(CASE_EDITORS | {"judge_ie"}, seen=MEASURE_READERS))
REQUEST_ISSUING = gate({O}, among(CASE_EDITORS, seen=REQUEST_READERS))
REQUEST_EXECUTING = gate({O}, among(EXECUTING, seen=REQUEST_READERS))
REQUEST_VALIDATOR = gate({O, J}, among({"judge_ie"}, seen=REQUEST_READERS))
REQUEST_ADDRESSEE = gate({O, J, P}, among({"platform_request"}, seen=REQUEST_READERS))
EVIDENCE_READ = gate({O, J}, among(EVIDENCE_READERS, seen={"member_de"}))
EVIDENCE_OFFICER_ACT = gate({O, J}, among(CASE_EDITORS, seen={"member_de", "judge_ie"}))
EVIDENCE_JUDGE_ACT = gate({O, J}, among(CASE_EDITORS | {"judge_ie"}, seen={"member_de"}))


def _upload(profile: str) -> Expect:
    # Custody on this node is its own jurisdiction's (403 to DE before anything); then the case decides.
    if profile in {"member_de", "officer_de", "judge_de"}:
        return 403
    return among(CASE_EDITORS, seen={"judge_ie"})(profile)


def _evidence_list(profile: str) -> Expect:
    return among(EVIDENCE_READERS, seen={"member_de"})(profile)


def _hold(profile: str) -> Expect:
    return OK if profile in {"judge_ie", "admin_node"} else 404


def _users(profile: str) -> Expect:
    return OK if profile == "admin_node" else 403  # into the IE police: only the node's administrators


# --- the table ----------------------------------------------------------------------------------------

#: (method, path) -> (rule, request): every route of the app. ``request`` builds the call's keyword
#: arguments (json, params, content, data) from the world's ids.
Call = Callable[[AuthzWorld], dict[str, Any]]


def none(_: AuthzWorld) -> dict[str, Any]:
    return {}


def js(body: dict[str, Any] | Callable[[AuthzWorld], dict[str, Any]]) -> Call:
    return lambda w: {"json": body(w) if callable(body) else body}


def qs(params: dict[str, Any] | Callable[[AuthzWorld], dict[str, Any]]) -> Call:
    return lambda w: {"params": params(w) if callable(params) else params}


REASON = js({"reason": "matrix probe"})
NOTE = js({"note": "matrix probe"})


def _future(w: AuthzWorld, days: int) -> str:
    return (w.container.clock.now() + timedelta(days=days)).isoformat()


def _upload_call(w: AuthzWorld) -> dict[str, Any]:
    return {
        "params": {
            "kind": "screenshot",
            "case_id": w.ids["case_id"],
            "data_category": "content",
            "tlp": "amber",
            "legal_authority": "IE-WARRANT-2026-18",
            "retention_until": _future(w, 365),
        },
        "content": b"more bytes",
        "headers": {"Content-Type": "image/png"},
    }


@dataclass(frozen=True)
class Row:
    rule: Rule
    call: Call = none


TABLE: dict[tuple[str, str], Row] = {
    # --- open to everyone -------------------------------------------------------------------------
    ("GET", "/openapi.json"): Row(public),
    ("GET", "/docs"): Row(public),
    ("GET", "/healthz"): Row(public),
    ("GET", "/"): Row(public),
    ("GET", "/api/v1/offences"): Row(public),
    ("GET", "/api/v1/jurisdictions"): Row(public),
    ("GET", "/api/v1/jurisdictions/{code}"): Row(public),
    ("GET", "/api/v1/schemas/{name}"): Row(public),
    ("GET", "/offences"): Row(public),
    ("GET", "/jurisdictions"): Row(public),
    ("GET", "/jurisdictions/{code}"): Row(public),
    ("GET", "/api/v1/agreements"): Row(public),
    ("GET", "/api/v1/agreements/{agreement_id}"): Row(public),
    ("GET", "/api/v1/agreements/{agreement_id}/versions/{version}"): Row(public),
    ("GET", "/governance"): Row(public),
    ("GET", "/agreements"): Row(public),
    ("GET", "/agreements/{agreement_id}"): Row(public),
    ("GET", "/policy"): Row(public),
    ("GET", "/api/v1/keys"): Row(public),
    ("GET", "/api/v1/keys/trust-store"): Row(public),
    ("GET", "/api/v1/keys/{keyid}"): Row(public),
    ("GET", "/keys"): Row(public),
    ("GET", "/api/v1/log/checkpoint"): Row(public),
    ("GET", "/api/v1/log/vkey"): Row(public),
    ("GET", "/api/v1/log/proof/inclusion"): Row(public, qs({"index": 0})),
    ("GET", "/api/v1/log/proof/consistency"): Row(public, qs({"from": 0, "to": 0})),
    ("GET", "/api/v1/log/entries"): Row(public, qs({"start": 0, "end": 50})),
    ("GET", "/api/v1/statements-of-reasons"): Row(public),
    ("GET", "/alerts"): Row(public),
    ("GET", "/login"): Row(public),
    # Posted without the sign-in form's own token (bound to a pre-session cookie): refused (login CSRF).
    ("POST", "/login"): Row(
        lambda p: 403, lambda w: {"data": {"token": "cmt_not-a-token", "next": "/cases"}}
    ),
    # Whoever you were, you are signed out (a signed-out browser has no form token: 403 page).
    ("POST", "/logout"): Row(lambda p: 403 if p == "anonymous" else SIGNED_OUT, lambda w: {"data": {}}),
    # The public inbox authenticates by the signature in the body: garbage is refused as such (4xx).
    ("POST", "/api/v1/federation/inbox"): Row(public, lambda w: {"content": b"not an envelope"}),
    ("POST", "/api/v1/federation/inbox/batch"): Row(public, js([])),  # type: ignore[arg-type]
    # --- any signed-in caller ---------------------------------------------------------------------
    ("GET", "/api/v1/me"): Row(gate(None)),
    ("GET", "/api/v1/organisations"): Row(gate(None)),
    ("GET", "/api/v1/alerts"): Row(gate(None)),
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): Row(gate(None, lambda p: OK_OR_404)),
    (
        "POST",
        "/api/v1/policy/decisions",
    ): Row(
        gate(None),
        js(
            {
                "action": "production",
                "issuing_state": "IE",
                "executing_state": "DE",
                "offence": "counterfeit_goods",
                "data_category": "content",
            }
        ),
    ),
    # --- node administration ----------------------------------------------------------------------
    ("POST", "/api/v1/organisations"): Row(
        NODE_ADMIN, js({"name": "Matrix platform", "kind": "platform", "jurisdiction": "IE"})
    ),
    ("POST", "/api/v1/users"): Row(
        gate({AD}, _users),
        js({"username": "mx-new-judge", "role": "judge", "organisation_id": "org_ie_court"}),
    ),
    ("POST", "/api/v1/keys/anchors"): Row(NODE_ADMIN, js({"jurisdiction": "IE"})),
    ("POST", "/api/v1/keys"): Row(NODE_ADMIN, js({"purpose": "node_signing", "jurisdiction": "IE"})),
    ("POST", "/api/v1/keys/{keyid}/revoke"): Row(NODE_ADMIN, js({"reason": "matrix probe"})),
    ("POST", "/api/v1/keys/{keyid}/rotate"): Row(NODE_ADMIN, js({})),
    ("GET", "/api/v1/federation/peers"): Row(NODE_ADMIN),
    ("POST", "/api/v1/federation/peers"): Row(
        NODE_ADMIN, js({"jurisdiction": "NL", "base_url": "https://nl.node.test", "agreements": ["eev-eu5"]})
    ),
    ("DELETE", "/api/v1/federation/peers/{jurisdiction}"): Row(NODE_ADMIN_MISSING_OK),
    ("POST", "/api/v1/federation/trust"): Row(NODE_ADMIN, lambda w: {"content": b"{}"}),
    ("GET", "/api/v1/federation/received"): Row(NODE_ADMIN),
    ("POST", "/api/v1/federation/received/{message_id}/requeue"): Row(NODE_ADMIN_MISSING_OK),
    ("POST", "/api/v1/governance/proposals"): Row(NODE_ADMIN, js({"kind": "agreement", "text": "id: x"})),
    # --- oversight --------------------------------------------------------------------------------
    ("GET", "/api/v1/audit/events"): Row(gate({A, AD}, only(OVERSIGHT_IE))),
    ("GET", "/api/v1/governance/proposals"): Row(gate({A, AD})),
    ("GET", "/api/v1/governance/proposals/{document_id}"): Row(gate({A, AD})),
    # Governed documents are decided by an oversight body of the node's jurisdiction (here IE's board).
    ("POST", "/api/v1/governance/proposals/{document_id}/approve"): Row(gate({A, AD}, only(OVERSIGHT_IE))),
    ("POST", "/api/v1/governance/proposals/{document_id}/reject"): Row(
        gate({A, AD}, only(OVERSIGHT_IE)), js({"note": "matrix probe"})
    ),
    # --- cases ------------------------------------------------------------------------------------
    ("POST", "/api/v1/cases"): Row(gate({O}), js({"title": "Probe", "jurisdictional_links": ["targeting"]})),
    ("GET", "/api/v1/cases"): Row(gate({O, J})),
    ("GET", "/api/v1/cases/{case_id}"): Row(CASE_READ),
    ("GET", "/api/v1/cases/{case_id}/timeline"): Row(CASE_READ),
    ("GET", "/api/v1/cases/{case_id}/deadlines"): Row(CASE_READ),
    ("POST", "/api/v1/cases/{case_id}/offences"): Row(
        CASE_EDIT, js({"taxonomy_code": "counterfeit_goods", "statute": "IE-TMA-1996-s92"})
    ),
    ("POST", "/api/v1/cases/{case_id}/targets"): Row(
        CASE_EDIT, js({"kind": "domain", "identifier": "probe.example"})
    ),
    ("POST", "/api/v1/cases/{case_id}/members"): Row(
        CASE_EDIT, js({"username": "demo-officer", "role": "analyst"})
    ),
    ("POST", "/api/v1/cases/{case_id}/teams"): Row(
        CASE_EDIT,
        js(
            lambda w: {
                "purpose": "probe",
                "parties": ["IE", "FR"],
                "starts_at": _future(w, 0),
                "ends_at": _future(w, 30),
            }
        ),
    ),
    ("POST", "/api/v1/cases/{case_id}/teams/{team_id}/extend"): Row(
        CASE_EDIT, js(lambda w: {"ends_at": _future(w, 200)})
    ),
    ("POST", "/api/v1/cases/{case_id}/teams/{team_id}/secondees"): Row(
        CASE_EDIT,
        js(
            lambda w: {
                "username": "demo-officer-de",
                "undertaking_sha256": "0" * 64,
                "undertaking_signed_at": _future(w, 0),
            }
        ),
    ),
    ("POST", "/api/v1/cases/{case_id}/close"): Row(CASE_EDIT, REASON),
    ("POST", "/api/v1/cases/{case_id}/reopen"): Row(CASE_EDIT, REASON),
    ("GET", "/cases"): Row(page({O, J})),
    ("GET", "/cases/{case_id}"): Row(page({O, J}, among(CASE_READERS))),
    # --- requests ---------------------------------------------------------------------------------
    ("POST", "/api/v1/cases/{case_id}/requests"): Row(
        gate({O}, among(CASE_EDITORS, seen=CASE_READERS)),
        js(
            lambda w: {
                "offence_id": w.ids["offence_id"],
                "target_ids": [w.ids["target_id"]],
                "agreement_id": "eev-eu5",
                "to_state": "FR",
                "measure": "preservation",
                "data_category": "content",
                "addressee_organisation_id": "marktplatz-gmbh",
            }
        ),
    ),
    ("GET", "/api/v1/requests"): Row(gate({O, J, P})),
    ("GET", "/api/v1/requests/{request_id}"): Row(gate({O, J, P}, among(REQUEST_READERS))),
    ("POST", "/api/v1/requests/{request_id}/submit"): Row(REQUEST_ISSUING, NOTE),
    ("POST", "/api/v1/requests/{request_id}/validate"): Row(REQUEST_VALIDATOR),
    ("POST", "/api/v1/requests/{request_id}/reject-validation"): Row(REQUEST_VALIDATOR, NOTE),
    ("POST", "/api/v1/requests/{request_id}/issue"): Row(REQUEST_ISSUING),
    ("POST", "/api/v1/requests/{request_id}/transmit"): Row(REQUEST_ISSUING),
    ("POST", "/api/v1/requests/{request_id}/accept"): Row(REQUEST_EXECUTING),
    ("POST", "/api/v1/requests/{request_id}/grounds"): Row(
        REQUEST_EXECUTING, js({"grounds": ["fundamental_rights"], "note": "probe"})
    ),
    ("POST", "/api/v1/requests/{request_id}/ask-clarification"): Row(REQUEST_EXECUTING, NOTE),
    ("POST", "/api/v1/requests/{request_id}/clarify"): Row(REQUEST_ISSUING, NOTE),
    ("POST", "/api/v1/requests/{request_id}/preserved"): Row(REQUEST_ADDRESSEE),
    ("POST", "/api/v1/requests/{request_id}/delivered"): Row(REQUEST_ADDRESSEE, NOTE),
    ("POST", "/api/v1/requests/{request_id}/not-executed"): Row(
        REQUEST_ADDRESSEE, js({"reasons": ["data_not_held"], "note": "probe"})
    ),
    ("POST", "/api/v1/requests/{request_id}/extend"): Row(REQUEST_ISSUING),
    ("POST", "/api/v1/requests/{request_id}/confirm-production"): Row(REQUEST_ISSUING, NOTE),
    ("POST", "/api/v1/requests/{request_id}/withdraw"): Row(REQUEST_ISSUING, NOTE),
    ("POST", "/api/v1/requests/{request_id}/close"): Row(REQUEST_ISSUING),
    ("GET", "/requests/{request_id}"): Row(page({O, J}, among(REQUEST_READERS))),
    # --- evidence and legal holds -----------------------------------------------------------------
    ("POST", "/api/v1/evidence"): Row(gate({O, J}, _upload), _upload_call),
    ("GET", "/api/v1/evidence"): Row(
        gate({O, J}, _evidence_list), qs(lambda w: {"case_id": w.ids["case_id"]})
    ),
    ("GET", "/api/v1/evidence/{evidence_id}"): Row(EVIDENCE_READ),
    ("GET", "/api/v1/evidence/{evidence_id}/content"): Row(EVIDENCE_READ),
    ("GET", "/api/v1/evidence/{evidence_id}/events"): Row(EVIDENCE_READ),
    ("POST", "/api/v1/evidence/{evidence_id}/events"): Row(
        EVIDENCE_JUDGE_ACT, js({"action": "analysed", "note": "probe"})
    ),
    ("POST", "/api/v1/evidence/{evidence_id}/transfer"): Row(
        EVIDENCE_OFFICER_ACT, js({"to": "DE", "agreement_id": "eev-eu5"})
    ),
    ("POST", "/api/v1/evidence/{evidence_id}/retract"): Row(EVIDENCE_OFFICER_ACT, REASON),
    ("POST", "/api/v1/evidence/{evidence_id}/destroy"): Row(EVIDENCE_OFFICER_ACT, REASON),
    ("POST", "/api/v1/legal-holds"): Row(
        gate({J, AD}, _hold), js(lambda w: {"case_id": w.ids["case_id"], "reason": "probe"})
    ),
    ("GET", "/api/v1/legal-holds"): Row(gate({J, AD, O})),
    ("POST", "/api/v1/legal-holds/{hold_id}/release"): Row(gate({J, AD}, _hold), REASON),
    # --- measures, orders, answers ----------------------------------------------------------------
    ("POST", "/api/v1/measures"): Row(
        gate({O}, among(CASE_EDITORS, seen=CASE_READERS)),
        js(
            lambda w: {
                "case_id": w.ids["case_id"],
                "kind": "advisory_notice",
                "addressee": "bazaar-ltd",
                "offence": "counterfeit_goods",
                "executing_jurisdiction": "IE",
            }
        ),
    ),
    ("GET", "/api/v1/measures"): Row(gate({O, J, P, A, AD})),
    ("GET", "/api/v1/measures/{measure_id}"): Row(MEASURE_READ),
    ("PATCH", "/api/v1/measures/{measure_id}"): Row(MEASURE_OFFICER, js({"statute": "IE-TMA-1996-s92"})),
    ("POST", "/api/v1/measures/{measure_id}/submit"): Row(MEASURE_OFFICER),
    ("POST", "/api/v1/measures/{measure_id}/authorise"): Row(MEASURE_JUDGE, js({"note": "probe"})),
    ("POST", "/api/v1/measures/{measure_id}/refuse"): Row(MEASURE_JUDGE, REASON),
    ("POST", "/api/v1/measures/{measure_id}/withdraw"): Row(MEASURE_OFFICER, REASON),
    ("POST", "/api/v1/measures/{measure_id}/announce"): Row(MEASURE_OFFICER),
    ("POST", "/api/v1/measures/{measure_id}/prior-notice-reply"): Row(
        gate({O, P}, among(CASE_EDITORS | {"platform_measure"}, seen=MEASURE_READERS)), js({"reply": "probe"})
    ),
    ("POST", "/api/v1/measures/{measure_id}/issue"): Row(MEASURE_OFFICER),
    ("POST", "/api/v1/measures/{measure_id}/confirm"): Row(MEASURE_JUDGE, REASON),
    ("POST", "/api/v1/measures/{measure_id}/renew"): Row(
        MEASURE_OFFICER_OR_JUDGE, js(lambda w: {"review_deadline": _future(w, 10), "reason": "probe"})
    ),
    ("POST", "/api/v1/measures/{measure_id}/lift"): Row(MEASURE_OFFICER_OR_JUDGE, REASON),
    ("POST", "/api/v1/measures/{measure_id}/answers"): Row(
        gate({P}, among({"platform_measure"})), js({"answer": "complied"})
    ),
    ("GET", "/api/v1/measures/{measure_id}/answers"): Row(MEASURE_READ),
    # The order names the target: oversight reads the measure's metadata, not its order.
    ("GET", "/api/v1/measures/{measure_id}/order"): Row(
        gate({O, J, P, A, AD}, among(CASE_READERS | {"platform_measure"}, seen=OVERSIGHT_IE))
    ),
    ("GET", "/judges"): Row(page({J})),
    ("GET", "/judges/measures/{measure_id}"): Row(page({J}, among({"judge_ie"}))),
    ("POST", "/judges/measures/{measure_id}/{action}"): Row(
        signed_in_form(page({J}, among({"judge_ie"}))), lambda w: {"data": {"note": "probe"}}
    ),
    # --- notices and the platform's inbox ---------------------------------------------------------
    ("GET", "/api/v1/notices"): Row(gate({O, J, P, A, AD})),
    ("GET", "/api/v1/notices/{notice_id}"): Row(MEASURE_READ),
    ("POST", "/api/v1/notices/{notice_id}/resend"): Row(MEASURE_OFFICER),
    ("POST", "/api/v1/measures/{measure_id}/notice-deferral"): Row(
        MEASURE_OFFICER, js(lambda w: {"reason": "probe", "until": _future(w, 5)})
    ),
    ("POST", "/api/v1/measures/{measure_id}/notice-deferral/approve"): Row(MEASURE_JUDGE, REASON),
    ("GET", "/api/v1/platform/inbox"): Row(gate({P})),
    ("POST", "/api/v1/platform/inbox/{message_id}/ack"): Row(gate({P}, among({"platform_measure"}))),
}

#: Path parameters of the world (filled from its ids) and fixed ones.
FIXED = {
    "code": "IE",
    "name": "agreement",
    "agreement_id": "eev-eu5",
    "version": "1",
    "alert_id": "alr_00000000000000000000000000000000",
    "jurisdiction": "DE",
    "action": "confirm",
}


def _path(template: str, world: AuthzWorld) -> str:
    values = {**FIXED, **world.ids}
    if template.startswith("/api/v1/federation/received/"):
        values["message_id"] = "msg_00000000000000000000000000000000"
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    assert "{" not in template, template
    return template


def _form_token(app: Any, sign_in: str) -> str:
    """The CSRF token the node puts in the forms it shows to this sign-in (the matrix probes access, not
    forgery: that is ``test_csrf``)."""
    cookie = f"{csrf.SIGN_IN_COOKIE}={sign_in}".encode()
    return csrf.issue_token(Request({"type": "http", "app": app, "headers": [(b"cookie", cookie)]}))


def _routes(app: Any) -> Iterator[tuple[str, str]]:
    for context in iter_route_contexts(app.routes):
        methods = context.methods or set()
        for method in sorted(methods - {"HEAD"}):
            if context.path is not None:
                yield method, context.path


def _outcome(response: Any, *, is_page: bool) -> str:
    status = response.status_code
    if status >= 500:
        return f"{status} (server error)"
    if status in (301, 302, 303, 307) and response.headers.get("location", "").startswith("/login"):
        return SIGNED_OUT
    return str(status)


def _matches(expected: Expect, response: Any, *, is_page: bool) -> bool:
    got = _outcome(response, is_page=is_page)
    if expected == SIGNED_OUT:
        return got == SIGNED_OUT
    if got == SIGNED_OUT or "server error" in got:
        return False
    status = response.status_code
    if expected == OK:
        return status not in (401, 403, 404)
    if expected == OK_OR_404:
        return status not in (401, 403)
    return status == expected


@pytest.fixture
def world_and_client(container: Container) -> Iterator[tuple[AuthzWorld, TestClient]]:
    app = create_app(container=container)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield build(container, client), client


def test_every_route_is_in_the_matrix(container: Container) -> None:
    routes = set(_routes(create_app(container=container)))
    missing = sorted(routes - TABLE.keys())
    stale = sorted(TABLE.keys() - routes)
    assert missing == [], f"routes without a row in the authorisation matrix: {missing}"
    assert stale == [], f"rows for routes that no longer exist: {stale}"


def test_every_route_answers_every_caller_as_the_rules_say(
    world_and_client: tuple[AuthzWorld, TestClient],
) -> None:
    world, client = world_and_client
    wrong: list[str] = []
    leaks: list[str] = []
    probes = 0
    for method, template in _routes(client.app):
        row = TABLE[(method, template)]
        url = _path(template, world)
        is_page = not template.startswith("/api/") and template not in ("/openapi.json", "/healthz")
        for profile in PROFILES:
            call = row.call(world)
            headers = dict(call.pop("headers", {}))
            client.cookies.clear()
            if profile != "anonymous":
                if is_page:
                    client.cookies.set(csrf.SIGN_IN_COOKIE, world.tokens[profile])
                    if method == "POST" and "data" in call:  # a form of a page this caller was shown
                        call["data"] = {
                            **call["data"],
                            csrf.FIELD: _form_token(client.app, world.tokens[profile]),
                        }
                else:
                    headers.update(world.headers(profile))
            response = client.request(method, url, headers=headers, **call)
            probes += 1
            expected = row.rule(profile)
            if not _matches(expected, response, is_page=is_page):
                wrong.append(
                    f"{method} {template} as {profile}: expected {expected}, got "
                    f"{_outcome(response, is_page=is_page)} {response.text[:90]!r}"
                )
            if response.status_code < 300:
                text = response.text
                for marker in MARKERS:
                    if marker in text and marker not in MAY_SEE.get(profile, set()):
                        leaks.append(f"{method} {template} as {profile} shows {marker}")
    client.cookies.clear()
    assert probes >= len(TABLE) * len(PROFILES)
    assert wrong == [], "\n".join(wrong)
    assert leaks == [], "\n".join(leaks)


def test_the_world_shows_its_markers_to_those_who_may_see_them(
    world_and_client: tuple[AuthzWorld, TestClient],
) -> None:
    """The leak check can fail: the markers are really there for the people entitled to them."""
    world, client = world_and_client
    case = client.get(f"/api/v1/cases/{world.ids['case_id']}", headers=world.headers("lead")).text
    assert TARGET_MARKER in case
    item = client.get(f"/api/v1/evidence/{world.ids['evidence_id']}", headers=world.headers("lead")).text
    assert SOURCE_MARKER in item
    notice = client.get(f"/api/v1/notices/{world.ids['notice_id']}", headers=world.headers("lead")).text
    assert RECIPIENT_MARKER in notice
    measure = client.get(f"/api/v1/measures/{world.ids['measure_id']}", headers=world.headers("lead")).text
    assert JUSTIFICATION_MARKER in measure
    oversight = client.get(
        f"/api/v1/measures/{world.ids['measure_id']}", headers=world.headers("auditor_ie")
    ).json()
    assert oversight["justification"] is None
    assert "justification" in oversight["withheld"]

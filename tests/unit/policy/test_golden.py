"""The golden table (tests/assets/policy-golden.yaml, the law as data): every expected key must hold.

For each case the test builds the offence, the issuing and executing profiles with their statutes, and an
agreement of the case's regime that covers the offence and permits the action (Comity's own rules satisfied,
with a stated jurisdictional link), then calls ``policy.service.decide`` exactly as the API does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from comity.kinds import ActionKind, Counting, Regime, SeverityBand
from comity.periods import Period
from comity.policy.deadlines import due
from comity.policy.schemas import PolicyRequest, decision_to_json
from comity.policy.service import Resolution, decide
from unit.policy.policy_fixtures import (
    NOW,
    OFFENCE,
    OTHER_OFFENCE,
    agreement,
    context,
    offence,
    profile,
    statute,
)

GOLDEN = Path(__file__).resolve().parents[2] / "assets" / "policy-golden.yaml"
DATA = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
#: The grounds the golden facts can trigger: refusal_grounds_available is compared exactly over these.
FACT_TRIGGERED = frozenset({"dual_criminality"})
EXECUTING_DEFAULT = "DE"
ISSUING_DEFAULT = "IE"


def _resolve(case: dict[str, Any]) -> Resolution:
    facts: dict[str, Any] = case.get("facts", {})
    given = case["offence"]
    issuing = facts.get("issuing_state", ISSUING_DEFAULT)
    executing = EXECUTING_DEFAULT if issuing != EXECUTING_DEFAULT else ISSUING_DEFAULT
    the_offence = offence(
        severity=SeverityBand.HIGH,
        list_offence=given["list_offence"],
        cyber_or_terror=given.get("cyber_or_terror", False),
    )
    issuing_profile = profile(issuing, [statute(issuing, months=given["max_months_issuing"])])
    # The executing state criminalises the conduct iff the case says so (absent: it does).
    executing_statutes = (
        [statute(executing, months=60)]
        if given.get("criminal_in_executing", True)
        else [statute(executing, OTHER_OFFENCE, months=60)]
    )
    executing_profile = profile(executing, executing_statutes)
    scope = set(facts.get("territorial_scope", [])) | set(facts.get("illegal_in", [])) | {issuing, executing}
    kind = ActionKind(case["action"])
    the_agreement = agreement(
        Regime(case["regime"]),
        parties=(issuing, executing),
        permitted={SeverityBand.HIGH: [kind]},
        territorial_scope=tuple(sorted(scope)),
        dual_criminality_reservation=bool(facts.get("dual_criminality_reservation", False)),
    )
    ctx = context([the_agreement], offences=[the_offence], jurisdictions=[issuing_profile, executing_profile])
    body: dict[str, Any] = {
        "from_state": issuing,
        "to_state": executing,
        "offence": OFFENCE,
        "measure": case["action"],
        "issuer": case["issuer"],
        "emergency": case.get("emergency", False),
        "jurisdictional_link": "victims_in_territory",
        "at": NOW.isoformat(),
    }
    for key in ("data", "validated_by"):
        if key in case:
            body[key] = case[key]
    for key in (
        "committed_in_issuing",
        "person_resides_in_issuing",
        "committed_in_executing",
        "identifiers_named",
        "time_range_applicable",
        "territorial_scope",
        "illegal_in",
        "illegality_source",
    ):
        if key in facts:
            body[key] = facts[key]
    if "time_range" in facts:
        body["time_range_bounded"] = facts["time_range"]
    # Through the request model, as the API validates a body.
    request = PolicyRequest.model_validate(body)
    return decide(ctx, request, now=NOW)


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["id"] for c in DATA["cases"]])
def test_golden_case(case: dict[str, Any]) -> None:
    resolution = _resolve(case)
    decision = resolution.decision
    as_json = decision_to_json(decision)
    expect: dict[str, Any] = case["expect"]
    unsatisfied = [f"{r.rule}: {r.text}" for r in decision.reasons if not r.satisfied]
    for key, wanted in expect.items():
        if key == "allowed":
            assert decision.allowed is wanted, f"{case['id']}: unsatisfied {unsatisfied}"
            assert as_json["allowed"] is wanted
        elif key in ("notify_executing_state", "suspensive"):
            assert getattr(decision, key) is wanted, key
            assert as_json[key] is wanted
        elif key == "refusal_grounds_available":
            assert set(decision.refusal_grounds_available) & FACT_TRIGGERED == set(wanted)
        elif key in ("deadline", "review_window", "preservation_period"):
            period = Period.parse(wanted)
            assert getattr(decision.limits, key) == period.as_timedelta(), key
            assert as_json[key] == period.iso(), key
        elif key == "obligations":
            kinds = {o.kind for o in decision.obligations}
            assert set(wanted) <= kinds, f"missing {set(wanted) - kinds}"
        else:
            pytest.fail(f"unknown expectation {key!r} in {case['id']}")
    # Every decision explains itself: allowed iff every reason is satisfied, and every reason cites a source.
    assert decision.allowed == all(r.satisfied for r in decision.reasons)
    assert all(r.source for r in decision.reasons)


def test_golden_file_has_the_promised_size() -> None:
    assert len(DATA["cases"]) == 34
    assert len(DATA["deadlines"]) == 8


@pytest.mark.parametrize("computation", DATA["deadlines"], ids=[c["id"] for c in DATA["deadlines"]])
def test_golden_deadline(computation: dict[str, Any]) -> None:
    local = ZoneInfo(computation["zone"])
    received = datetime.fromisoformat(computation["received"]).replace(tzinfo=local)
    expected = datetime.fromisoformat(computation["due"]).replace(tzinfo=local)
    got = due(
        received,
        Period.parse(computation["period"]),
        counting=Counting(computation["counting"]),
        zone=computation["zone"],
        country=computation["country"],
    )
    assert got == expected
    assert got.utcoffset() == timedelta(0)

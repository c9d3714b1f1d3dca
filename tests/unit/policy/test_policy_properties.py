"""Properties of the engine over generated facts: deterministic, explained, internally consistent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from comity.kinds import ActionKind, AuthorityType, Counting, DataCategory, Regime, SeverityBand
from comity.policy.engine import evaluate
from comity.policy.model import Decision, ProposedAction
from comity.policy.schemas import DecisionOut, decision_to_json
from unit.policy.policy_fixtures import NOW, OFFENCE, OTHER_OFFENCE, agreement, offence, profile, statute

KNOWN_GROUNDS = {"dual_criminality", "territoriality"}
LINKS = [
    None,
    "offence_in_territory",
    "victims_in_territory",
    "targeting",
    "nationality",
    "residence",
    "whim",
]
maybe_bool = st.sampled_from([None, True, False])
received = st.none() | st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    regime = draw(st.sampled_from(list(Regime)))
    kind = draw(st.sampled_from(list(ActionKind)))
    band = draw(st.sampled_from(list(SeverityBand)))
    permitted_band = draw(st.sampled_from(list(SeverityBand)))
    the_action = ProposedAction(
        kind=kind,
        issuing_state="IE",
        executing_state="DE",
        offence=OFFENCE,
        issuer=draw(st.sampled_from(list(AuthorityType))),
        data_category=draw(st.none() | st.sampled_from(list(DataCategory))),
        validated_by=draw(st.none() | st.sampled_from(list(AuthorityType))),
        emergency=draw(st.booleans()),
        committed_in_issuing=draw(maybe_bool),
        person_resides_in_issuing=draw(maybe_bool),
        committed_in_executing=draw(maybe_bool),
        identifiers_named=draw(st.booleans()),
        time_range_applicable=draw(st.booleans()),
        time_range_bounded=draw(st.booleans()),
        territorial_scope=tuple(draw(st.lists(st.sampled_from(["IE", "DE", "FR"]), max_size=3, unique=True))),
        illegal_in=tuple(draw(st.lists(st.sampled_from(["IE", "DE", "FR"]), max_size=3, unique=True))),
        illegality_source=draw(st.sampled_from([None, "national", "union"])),
        jurisdictional_link=draw(st.sampled_from(LINKS)),
        at=draw(st.none() | st.just(NOW + timedelta(days=draw(st.integers(-400, 2000))))),
        received_at=draw(received),
        notice_deferral_days=draw(st.none() | st.integers(0, 60)),
        original_received_at=draw(received),
    )
    deadlines = draw(
        st.dictionaries(
            st.sampled_from(
                ["production", "removal", "voluntary_removal", "payment_freeze", "review", "preservation"]
            ),
            st.sampled_from(["24 hours", "10 days", "90 days"]),
            max_size=3,
        )
    )
    return {
        "action": the_action,
        "agreement": agreement(
            regime,
            permitted={permitted_band: [kind]},
            deadlines=deadlines,
            counting=draw(st.sampled_from(list(Counting))),
            dual_criminality_reservation=draw(st.booleans()),
            list_offence_exemption=draw(st.booleans()),
        ),
        "offence": offence(
            severity=band,
            list_offence=draw(st.booleans()),
            cyber_or_terror=draw(st.booleans()),
            convention_offence=draw(st.booleans()),
        ),
        "months": draw(st.integers(1, 240)),
        "criminal": draw(st.booleans()),
    }


def _decide(scenario: dict[str, Any]) -> Decision:
    issuing_statute = statute("IE", months=scenario["months"])
    executing = profile("DE", [statute("DE") if scenario["criminal"] else statute("DE", OTHER_OFFENCE)])
    return evaluate(
        scenario["action"],
        agreement=scenario["agreement"],
        offence=scenario["offence"],
        statute=issuing_statute,
        issuing=profile("IE", [issuing_statute]),
        executing=executing,
        now=NOW,
    )


@settings(max_examples=300, deadline=None)
@given(first=scenarios(), second=scenarios())
def test_deterministic_whatever_was_decided_before(first: dict[str, Any], second: dict[str, Any]) -> None:
    once = _decide(first)
    _decide(second)  # interned texts of other decisions must not leak into this one
    again = _decide(first)
    assert once == again
    assert decision_to_json(once) == decision_to_json(again)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios())
def test_decisions_are_explained_and_consistent(scenario: dict[str, Any]) -> None:
    decision = _decide(scenario)
    the_action: ProposedAction = scenario["action"]
    # Allowed iff every rule applied is satisfied; each rule is applied once and cites a source.
    assert decision.allowed == all(r.satisfied for r in decision.reasons)
    rules = [r.rule for r in decision.reasons]
    assert len(rules) == len(set(rules)), rules
    assert all(r.text and r.source for r in decision.reasons)
    assert rules[:5] == [
        "comity.in_force",
        "comity.parties",
        "comity.offence_covered",
        "comity.statute",
        "comity.proportionality",
    ]
    # Grounds are a known vocabulary; suspensive effect needs a notification.
    assert set(decision.refusal_grounds_available) <= KNOWN_GROUNDS
    assert not decision.suspensive or decision.notify_executing_state
    if decision.regime == "e_evidence" and not decision.notify_executing_state:
        assert decision.refusal_grounds_available == []
    # Instants exist exactly where a receipt time and a duration do, and come after the receipt.
    limits = decision.limits
    for duration, instant in (
        (limits.deadline, limits.deadline_at),
        (limits.review_window, limits.review_window_ends_at),
    ):
        assert (instant is not None) == (duration is not None and the_action.received_at is not None)
        if instant is not None and the_action.received_at is not None and duration is not None:
            # Day periods end at local midnight: a spring DST change inside the period can make the last
            # day 23 hours long, so allow that hour.
            assert instant >= the_action.received_at + duration - timedelta(hours=1)
    assert all(o.due is None or o.within is not None for o in decision.obligations)
    # The JSON form is plain JSON and has the documented shape.
    body = decision_to_json(decision)
    json.dumps(body)
    DecisionOut.model_validate(body)

"""Resolution as the API does it (``policy.service.decide``), the JSON form, the explanation and the CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import comity.cli.policy as policy_cli
from comity.errors import InvalidInput, NotFound
from comity.kinds import ActionKind, Regime, SeverityBand
from comity.policy.explain import explain
from comity.policy.model import PolicyContext
from comity.policy.schemas import (
    DecisionOut,
    PolicyDecisionOut,
    PolicyRequest,
    iso_duration,
)
from comity.policy.service import covering_agreements, decide, resolution_to_json
from unit.policy.policy_fixtures import NOW, OFFENCE, agreement, context, profile, statute

EEV = agreement(
    Regime.E_EVIDENCE,
    agreement_id="eev-ie-de",
    permitted={
        b: [ActionKind.PRODUCTION, ActionKind.PRESERVATION, ActionKind.PRESERVATION_EXTENSION]
        for b in SeverityBand
    },
)
FRZ = agreement(
    Regime.FREEZING,
    agreement_id="frz-ie-de",
    permitted={b: [ActionKind.PAYMENT_FREEZE] for b in SeverityBand},
)


def request(**fields: Any) -> PolicyRequest:
    body: dict[str, Any] = {
        "from_state": "IE",
        "to_state": "DE",
        "offence": OFFENCE,
        "measure": "production",
        "data": "subscriber",
        "issuer": "judge",
        "jurisdictional_link": "victims_in_territory",
    }
    body.update(fields)
    return PolicyRequest.model_validate({k: v for k, v in body.items() if v is not None})


def test_the_one_covering_agreement_is_chosen_and_said() -> None:
    resolution = decide(context([EEV, FRZ]), request(), now=NOW)
    assert resolution.agreement is EEV
    assert resolution.decision.allowed
    first = resolution.decision.assumptions[0]
    assert first.startswith(
        "agreement: eev-ie-de v1 (e_evidence), the one agreement in force between IE and DE"
    )
    assert resolution.choices[0] == first


def test_several_candidates_is_an_error_naming_them() -> None:
    other = agreement(Regime.MUTUAL_LEGAL_ASSISTANCE, agreement_id="mla-ie-de")
    with pytest.raises(InvalidInput, match="several agreements") as caught:
        decide(context([other, EEV]), request(), now=NOW)
    assert caught.value.extensions["candidates"] == ["eev-ie-de", "mla-ie-de"]
    assert "eev-ie-de, mla-ie-de" in caught.value.detail
    assert caught.value.errors[0].path == "agreement"


def test_no_candidate_is_an_error_listing_those_between_the_states() -> None:
    expired = agreement(Regime.E_EVIDENCE, agreement_id="eev-old", sunset=date(2026, 6, 30))
    with pytest.raises(InvalidInput, match="no agreement in force") as caught:
        decide(context([expired, FRZ]), request(), now=NOW)
    assert caught.value.extensions["candidates"] == ["eev-old", "frz-ie-de"]


def test_a_named_agreement_is_judged_not_filtered() -> None:
    expired = agreement(Regime.E_EVIDENCE, agreement_id="eev-old", sunset=date(2026, 6, 30))
    resolution = decide(context([expired]), request(agreement="eev-old"), now=NOW)
    assert not resolution.decision.allowed
    assert [r.rule for r in resolution.decision.reasons if not r.satisfied] == ["comity.in_force"]


def test_proportionality_refusal_is_reachable_without_naming_the_agreement() -> None:
    low_only = agreement(
        Regime.E_EVIDENCE, agreement_id="eev-low", permitted={SeverityBand.LOW: [ActionKind.PRODUCTION]}
    )
    resolution = decide(context([low_only]), request(), now=NOW)
    assert [r.rule for r in resolution.decision.reasons if not r.satisfied] == ["comity.proportionality"]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"offence": "teleportation"}, "unknown offence code 'teleportation'"),
        ({"from_state": "XX"}, "unknown jurisdiction 'XX' (from_state)"),
        ({"to_state": "ZZ"}, "unknown jurisdiction 'ZZ' (to_state)"),
        ({"agreement": "nope"}, "unknown agreement 'nope'"),
        ({"statute": "nope"}, "unknown statute 'nope'"),
    ],
)
def test_unknown_codes_are_not_found(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(NotFound, match=re.escape(named)):
        decide(context([EEV]), request(**fields), now=NOW)


def test_statute_resolution() -> None:
    ctx = context([EEV])
    resolution = decide(ctx, request(), now=NOW)
    assert resolution.statute.id == "IE-counterfeit_goods-a"  # 60 months beats 24
    assert any(c.startswith("statute: IE-counterfeit_goods-a") and "(of 2)" in c for c in resolution.choices)
    named = decide(ctx, request(statute="IE-counterfeit_goods-b"), now=NOW)
    assert named.statute.max_penalty_months == 24
    assert not any(c.startswith("statute:") for c in named.choices)
    with pytest.raises(InvalidInput, match="is DE law, not IE law"):
        decide(ctx, request(statute="DE-counterfeit_goods-a"), now=NOW)
    other = context(
        [EEV],
        jurisdictions=[profile("IE", [statute("IE", "fraud")]), profile("DE", [statute("DE")])],
    )
    with pytest.raises(InvalidInput, match="maps onto fraud"):
        decide(other, request(statute="IE-fraud-a"), now=NOW)
    with pytest.raises(InvalidInput, match="maps no statute onto counterfeit_goods"):
        decide(other, request(), now=NOW)


def test_unstated_facts_are_assumed_and_said() -> None:
    resolution = decide(context([EEV]), request(issuer=None), now=NOW)
    assumptions = resolution.decision.assumptions
    assert "issuer not stated: assumed police" in " ".join(assumptions)
    assert "identifiers named: assumed (not stated)" in assumptions
    assert "time range bounded: assumed (not stated)" in assumptions
    assert resolution.action.issuer.value == "police"
    assert not resolution.decision.allowed  # police may not issue without validation
    stated = decide(context([EEV]), request(identifiers_named=True, time_range_bounded=True), now=NOW)
    assert not any("assumed (not stated)" in a for a in stated.decision.assumptions)


def test_places_become_facts() -> None:
    resolution = decide(context([EEV]), request(committed_in="IE", resides_in="de"), now=NOW)
    assert resolution.action.committed_in_issuing is True
    assert resolution.action.committed_in_executing is False
    assert resolution.action.person_resides_in_issuing is False
    with pytest.raises(ValidationError, match="contradicts committed_in"):
        request(committed_in="IE", committed_in_issuing=False)
    with pytest.raises(ValidationError, match="contradicts resides_in"):
        request(resides_in="IE", person_resides_in_issuing=False)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"from_state": "IRL"}, "from_state"),
        ({"measure": "arrest"}, "measure"),
        ({"jurisdictional_link": "because"}, "jurisdictional_link"),
        ({"at": "2026-09-01T08:00:00"}, "at"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_requests_name_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        request(**fields)
    assert field in {str(e["loc"][0]) for e in caught.value.errors()}


def test_json_form() -> None:
    received = datetime(2026, 9, 4, 16, 30, tzinfo=UTC)
    resolution = decide(
        context([EEV]), request(data="content", received_at=received.isoformat(), emergency=True), now=NOW
    )
    body = resolution_to_json(resolution)
    PolicyDecisionOut.model_validate(body)  # the shape the API documents
    assert body["agreement"] == {"id": "eev-ie-de", "version": 1}
    assert body["deadline"] == "PT8H"
    assert body["deadline_text"] == "8 hours"
    assert body["review_window"] == "PT96H"  # stated in hours, not turned into 4 days
    assert body["review_window_text"] == "96 hours"
    assert body["preservation_period"] is None
    assert body["deadline_at"] == "2026-09-05T01:00:00Z"
    assert body["counting"] == "reg_1182_71"
    assert body["time_zone"] == "Europe/Berlin"
    assert body["statute"]["id"] == "IE-counterfeit_goods-a"
    assert body["notify_executing_state"] is True
    assert body["suspensive"] is False
    assert {r["rule"] for r in body["reasons"]} >= {"comity.in_force", "eev.issuer", "eev.deadline"}
    assert set(body) >= set(DecisionOut.model_fields)
    json.dumps(body)  # plain JSON types only


def test_iso_durations() -> None:
    from datetime import timedelta

    assert iso_duration(timedelta(days=10)) == "P10D"
    assert iso_duration(timedelta(hours=8)) == "PT8H"
    assert iso_duration(timedelta(minutes=90)) == "PT5400S"


def test_explanation_reads_the_whole_decision() -> None:
    resolution = decide(context([EEV]), request(issuer="police", received_at="2026-09-04T16:30:00Z"), now=NOW)
    text = explain(resolution.decision, resolution.action)
    assert text.startswith("REFUSED: production of subscriber data, IE -> DE")
    assert "Why it is refused:" in text
    assert "[Regulation (EU) 2023/1543 Art. 4(1)(b)]" in text
    assert "deadline: 10 days, ends 2026-09-14 22:00 UTC (2026-09-15 00:00 CEST)" in text
    assert "Choices and assumptions:" in text
    allowed = decide(context([EEV]), request(), now=NOW)
    assert explain(allowed.decision).startswith("ALLOWED\nunder eev-ie-de v1 (regime e_evidence)")


def test_covering_agreements_needs_all_conditions() -> None:
    def found(**kw: Any) -> list[str]:
        args: dict[str, Any] = {
            "issuing": "IE",
            "executing": "DE",
            "offence": OFFENCE,
            "kind": ActionKind.PRODUCTION,
            "on": date(2026, 9, 1),
        }
        args.update(kw)
        return [a.id for a in covering_agreements([EEV, FRZ], **args)]

    assert found() == ["eev-ie-de"]
    assert found(kind=ActionKind.PAYMENT_FREEZE) == ["frz-ie-de"]
    assert found(executing="FR") == []
    assert found(offence="fraud") == []
    assert found(on=date(2031, 1, 1)) == []


# --- the CLI -----------------------------------------------------------------------------------------------


class _FakeContainer:
    """What the command needs of a node: a transaction and a clock (the real one opens a database)."""

    class clock:  # noqa: N801 - mimics the container's attribute
        @staticmethod
        def now() -> datetime:
            return NOW

    def transaction(self) -> Any:
        from contextlib import nullcontext

        return nullcontext(None)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    ctx: PolicyContext = context([EEV, FRZ])
    monkeypatch.setattr(policy_cli, "open_container", lambda: _FakeContainer())
    monkeypatch.setattr(policy_cli, "current_context", lambda session: ctx)
    return CliRunner()


BASE_ARGS = ["check", "--from", "IE", "--to", "DE", "--offence", OFFENCE]


def test_cli_json(cli: CliRunner) -> None:
    result = cli.invoke(
        policy_cli.app,
        [
            *BASE_ARGS,
            "--measure",
            "production",
            "--data",
            "subscriber",
            "--issuer",
            "prosecutor",
            "--link",
            "victims_in_territory",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["allowed"] is True
    assert body["agreement"]["id"] == "eev-ie-de"
    assert body["deadline"] == "P10D"


def test_cli_explains_without_json(cli: CliRunner) -> None:
    result = cli.invoke(policy_cli.app, [*BASE_ARGS, "--measure", "payment_freeze", "--no-identifiers"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("REFUSED: payment freeze, IE -> DE")
    assert "issuer not stated: assumed police" in result.stdout


def test_cli_unbounded_implies_a_period(cli: CliRunner) -> None:
    result = cli.invoke(
        policy_cli.app,
        [
            *BASE_ARGS,
            "--measure",
            "production",
            "--data",
            "traffic",
            "--issuer",
            "judge",
            "--unbounded",
            "--committed-in",
            "IE",
            "--json",
        ],
    )
    body = json.loads(result.stdout)
    failing = [r["rule"] for r in body["reasons"] if not r["satisfied"]]
    assert failing == ["eev.minimisation.time_range"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--offence", "teleportation", "--measure", "production"], "unknown offence code 'teleportation'"),
        (["--measure", "production", "--at", "2026-09-01T08:00"], "--at: Input should have timezone info"),
        (["--measure", "production", "--agreement", "nope"], "unknown agreement 'nope'"),
        (["--measure", "production", "--link", "because"], "--link"),
    ],
)
def test_cli_errors_exit_2_with_a_plain_message(cli: CliRunner, args: list[str], message: str) -> None:
    base = BASE_ARGS[:-2] if "--offence" in args else BASE_ARGS
    result = cli.invoke(policy_cli.app, [*base, *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""

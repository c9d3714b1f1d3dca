"""Policy engine throughput: full decisions per second on one core, beside an empty-loop baseline.

A "full decision" is one ``policy.engine.evaluate`` call returning a Decision with its reasons, obligations,
refusal grounds and time limits, including deadline instants (Regulation 1182/71 counting in the executing
state's zone and holidays) whenever the action has a receipt time. Inputs are at least 100,000 distinct
proposed actions (10,000 with ``quick``) across every regime, kind, data category, issuer, fact pattern and
receipt instant over a year, against a realistic context of six jurisdictions and seven agreements.

Nothing memoises decisions: every call evaluates every rule. What is cached is what the engine caches in
production too: holiday sets per (country, year), ZoneInfo objects, and reason texts built once per distinct
key. A warm-up pass over other actions fills those before timing, as a running node's would be.

The baseline loops over the same inputs calling a function that takes the same arguments and does nothing;
the ratio says how much of the time is the engine rather than Python's loop and call overhead.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from comity.agreements.model import Agreement, DataCategoryTerms, NoticeRules, Party
from comity.kinds import ActionKind, AuthorityType, Counting, DataCategory, Regime, SeverityBand
from comity.periods import Period
from comity.policy.engine import evaluate
from comity.policy.model import ProposedAction
from comity.vocabulary.model import JurisdictionProfile, Offence, Statute

TARGET_PER_S = 50_000
TARGET_P50_US = 20.0
BATCH = 100  # decisions per timing sample
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

Inputs = tuple[ProposedAction, Agreement, Offence, Statute, JurisdictionProfile, JurisdictionProfile]

# --- a realistic context -----------------------------------------------------------------------------------

OFFENCES = [
    Offence("counterfeit_goods", "Counterfeit goods", SeverityBand.MEDIUM, list_offence=True),
    Offence("narcotics_trafficking", "Narcotics trafficking", SeverityBand.CRITICAL, list_offence=True),
    Offence("weapons_trafficking", "Weapons trafficking", SeverityBand.CRITICAL, list_offence=True),
    Offence(
        "computer_fraud",
        "Computer-related fraud",
        SeverityBand.HIGH,
        list_offence=True,
        convention_offence=True,
    ),
    Offence(
        "non_cash_payment_fraud", "Non-cash payment fraud", SeverityBand.HIGH, True, cyber_or_terror=True
    ),
    Offence("money_laundering", "Money laundering", SeverityBand.HIGH, list_offence=True),
    Offence("protected_species_trade", "Protected species", SeverityBand.MEDIUM, list_offence=True),
    Offence("unsafe_products", "Unsafe products", SeverityBand.LOW, list_offence=False),
]
STATES = {  # code: (zone, holiday country, maximum months per offence; absent = not an offence there)
    "IE": (
        "Europe/Dublin",
        "IE",
        {
            "counterfeit_goods": 60,
            "narcotics_trafficking": 240,
            "weapons_trafficking": 120,
            "computer_fraud": 120,
            "non_cash_payment_fraud": 60,
            "money_laundering": 168,
            "protected_species_trade": 24,
            "unsafe_products": 6,
        },
    ),
    "DE": (
        "Europe/Berlin",
        "DE",
        {
            "counterfeit_goods": 36,
            "narcotics_trafficking": 180,
            "weapons_trafficking": 120,
            "computer_fraud": 120,
            "non_cash_payment_fraud": 60,
            "money_laundering": 60,
            "protected_species_trade": 60,
        },
    ),
    "FR": (
        "Europe/Paris",
        "FR",
        {
            "counterfeit_goods": 36,
            "narcotics_trafficking": 120,
            "weapons_trafficking": 84,
            "computer_fraud": 60,
            "non_cash_payment_fraud": 84,
            "money_laundering": 60,
            "unsafe_products": 24,
        },
    ),
    "NL": (
        "Europe/Amsterdam",
        "NL",
        {
            "counterfeit_goods": 48,
            "narcotics_trafficking": 144,
            "computer_fraud": 48,
            "money_laundering": 72,
            "protected_species_trade": 72,
        },
    ),
    "ES": (
        "Europe/Madrid",
        "ES",
        {
            "counterfeit_goods": 48,
            "narcotics_trafficking": 108,
            "weapons_trafficking": 72,
            "computer_fraud": 72,
            "money_laundering": 72,
            "unsafe_products": 12,
        },
    ),
    "GB": (
        "Europe/London",
        "GB",
        {
            "counterfeit_goods": 120,
            "narcotics_trafficking": 240,
            "computer_fraud": 120,
            "money_laundering": 168,
            "weapons_trafficking": 120,
        },
    ),
}
EU = ("IE", "DE", "FR", "NL", "ES")
ALL_CODES = frozenset(o.code for o in OFFENCES)


def _profiles() -> dict[str, JurisdictionProfile]:
    profiles = {}
    for code, (zone, country, maxima) in STATES.items():
        statutes = tuple(
            Statute(f"{code}-{offence}", code, offence, f"{code} statute on {offence}", months)
            for offence, months in maxima.items()
        )
        profiles[code] = JurisdictionProfile(
            code=code,
            name=code,
            languages=("en",),
            time_zone=zone,
            legal_system="civil_law",
            holiday_country=country,
            challenge_period_days=60,
            statutes=statutes,
            eu_member=code in EU,
        )
    return profiles


def _agreement(
    agreement_id: str,
    regime: Regime,
    parties: Sequence[str],
    kinds: Sequence[ActionKind],
    deadlines: dict[str, str],
    counting: Counting = Counting.REG_1182_71,
    **extra: Any,
) -> Agreement:
    bands = list(SeverityBand)
    # Proportionality: the most intrusive kinds only for the higher bands.
    permitted = {
        band: frozenset(k for k in kinds if k is not ActionKind.PAYMENT_FREEZE or band >= SeverityBand.HIGH)
        for band in bands
    }
    return Agreement(
        id=agreement_id,
        version=1,
        regime=regime,
        title=agreement_id,
        parties=tuple(Party(p, p) for p in parties),
        offences=ALL_CODES,
        permitted_measures=permitted,
        data_categories={c: DataCategoryTerms(c, 180) for c in DataCategory},
        deadlines={k: Period.parse(v) for k, v in deadlines.items()},
        counting=counting,
        notice=NoticeRules(max_deferral_days=90),
        oversight_body="demo",
        review_cadence_months=12,
        effective=date(2026, 1, 1),
        sunset=date(2031, 12, 31),
        **extra,
    )


A = ActionKind
AGREEMENTS = [
    _agreement(
        "eev-eu5", Regime.E_EVIDENCE, EU, [A.PRODUCTION, A.PRESERVATION, A.PRESERVATION_EXTENSION], {}
    ),
    _agreement(
        "bud-gb-ie",
        Regime.BUDAPEST_PRESERVATION,
        ("GB", "IE"),
        [A.PRESERVATION, A.PRESERVATION_EXTENSION],
        {},
        dual_criminality_reservation=True,
    ),
    _agreement("frz-eu5", Regime.FREEZING, EU, [A.PAYMENT_FREEZE], {"payment_freeze": "10 days"}),
    _agreement(
        "dsa-eu5",
        Regime.DSA_ORDER,
        EU,
        [A.REMOVAL_ORDER, A.INFORMATION_ORDER],
        {"removal": "24 hours", "information": "10 days"},
        Counting.ELAPSED,
    ),
    _agreement(
        "terms-bazaar",
        Regime.PLATFORM_TERMS,
        EU,
        [A.ADVISORY_NOTICE, A.VOLUNTARY_REMOVAL, A.ACCOUNT_SUSPENSION],
        {"voluntary_removal": "72 hours"},
        Counting.ELAPSED,
    ),
    _agreement(
        "mla-gb-ie",
        Regime.MUTUAL_LEGAL_ASSISTANCE,
        ("GB", "IE"),
        [A.PRODUCTION, A.ACCOUNT_SUSPENSION, A.DOMAIN_SUSPENSION, A.PAYMENT_FREEZE],
        {"production": "90 days", "production_emergency": "10 days", "payment_freeze": "10 days"},
        list_offence_exemption=True,
    ),
    _agreement(
        "jit-shadowmart",
        Regime.JOINT_INVESTIGATION_TEAM,
        ("DE", "NL", "FR"),
        [A.ACCOUNT_SUSPENSION, A.DOMAIN_SUSPENSION, A.PRODUCTION],
        {"account_suspension": "48 hours"},
    ),
]


def build_inputs(count: int, seed: int = 20260901) -> list[Inputs]:
    """``count`` distinct proposed actions with everything ``evaluate`` needs, drawn reproducibly."""
    rng = random.Random(seed)
    profiles = _profiles()
    offences = {o.code: o for o in OFFENCES}
    kinds = list(ActionKind)
    issuers = list(AuthorityType)
    year_start = datetime(2026, 9, 1, tzinfo=UTC)
    seen: set[ProposedAction] = set()
    inputs: list[Inputs] = []
    while len(inputs) < count:
        agreement = rng.choice(AGREEMENTS)
        parties = sorted(agreement.jurisdictions)
        issuing, executing = rng.sample(parties, 2)
        maxima = STATES[issuing][2]
        code = rng.choice(sorted(maxima))  # the issuing state criminalises it (its statute is the basis)
        # Mostly kinds the regime carries, sometimes not (refusals are decisions too).
        in_scope = [k for k in kinds if any(k in ks for ks in agreement.permitted_measures.values())]
        kind = rng.choice(in_scope) if rng.random() < 0.85 else rng.choice(kinds)
        committed = rng.choice((True, False, None))
        action = ProposedAction(
            kind=kind,
            issuing_state=issuing,
            executing_state=executing,
            offence=code,
            issuer=rng.choice(issuers),
            data_category=rng.choice((None, *DataCategory)),
            validated_by=rng.choice(
                (None, None, AuthorityType.JUDGE, AuthorityType.PROSECUTOR, AuthorityType.POLICE)
            ),
            emergency=rng.random() < 0.15,
            committed_in_issuing=committed,
            person_resides_in_issuing=rng.choice((True, False, None)),
            committed_in_executing=rng.choice((True, False, None)),
            identifiers_named=rng.random() < 0.9,
            time_range_applicable=rng.random() < 0.5,
            time_range_bounded=rng.random() < 0.9,
            territorial_scope=tuple(rng.sample(parties, rng.randint(0, min(2, len(parties))))),
            illegal_in=tuple(rng.sample(parties, rng.randint(0, min(2, len(parties))))),
            illegality_source=rng.choice((None, "national", "union")),
            jurisdictional_link=rng.choice(
                ("victims_in_territory", "targeting", "offence_in_territory", None)
            ),
            at=year_start + timedelta(minutes=rng.randrange(365 * 24 * 60)) if rng.random() < 0.5 else None,
            received_at=year_start + timedelta(seconds=rng.randrange(365 * 24 * 3600))
            if rng.random() < 0.9
            else None,
            notice_deferral_days=rng.choice((None, None, None, 30, 120)),
        )
        if action in seen:
            continue
        seen.add(action)
        statute = profiles[issuing].statutes_for(code)[0]
        inputs.append((action, agreement, offences[code], statute, profiles[issuing], profiles[executing]))
    return inputs


def _noop(
    action: ProposedAction,
    *,
    agreement: Agreement,
    offence: Offence,
    statute: Statute,
    issuing: JurisdictionProfile,
    executing: JurisdictionProfile,
    now: datetime,
) -> None:
    """The baseline: same arguments, no work."""


def _time(fn: Callable[..., Any], inputs: Sequence[Inputs]) -> tuple[float, list[float]]:
    """Total seconds and per-decision nanoseconds of each batch, calling ``fn`` on every input."""
    samples: list[float] = []
    perf = time.perf_counter_ns
    started = perf()
    for first in range(0, len(inputs), BATCH):
        chunk = inputs[first : first + BATCH]
        t0 = perf()
        for action, agreement, offence, statute, issuing, executing in chunk:
            fn(
                action,
                agreement=agreement,
                offence=offence,
                statute=statute,
                issuing=issuing,
                executing=executing,
                now=NOW,
            )
        samples.append((perf() - t0) / len(chunk))
    return (perf() - started) / 1e9, samples


def _pin_one_core() -> int | None:
    """Run on one CPU where the OS allows it (the engine is single-threaded anyway)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def run(quick: bool = False) -> dict[str, Any]:
    """Time full decisions over distinct actions; report throughput, p50/p95 and the empty-loop baseline."""
    count = 10_000 if quick else 100_000
    inputs = build_inputs(count)
    # Warm-up on other actions (another seed): the timed ones meet the caches as a running node would.
    warm_up = build_inputs(5_000, seed=1)
    before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    cpu = _pin_one_core()
    try:
        # Warm-up: loads holiday calendars and builds reason texts, as a running node already has.
        for action, agreement, offence, statute, issuing, executing in warm_up:
            evaluate(
                action,
                agreement=agreement,
                offence=offence,
                statute=statute,
                issuing=issuing,
                executing=executing,
                now=NOW,
            )
        baseline_s, _ = _time(_noop, inputs)
        engine_s, samples = _time(evaluate, inputs)
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    decisions = [
        evaluate(a, agreement=ag, offence=o, statute=s, issuing=i, executing=e, now=NOW)
        for a, ag, o, s, i, e in inputs[:2_000]
    ]
    per_s = count / engine_s
    baseline_per_s = count / baseline_s
    quantiles = statistics.quantiles(samples, n=100)
    p50_us = statistics.median(samples) / 1_000
    p95_us = quantiles[94] / 1_000
    return {
        "name": "policy_decisions",
        "decisions": count,
        "distinct_actions": len({i[0] for i in inputs}),
        "decisions_per_s": round(per_s),
        "p50_us": round(p50_us, 2),
        "p95_us": round(p95_us, 2),
        "baseline_loop_per_s": round(baseline_per_s),
        "baseline_ratio": round(baseline_per_s / per_s, 1),
        "target_per_s": TARGET_PER_S,
        "target_p50_us": TARGET_P50_US,
        "met": per_s >= TARGET_PER_S and p50_us < TARGET_P50_US,
        "cpu": cpu,
        "batch": BATCH,
        "sample": {
            "allowed_share": round(sum(d.allowed for d in decisions) / len(decisions), 3),
            "with_deadline_instant_share": round(
                sum(
                    d.limits.deadline_at is not None or d.limits.preservation_ends_at is not None
                    for d in decisions
                )
                / len(decisions),
                3,
            ),
            "mean_reasons": round(sum(len(d.reasons) for d in decisions) / len(decisions), 1),
            "regimes": len({d.regime for d in decisions}),
        },
        "notes": "full evaluate() calls, no memoised decisions; holiday sets, zones and reason texts cached",
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))

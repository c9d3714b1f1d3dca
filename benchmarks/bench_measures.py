"""Measures at scale, on SQLite (and PostgreSQL when ``COMITY_BENCH_PG_URL`` names a server database).

1. open-authorise-notify: 10,000 measures (500 with ``quick``) through the service layer, each drafted,
   submitted (legal elements + policy engine), authorised by a judge (validation + prior-notice skip),
   issued (policy again, signed order queued for the platform, notice written and queued): per-measure cost.
2. lapse sweep: among 1,000,000 measures (100,000 with ``quick``), 10,000 (1,000) provisional ones are past
   their review deadline; the worker's job finds and lapses them (status, audit event, signed lift order in
   the outbox, each), timed beside a bare indexed ``count(*)`` of the same due rows on the same table in the
   same run. Target: the sweep under 10 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

import comity.models  # noqa: F401  (every table registered)
from benchmarks.pg import scratch_database, server_url
from comity.agreements.service import install_bundled
from comity.cases import service as cases
from comity.cases import targets
from comity.cases.schemas import CaseCreate, TargetAdd
from comity.clock import FixedClock
from comity.config import Settings
from comity.db import make_engine, make_session_factory
from comity.identity import service as identity
from comity.identity.principal import SYSTEM_ACTOR, Principal
from comity.keys import service as keys
from comity.keys.keystore import Keystore
from comity.kinds import AuthorityType, OrganisationKind, Role
from comity.measures import lifecycle, service
from comity.measures.model import Measure
from comity.measures.schemas import AuthoriseIn, MeasureCreate
from comity.migrations import upgrade
from comity.signing.keys import KeyPurpose
from comity.web.container import Container

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
SWEEP_TARGET_S = 10.0


def _node(url: str, home: Path) -> tuple[Container, dict[str, Principal], str, str, Keystore]:
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(home=home, database_url=url)
    container = Container(
        settings=settings, engine=engine, sessions=make_session_factory(engine), clock=FixedClock(START)
    )
    clock = container.clock
    keystore = Keystore.for_settings(settings)
    principals: dict[str, Principal] = {}
    with container.transaction() as s:
        for org, kind, authority in (
            ("org_ie_police", OrganisationKind.AUTHORITY, AuthorityType.POLICE),
            ("org_ie_court", OrganisationKind.AUTHORITY, AuthorityType.JUDGE),
            ("bazaar-ltd", OrganisationKind.PLATFORM, None),
        ):
            identity.create_organisation(
                s,
                clock=clock,
                actor=SYSTEM_ACTOR,
                name=org,
                kind=kind,
                jurisdiction="IE",
                authority_type=authority,
                org_id=org,
            )
        tokens = {
            name: identity.add_user(
                s, clock=clock, actor=SYSTEM_ACTOR, username=f"b-{name}", role=role, organisation_id=org
            ).token
            for name, role, org in (
                ("officer", Role.OFFICER, "org_ie_police"),
                ("judge", Role.JUDGE, "org_ie_court"),
            )
        }
        install_bundled(s, clock=clock, proposer="user:b-admin", approver="user:b-auditor")
        keys.create_anchor(s, clock=clock, actor=SYSTEM_ACTOR, keystore=keystore, jurisdiction="IE")
        for org in ("org_ie_police", "org_ie_court"):
            keys.register_key(
                s,
                clock=clock,
                actor=SYSTEM_ACTOR,
                keystore=keystore,
                jurisdiction="IE",
                purpose=KeyPurpose.AUTHORITY_SIGNING,
                organisation=org,
            )
    with container.transaction() as s:
        for name, token in tokens.items():
            principals[name] = identity.authenticate(s, token)
    with container.transaction() as s:
        case = cases.open_case(
            s,
            clock=clock,
            principal=principals["officer"],
            data=CaseCreate(title="bench", jurisdictional_links=["offence_in_territory"]),
        )
    with container.transaction() as s:
        target = targets.add_target(
            s,
            clock=clock,
            principal=principals["officer"],
            case_id=case.id,
            data=TargetAdd(kind="seller_account", identifier="seller-1"),
            matching_key=b"k" * 32,
        )
    return container, principals, case.id, target.id, keystore


def _body(case_id: str, target_id: str, now: datetime) -> MeasureCreate:
    return MeasureCreate(
        case_id=case_id,
        kind="removal_order",
        addressee="bazaar-ltd",
        offence="counterfeit_goods",
        executing_jurisdiction="IE",
        provisional=True,
        urgent=True,
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        justification="counterfeit listings",
        proportionality={
            "offence_severity": "medium",
            "harm": "consumers deceived",
            "milder_alternatives": ["voluntary request refused"],
        },
        escalation_reason="voluntary request refused",
        territorial_scope=["IE"],
        starts_at=now,
        review_at=now + timedelta(days=7),
        target_id=target_id,
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="stock would move",
    )


def open_authorise_notify(url: str, count: int) -> dict[str, Any]:
    """Per-measure cost of the whole path through the service layer (4 transactions each)."""
    with tempfile.TemporaryDirectory() as home:
        container, who, case_id, target_id, keystore = _node(url, Path(home))
        clock = container.clock
        samples: list[float] = []
        started = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            with container.transaction() as s:
                m = service.create_measure(
                    s, clock=clock, principal=who["officer"], data=_body(case_id, target_id, clock.now())
                )
            with container.transaction() as s:
                service.submit(s, clock=clock, principal=who["officer"], measure_id=m.id)
            with container.transaction() as s:
                service.authorise(
                    s,
                    clock=clock,
                    principal=who["judge"],
                    measure_id=m.id,
                    data=AuthoriseIn(note="ok", approve_prior_notice_skip=True),
                )
            with container.transaction() as s:
                service.issue(s, clock=clock, principal=who["officer"], measure_id=m.id, keystore=keystore)
            samples.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
        container.engine.dispose()
    samples.sort()
    return {
        "measures": count,
        "total_s": round(total, 2),
        "per_measure_ms_mean": round(1000 * total / count, 2),
        "per_measure_ms_p50": round(1000 * statistics.median(samples), 2),
        "per_measure_ms_p95": round(1000 * samples[int(0.95 * (len(samples) - 1))], 2),
        "measures_per_s": round(count / total, 1),
    }


def lapse_sweep(url: str, total: int, due: int) -> dict[str, Any]:
    """Seed ``total`` measures (``due`` of them past review), then count and sweep."""
    with tempfile.TemporaryDirectory() as home:
        container, who, case_id, target_id, keystore = _node(url, Path(home))
        clock = container.clock
        now = clock.now()
        # A template row from the service, then bulk copies: most are closed or far from review.
        with container.transaction() as s:
            m = service.create_measure(
                s, clock=clock, principal=who["officer"], data=_body(case_id, target_id, now)
            )
        with container.transaction() as s:
            row = s.get(Measure, m.id)
            assert row is not None
            template = {c.key: getattr(row, c.key) for c in Measure.__table__.columns}
        template.update(status="issued", issued_at=now, policy_decision={"allowed": True}, audit_digest="")
        seed_started = time.perf_counter()
        batch: list[dict[str, Any]] = []
        step = total // due
        with container.engine.begin() as connection:
            for i in range(total):
                lapses = (
                    now - timedelta(minutes=1)
                    if i % step == 0
                    else (None if i % 3 else now + timedelta(days=7 + i % 30))
                )
                batch.append(
                    {
                        **template,
                        "id": f"msr_b{i:09d}",
                        "order_id": None,
                        "lapses_at": lapses,
                        "review_deadline": lapses,
                        "status": "issued" if lapses else "lifted",
                    }
                )
                if len(batch) == 10_000:
                    connection.execute(insert(Measure), batch)
                    batch = []
            if batch:
                connection.execute(insert(Measure), batch)
        if container.engine.dialect.name == "postgresql":
            # What autovacuum would have done by now: statistics, and the visibility map that lets the
            # count be answered from the index alone.
            with container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM (ANALYZE) measures"))
        seed_s = time.perf_counter() - seed_started
        # Baseline: a bare indexed count of the due rows, on the same table, in the same run.
        t0 = time.perf_counter()
        with container.transaction() as s:
            counted = s.scalar(select(func.count()).select_from(Measure).where(Measure.lapses_at <= now))
        count_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        lapsed = 0
        while True:
            with container.transaction() as s:
                done = lifecycle.lapse_due(s, clock=clock, keystore=keystore, limit=1000)
            lapsed += done
            if done == 0:
                break
        sweep_s = time.perf_counter() - t0
        with container.transaction() as s:
            left = s.scalar(select(func.count()).select_from(Measure).where(Measure.lapses_at <= now))
            lapsed_rows = s.scalar(
                select(func.count()).select_from(Measure).where(Measure.status == "lapsed")
            )
        container.engine.dispose()
    return {
        "measures": total,
        "due": counted,
        "lapsed": lapsed,
        "lapsed_rows": lapsed_rows,
        "left_due": left,
        "seed_s": round(seed_s, 1),
        "bare_indexed_count_ms": round(1000 * count_s, 2),
        "sweep_s": round(sweep_s, 2),
        "per_lapse_ms": round(1000 * sweep_s / max(1, lapsed), 3),
        "target_s": SWEEP_TARGET_S,
        "met": sweep_s < SWEEP_TARGET_S and left == 0 and lapsed == due,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Both benchmarks on SQLite, and on PostgreSQL when COMITY_BENCH_PG_URL is set."""
    count = 500 if quick else 10_000
    total, due = (100_000, 1_000) if quick else (1_000_000, 10_000)
    result: dict[str, Any] = {"name": "bench_measures", "quick": quick}
    with tempfile.TemporaryDirectory() as tmp:
        result["sqlite"] = {
            "open_authorise_notify": open_authorise_notify(f"sqlite:///{tmp}/oan.sqlite3", count),
            "lapse_sweep": lapse_sweep(f"sqlite:///{tmp}/sweep.sqlite3", total, due),
        }
    pg = server_url()
    if pg:
        result["postgresql"] = {}
        for key, fn, args in (
            ("open_authorise_notify", open_authorise_notify, (count,)),
            ("lapse_sweep", lapse_sweep, (total, due)),
        ):
            with scratch_database(pg, f"comity_bench_{key}") as url:
                result["postgresql"][key] = fn(url, *args)
    sweeps = [v["lapse_sweep"] for v in (result.get("sqlite"), result.get("postgresql")) if v]
    result["met"] = all(s["met"] for s in sweeps)
    return result

"""Transparency log: durable integration rate, actor-signed entries with verification, proof latency.

Each figure sits beside a bound measured in the same run, with the ratio:

- **Integration** (node-generated audit events, each turned into a v1 entry with a salted actor
  commitment, hashed into the tree, its new interior nodes stored, one signed checkpoint per batch,
  every batch committed): entries/s on SQLite (WAL, synchronous=NORMAL as the node runs it) and on
  PostgreSQL when ``COMITY_BENCH_PG_URL`` names a scratch database; the bound is bare SHA-256 of
  entry-sized inputs on one core (an entry costs one leaf hash, on average one node hash, one HMAC).
- **Actor-signed entries**: each entry's Ed25519 signature verified in a two-thread pool (libsodium
  releases the GIL) before its audit event is recorded and integrated; bound: bare Ed25519 verify rate
  with the same pool.
- **Inclusion proofs** at 10,000,000 entries (100,000 with ``quick``), the stored tree built by bulk insert;
  p50 and p99 of ``inclusion_proof`` at random indices; bound: a single-row primary-key lookup.
"""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.signing
from sqlalchemy import Engine, insert, inspect, select

import comity.translog.model  # noqa: F401  (registers the log's tables)
from benchmarks.pg import scratch_database, server_url
from comity.audit.model import AuditEvent
from comity.clock import SystemClock
from comity.db import Base, make_engine, make_session_factory, transaction
from comity.signing.keys import Ed25519Signer
from comity.translog import service as log
from comity.translog.checkpoints import CheckpointSigner
from comity.translog.model import EntryRow, NodeRow, StateRow
from comity.translog.tree import CompactRange, node_pos
from comity.verify.merkle import leaf_hash

TARGET_SQLITE_PER_S = 50_000
TARGET_PG_PER_S = 20_000
TARGET_SIGNED_PER_S = 10_000
TARGET_PROOF_P50_MS = 2.0
_TABLES = ("audit_events", "translog_entries", "translog_nodes", "translog_state", "translog_actor_salts")
_TABLES += ("translog_checkpoints", "translog_cosignatures")
START = datetime(2026, 9, 1, tzinfo=UTC)


@contextmanager
def _database(url: str | None, folder: Path) -> Iterator[Engine]:
    """The log's tables in a new SQLite file, or in the scratch PostgreSQL database (dropped after)."""
    engine = make_engine(url or f"sqlite:///{folder / 'bench.sqlite3'}")
    existing = set(inspect(engine).get_table_names())
    tables = [Base.metadata.tables[name] for name in _TABLES]
    if existing & set(_TABLES):
        raise SystemExit(
            f"refusing to benchmark on a database that already has {sorted(existing & set(_TABLES))}"
        )
    Base.metadata.create_all(engine, tables=tables)
    try:
        yield engine
    finally:
        Base.metadata.drop_all(engine, tables=tables)
        engine.dispose()


def _rate(fn: Callable[[], int], seconds: float = 0.5) -> float:
    """Operations per second of ``fn`` (returning how many it did), over at least ``seconds``."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        done += fn()
    return done / (time.perf_counter() - started)


def sha256_rate() -> float:
    """Bare SHA-256 of 400-byte inputs (about an entry's size), one core."""
    data = [os.urandom(400) for _ in range(1000)]
    sha = hashlib.sha256
    return _rate(lambda: sum(1 for d in data if sha(d).digest()))


def _add_audit_rows(engine: Engine, count: int) -> None:
    """Node-generated audit events (written before timing: integration is what is measured)."""
    rows = [
        {
            "id": f"evt_bench_{i:012d}",
            "occurred_at": START,
            "actor": "system:node",
            "tag": "custody:evidence:sealed",
            "subject_type": "evidence",
            "subject_id": f"evd_{i:012d}",
            "details": {"sha256": f"{i:064x}"},
        }
        for i in range(count)
    ]
    with engine.begin() as connection:
        for offset in range(0, count, 20_000):
            connection.execute(insert(AuditEvent), rows[offset : offset + 20_000])


def _record_verified(engine: Engine, rows: list[tuple[str, str, str]]) -> None:
    """Record one audit event per verified entry (id, actor, envelope hash) in one executemany (SQLite)."""
    stored_time = START.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite text form of the instant
    values = [
        (
            event_id,
            stored_time,
            actor,
            "custody:evidence:sealed",
            "evidence",
            event_id,
            f'{{"envelope_sha256": "{digest}"}}',
        )
        for event_id, actor, digest in rows
    ]
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO audit_events (id, occurred_at, actor, tag, subject_type, subject_id, details) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            values,
        )


def _integrate_all(engine: Engine, signer: CheckpointSigner) -> int:
    sessions, clock, total = make_session_factory(engine), SystemClock(), 0
    while True:
        with transaction(sessions) as session:
            result = log.integrate_pending(session, clock=clock, signer=signer, limit=10_000)
        total += result.integrated
        if result.integrated == 0:
            return total


def integration_rate(url: str | None, count: int, folder: Path) -> dict[str, Any]:
    """Durably integrated entries per second (audit rows written beforehand, not timed)."""
    signer = CheckpointSigner(origin="bench.example/ie/log", signer=Ed25519Signer.generate())
    with _database(url, folder) as engine:
        _add_audit_rows(engine, count)
        started = time.perf_counter()
        integrated = _integrate_all(engine, signer)
        elapsed = time.perf_counter() - started
        with transaction(make_session_factory(engine)) as session:
            log.inclusion_proof(session, index=count // 2)  # the result is a usable log
    return {"entries": integrated, "seconds": round(elapsed, 2), "per_s": round(integrated / elapsed)}


def verify_rate(messages: list[tuple[bytes, bytes, nacl.signing.VerifyKey]], workers: int) -> float:
    """Bare Ed25519 verifications per second with ``workers`` threads."""
    chunks = [messages[i : i + 500] for i in range(0, len(messages), 500)]
    with ThreadPoolExecutor(workers) as pool:
        started = time.perf_counter()
        done = sum(pool.map(_check, chunks))
        return done / (time.perf_counter() - started)


def _check(chunk: list[tuple[bytes, bytes, nacl.signing.VerifyKey]]) -> int:
    for message, signature, key in chunk:
        key.verify(message, signature)  # raises on a bad signature: nothing unverified is logged
    return len(chunk)


def signed_entries_rate(count: int, folder: Path) -> dict[str, Any]:
    """Actor-signed entries: verify each signature, record its audit event, integrate; durably.

    A pipeline, as a node runs it: two threads verify the next chunk (libsodium releases the GIL) while
    the main thread records and integrates the chunk already verified.
    """
    actors = [nacl.signing.SigningKey.generate() for _ in range(50)]
    messages = []
    for i in range(count):
        key = actors[i % len(actors)]
        payload = f'{{"event":"sealed","evidence":"evd_{i:012d}","sha256":"{i:064x}"}}'.encode()
        messages.append((payload, key.sign(payload).signature, key.verify_key))
    bound = verify_rate(messages, workers=2)
    signer = CheckpointSigner(origin="bench.example/ie/log", signer=Ed25519Signer.generate())
    size = 10_000
    chunks = [messages[i : i + size] for i in range(0, count, size)]
    with _database(None, folder / "signed") as engine, ThreadPoolExecutor(2) as pool:

        def submit(chunk: list[tuple[bytes, bytes, nacl.signing.VerifyKey]]) -> list[Future[int]]:
            half = len(chunk) // 2
            return [pool.submit(_check, chunk[:half]), pool.submit(_check, chunk[half:])]

        started = time.perf_counter()
        integrated, pending = 0, submit(chunks[0])
        for number, chunk in enumerate(chunks):
            verified = sum(f.result() for f in pending)
            if number + 1 < len(chunks):
                pending = submit(chunks[number + 1])
            first = number * size
            _record_verified(
                engine,
                [
                    (
                        f"evt_signed_{first + i:012d}",
                        f"officer_{(first + i) % 50}",
                        hashlib.sha256(m + s).hexdigest(),
                    )
                    for i, (m, s, _) in enumerate(chunk[:verified])
                ],
            )
            integrated += _integrate_all(engine, signer)
        elapsed = time.perf_counter() - started
    return {
        "entries": integrated,
        "per_s": round(integrated / elapsed),
        "bound_ed25519_verify_2_threads_per_s": round(bound),
        "bound_ed25519_verify_1_thread_per_s": round(verify_rate(messages[: count // 4], workers=1)),
    }


def _bulk_tree(engine: Engine, size: int) -> None:
    """Store a tree of ``size`` synthetic entries the fast way: hashes computed once, rows bulk inserted."""
    edge, chunk = CompactRange(), 200_000
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        marker = "?" if engine.dialect.name == "sqlite" else "%s"
        for start in range(0, size, chunk):
            entries, nodes = [], []
            for index in range(start, min(size, start + chunk)):
                data = index.to_bytes(8, "big")
                hashed = leaf_hash(data)
                entries.append((index, index + 1, hashed, data))
                nodes.extend((node_pos(level, i), h) for level, i, h in edge.append(hashed))
            columns = "idx, audit_seq, leaf_hash, data"
            cursor.executemany(
                f"INSERT INTO translog_entries ({columns}) VALUES ({', '.join([marker] * 4)})", entries
            )
            cursor.executemany(f"INSERT INTO translog_nodes (pos, hash) VALUES ({marker}, {marker})", nodes)
            raw.commit()
    finally:
        raw.close()
    with transaction(make_session_factory(engine)) as session:
        session.add(StateRow(id=1, size=size, root_hash=edge.root(), floor_seq=size, updated_at=START))


def proof_latency(size: int, folder: Path, samples: int = 2_000) -> dict[str, Any]:
    """p50/p99 of inclusion proofs at ``size`` entries, beside a one-row primary-key lookup."""
    with _database(None, folder / "proofs") as engine:
        started = time.perf_counter()
        _bulk_tree(engine, size)
        built = time.perf_counter() - started
        sessions = make_session_factory(engine)
        rng = random.Random(7)
        timings, lookups = [], []
        with transaction(sessions) as session:
            for _ in range(samples):
                index = rng.randrange(size)
                started = time.perf_counter()
                proof = log.inclusion_proof(session, index=index, tree_size=size)
                timings.append(time.perf_counter() - started)
                started = time.perf_counter()
                session.execute(select(NodeRow.hash).where(NodeRow.pos == node_pos(1, index // 2))).first()
                lookups.append(time.perf_counter() - started)
            assert proof.tree_size == size
            assert session.get(StateRow, 1) is not None
            assert session.scalar(select(EntryRow.idx).order_by(EntryRow.idx.desc()).limit(1)) == size - 1
        p50, p99 = statistics.median(timings) * 1000, statistics.quantiles(timings, n=100)[98] * 1000
        bound = statistics.median(lookups) * 1000
    return {
        "entries": size,
        "build_s": round(built, 1),
        "p50_ms": round(p50, 3),
        "p99_ms": round(p99, 3),
        "bound_pk_lookup_p50_ms": round(bound, 3),
        "ratio_to_bound": round(p50 / bound, 1),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """All translog figures, with their bounds, ratios and whether each target is met."""
    count = 20_000 if quick else 200_000
    sha = sha256_rate()
    with tempfile.TemporaryDirectory(prefix="comity-bench-translog-") as tmp:
        folder = Path(tmp)
        (folder / "signed").mkdir()
        (folder / "proofs").mkdir()
        sqlite = integration_rate(None, count, folder)
        pg_server = server_url()
        postgres = None
        if pg_server:
            with scratch_database(pg_server, "comity_bench_translog") as pg_url:
                postgres = integration_rate(pg_url, count, folder)
        signed = signed_entries_rate(count // 2, folder)
        proofs = proof_latency(100_000 if quick else 10_000_000, folder)
    for figure in (sqlite, postgres):
        if figure is not None:
            figure["bound_sha256_per_s"] = round(sha)
            figure["ratio_to_bound"] = round(sha / figure["per_s"], 1)
    signed["ratio_to_bound"] = round(signed["bound_ed25519_verify_2_threads_per_s"] / signed["per_s"], 2)
    met = {
        "sqlite": sqlite["per_s"] >= TARGET_SQLITE_PER_S,
        "postgresql": None if postgres is None else postgres["per_s"] >= TARGET_PG_PER_S,
        "signed": signed["per_s"] >= TARGET_SIGNED_PER_S,
        "proof_p50": proofs["p50_ms"] < TARGET_PROOF_P50_MS,
    }
    return {
        "name": "translog",
        "integration_sqlite": sqlite,
        "integration_postgresql": postgres if postgres is not None else "not run: set COMITY_BENCH_PG_URL",
        "actor_signed": signed,
        "inclusion_proof": proofs,
        "targets": {
            "sqlite_per_s": TARGET_SQLITE_PER_S,
            "postgresql_per_s": TARGET_PG_PER_S,
            "signed_per_s": TARGET_SIGNED_PER_S,
            "proof_p50_ms": TARGET_PROOF_P50_MS,
        },
        "met_each": met,
        "met": all(v for v in met.values() if v is not None),
        "cores": os.cpu_count(),
    }

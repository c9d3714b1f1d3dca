"""Unit tests of the small shared pieces: clock, ids, periods, audit tags, logging."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.audit.model import TAG_PATTERN
from comity.clock import FixedClock, SystemClock, ensure_utc
from comity.ids import new_id
from comity.logs import JsonFormatter
from comity.periods import Period, PeriodUnit


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(timedelta(hours=5))
    assert clock.now() == datetime(2026, 1, 1, 5, tzinfo=UTC)


def test_clocks_refuse_naive_and_normalise_to_utc() -> None:
    with pytest.raises(ValueError, match="naive"):
        FixedClock(datetime(2026, 1, 1))
    plus_two = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert ensure_utc(plus_two) == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert SystemClock().now().tzinfo is UTC


def test_ids_are_unique_time_ordered_uuid7() -> None:
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(len(i) == 32 and i[12] == "7" for i in ids)
    assert all(i[16] in "89ab" for i in ids)  # RFC 9562 variant bits
    assert new_id("case").startswith("case_")


@pytest.mark.parametrize(
    ("text", "amount", "unit", "iso"),
    [
        ("10 days", 10, PeriodUnit.DAYS, "P10D"),
        ("8 hours", 8, PeriodUnit.HOURS, "PT8H"),
        ("96h", 96, PeriodUnit.HOURS, "PT96H"),
        ("1 day", 1, PeriodUnit.DAYS, "P1D"),
        ("P60D", 60, PeriodUnit.DAYS, "P60D"),
        ("PT48H", 48, PeriodUnit.HOURS, "PT48H"),
    ],
)
def test_period_parsing(text: str, amount: int, unit: PeriodUnit, iso: str) -> None:
    period = Period.parse(text)
    assert (period.amount, period.unit, period.iso()) == (amount, unit, iso)


@pytest.mark.parametrize("text", ["", "ten days", "10 weeks", "P1DT2H", "-3 days", "P"])
def test_period_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a period"):
        Period.parse(text)


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(list(PeriodUnit)))
def test_period_round_trips_through_text_and_iso(amount: int, unit: PeriodUnit) -> None:
    period = Period(amount, unit)
    assert Period.parse(str(period)) == period
    assert Period.parse(period.iso()) == period


@pytest.mark.parametrize(
    ("tag", "ok"),
    [("agreements:agreement:approved", True), ("a:b", False), ("A:b:c", False), ("a:b:c:d", False)],
)
def test_audit_tag_shape(tag: str, ok: bool) -> None:
    assert bool(TAG_PATTERN.match(tag)) is ok


def test_json_log_lines_carry_extra_fields() -> None:
    record = logging.LogRecord("comity.test", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    record.case_id = "case_1"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "hello x"
    assert line["case_id"] == "case_1"
    assert line["ts"].endswith("Z")

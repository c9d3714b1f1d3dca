"""The deadline calculator: Regulation 1182/71 counting and plain elapsed time, in the addressee's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.errors import InvalidInput
from comity.kinds import Counting
from comity.periods import Period
from comity.policy.deadlines import due, is_working_day

REG = Counting.REG_1182_71
DUBLIN = ZoneInfo("Europe/Dublin")
BERLIN = ZoneInfo("Europe/Berlin")


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("received", "period", "zone", "country", "subdivision", "expected"),
    [
        # Two days over a weekend: day 2 = Sat -> Mon; Fri and Mon are two working days already.
        (local(BERLIN, 2026, 9, 3, 12), "2 days", "Europe/Berlin", "DE", None, local(BERLIN, 2026, 9, 8)),
        # Two days from a Friday: Sat, Sun -> Mon holds one working day; Art. 3(5) adds Tue.
        (local(BERLIN, 2026, 9, 4, 12), "2 days", "Europe/Berlin", "DE", None, local(BERLIN, 2026, 9, 9)),
        # One day is not subject to Art. 3(5): Fri -> day 1 Sat -> Mon.
        (local(BERLIN, 2026, 9, 4, 12), "1 day", "Europe/Berlin", "DE", None, local(BERLIN, 2026, 9, 8)),
        # Across the year: day 10 = Fri 1 Jan 2027 (holiday), then the weekend -> Mon 4 Jan; Christmas counts.
        (local(DUBLIN, 2026, 12, 22, 9), "10 days", "Europe/Dublin", "IE", None, local(DUBLIN, 2027, 1, 5)),
        # Epiphany (6 Jan) is a holiday in Bavaria, not in Germany as a whole: subdivision calendars count.
        (local(BERLIN, 2026, 12, 27, 9), "10 days", "Europe/Berlin", "DE", None, local(BERLIN, 2027, 1, 7)),
        (local(BERLIN, 2026, 12, 27, 9), "10 days", "Europe/Berlin", "DE", "BY", local(BERLIN, 2027, 1, 8)),
        # Late in the day before the spring DST change: the period still ends at local midnight.
        (
            local(DUBLIN, 2026, 3, 18, 23, 59),
            "10 days",
            "Europe/Dublin",
            "IE",
            None,
            local(DUBLIN, 2026, 3, 31),
        ),
        # Hours across the spring DST change are real hours: 23:30 GMT, from 00:00 GMT + 8 h = 09:00 IST.
        (
            local(DUBLIN, 2026, 3, 28, 23, 30),
            "8 hours",
            "Europe/Dublin",
            "IE",
            None,
            local(DUBLIN, 2026, 3, 29, 9),
        ),
        # Hours are never moved past a holiday (Art. 3(4) concerns periods not expressed in hours).
        (
            local(DUBLIN, 2026, 12, 24, 20, 15),
            "8 hours",
            "Europe/Dublin",
            "IE",
            None,
            local(DUBLIN, 2026, 12, 25, 5),
        ),
    ],
)
def test_reg_1182_71(
    received: datetime, period: str, zone: str, country: str, subdivision: str | None, expected: datetime
) -> None:
    got = due(
        received, Period.parse(period), counting=REG, zone=zone, country=country, subdivision=subdivision
    )
    assert got == expected
    assert got.tzinfo is UTC


def test_receipt_in_another_zone_counts_on_the_addressee_calendar() -> None:
    # 22:30 UTC on Friday is 23:30 in Dublin but already Saturday in Berlin (day 1 Sunday, day 10 Tue 15).
    received = datetime(2026, 9, 4, 22, 30, tzinfo=UTC)
    assert due(received, Period.days(10), counting=REG, zone="Europe/Berlin", country="DE") == local(
        BERLIN, 2026, 9, 16
    )
    assert due(received, Period.days(10), counting=REG, zone="Europe/Dublin", country="IE") == local(
        DUBLIN, 2026, 9, 15
    )


def test_elapsed_is_plain_duration() -> None:
    received = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    for period in (Period.hours(8), Period.days(10)):
        got = due(received, period, counting=Counting.ELAPSED, zone="Europe/Dublin", country="IE")
        assert got == received + period.as_timedelta()


def test_bad_inputs_are_errors() -> None:
    aware = datetime(2026, 9, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="naive"):
        due(datetime(2026, 9, 1), Period.days(1), counting=REG, zone="Europe/Dublin", country="IE")
    with pytest.raises(InvalidInput, match="unknown time zone"):
        due(aware, Period.days(1), counting=REG, zone="Mars/Olympus", country="IE")
    with pytest.raises(InvalidInput, match="no public-holiday calendar"):
        due(aware, Period.days(1), counting=REG, zone="Europe/Dublin", country="QQ")
    with pytest.raises(InvalidInput, match="at least 1"):
        due(aware, Period.days(0), counting=REG, zone="Europe/Dublin", country="IE")


def test_working_days() -> None:
    assert is_working_day(date(2026, 3, 16), "IE")
    assert not is_working_day(date(2026, 3, 17), "IE")  # St Patrick's Day
    assert is_working_day(date(2026, 3, 17), "DE")
    assert not is_working_day(date(2026, 3, 21), "DE")  # a Saturday
    assert not is_working_day(date(2031, 12, 25), "FR")  # far years load on demand


ZONES = {"IE": "Europe/Dublin", "DE": "Europe/Berlin", "FR": "Europe/Paris", "NL": "Europe/Amsterdam"}
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(received=instants, amount=st.integers(1, 120), country=st.sampled_from(sorted(ZONES)))
def test_day_periods_end_after_a_working_day_and_never_early(
    received: datetime, amount: int, country: str
) -> None:
    zone = ZONES[country]
    tz = ZoneInfo(zone)
    got = due(received, Period.days(amount), counting=REG, zone=zone, country=country)
    end = got.astimezone(tz)
    # It expires at local midnight, at the end of a working day (Art. 3(2)(b), 3(4)).
    assert (end.hour, end.minute, end.second) == (0, 0, 0)
    assert is_working_day(end.date() - timedelta(days=1), country)
    # Never earlier than the same number of calendar days on the local clock.
    local_received = received.astimezone(tz)
    assert end.date() > local_received.date() + timedelta(days=amount)
    # Art. 3(5): a period of two days or more holds at least two working days.
    if amount >= 2:
        first = local_received.date() + timedelta(days=1)
        days = (end.date() - first).days
        working = sum(is_working_day(first + timedelta(days=i), country) for i in range(days))
        assert working >= 2


@settings(max_examples=200, deadline=None)
@given(received=instants, amount=st.integers(1, 200), country=st.sampled_from(sorted(ZONES)))
def test_hour_periods_leave_out_only_the_hour_of_the_event(
    received: datetime, amount: int, country: str
) -> None:
    got = due(received, Period.hours(amount), counting=REG, zone=ZONES[country], country=country)
    span = got - received
    assert timedelta(hours=amount) < span <= timedelta(hours=amount + 1)

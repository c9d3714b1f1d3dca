"""The deadline calculator: when a legal period expires, counted in the addressee's time zone.

Two ways of counting, chosen by the agreement (``Counting``):

* ``reg_1182_71`` (default) follows Regulation (EEC, Euratom) No 1182/71 determining the rules applicable to
  periods, dates and time limits:

  - a period in **hours** leaves out the hour in which the event happened (Art. 3(1), first subparagraph)
    and ends with the expiry of its last hour (Art. 3(2)(a)); it is never moved past holidays (Art. 3(4)
    speaks only of periods "expressed otherwise than in hours");
  - a period in **days** leaves out the day of the event (Art. 3(1), second subparagraph), starts at the
    beginning of the next day and ends with the expiry of the last hour of its last day (Art. 3(2)(b));
    Saturdays, Sundays and public holidays count (Art. 3(3)), but if the last day is one of them the
    period ends at the end of the next working day (Art. 3(4)); a period of two days or more includes at
    least two working days (Art. 3(5)).

* ``elapsed``: plain elapsed time from the event (the period as a duration on the UTC time line).

"Public holiday" means a public holiday of the addressee's country (and subdivision, where the profile
names one), taken from the ``holidays`` package. The result is the instant the period expires, as an aware
UTC datetime: an act is in time strictly before it.

Hot path: the policy engine computes up to three instants per decision. Holiday sets are loaded once per
(country, subdivision, year) and kept as day ordinals; ``ZoneInfo`` objects are cached per name. Nothing
else is cached: every call does the full counting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from comity.errors import InvalidInput
from comity.kinds import Counting
from comity.periods import Period, PeriodUnit

__all__ = ["HolidayCalendar", "calendar_for", "due", "is_working_day", "zone_info"]

_HOUR = timedelta(hours=1)

#: Saturday and Sunday as ``(ordinal + 6) % 7`` (date.min, ordinal 1, was a Monday = 0).
_SATURDAY = 5

#: A request for holidays more than this many years away from those already loaded is refused: it is a
#: mistake (a garbage date), and loading a century of calendars would stall the engine.
_MAX_YEARS_LOADED = 200

_ZONES: dict[str, ZoneInfo] = {}


def zone_info(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA zone name, cached (constructing one reads the tz database)."""
    found = _ZONES.get(name)
    if found is None:
        try:
            found = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"unknown time zone {name!r}") from exc
        _ZONES[name] = found
    return found


class HolidayCalendar:
    """The public holidays of one country (and subdivision), as day ordinals, loaded year by year.

    Years are loaded as one contiguous block, so "is this day inside what we loaded" is two integer
    comparisons; the set lookup is then exact.
    """

    __slots__ = ("_days", "_first_year", "_hi", "_last_year", "_lo", "country", "subdivision")

    def __init__(self, country: str, subdivision: str | None) -> None:
        self.country = country
        self.subdivision = subdivision
        self._days: set[int] = set()
        self._first_year = 0  # the loaded block of years; empty (last < first) until the first load
        self._last_year = -1
        self._lo = 1  # ordinal bounds of the loaded block (an empty range until the first load)
        self._hi = 0

    def _load(self, years: range) -> None:
        try:
            table = holidays.country_holidays(self.country, subdiv=self.subdivision, years=list(years))
        except (NotImplementedError, KeyError) as exc:
            where = self.country + (f"-{self.subdivision}" if self.subdivision else "")
            raise InvalidInput(f"no public-holiday calendar for {where!r} in the holidays package") from exc
        # Add the new days before widening the bounds: a reader that sees the new bounds sees the days.
        self._days.update(day.toordinal() for day in table)
        if self._last_year < self._first_year:
            self._first_year, self._last_year = years.start, years.stop - 1
        else:
            self._first_year = min(self._first_year, years.start)
            self._last_year = max(self._last_year, years.stop - 1)
        self._lo = date(self._first_year, 1, 1).toordinal()
        self._hi = date(self._last_year, 12, 31).toordinal()

    def _extend_to(self, ordinal: int) -> None:
        year = date.fromordinal(ordinal).year
        if self._last_year < self._first_year:
            years = range(year, year + 1)
        elif year < self._first_year:
            years = range(year, self._first_year)
        else:
            years = range(self._last_year + 1, year + 1)
        if len(years) > _MAX_YEARS_LOADED:
            raise InvalidInput(f"date {date.fromordinal(ordinal)} is too far from the loaded calendar years")
        self._load(years)

    def is_holiday(self, ordinal: int) -> bool:
        """Whether the day with this proleptic Gregorian ordinal is a public holiday."""
        if ordinal < self._lo or ordinal > self._hi:
            self._extend_to(ordinal)
        return ordinal in self._days

    def is_working_day(self, ordinal: int) -> bool:
        """Not a Saturday, Sunday or public holiday (Reg. 1182/71 Art. 2(2), 3(4))."""
        if (ordinal + 6) % 7 >= _SATURDAY:
            return False
        if ordinal < self._lo or ordinal > self._hi:
            self._extend_to(ordinal)
        return ordinal not in self._days


_CALENDARS: dict[tuple[str, str | None], HolidayCalendar] = {}


def calendar_for(country: str, subdivision: str | None = None) -> HolidayCalendar:
    """The cached holiday calendar of ``country`` (a code the ``holidays`` package knows)."""
    key = (country, subdivision)
    found = _CALENDARS.get(key)
    if found is None:
        found = HolidayCalendar(country, subdivision)
        _CALENDARS[key] = found
    return found


def is_working_day(day: date, country: str, subdivision: str | None = None) -> bool:
    """Whether ``day`` is a working day in ``country``: not a Saturday, Sunday or public holiday."""
    return calendar_for(country, subdivision).is_working_day(day.toordinal())


def due(
    received: datetime,
    period: Period,
    *,
    counting: Counting,
    zone: str,
    country: str,
    subdivision: str | None = None,
) -> datetime:
    """The instant (aware, UTC) at which ``period`` running from ``received`` expires.

    ``zone`` and ``country`` (and ``subdivision``) are the addressee's: its local calendar decides what a
    day is, and its public holidays which days are not working days.
    """
    if received.tzinfo is None or received.utcoffset() is None:
        raise InvalidInput("naive datetime: a receipt time must carry its UTC offset")
    if period.amount < 1:
        raise InvalidInput(f"a period must be at least 1 {period.unit.value[:-1]}, not {period.amount}")
    if counting is Counting.ELAPSED:
        return received.astimezone(UTC) + period.as_timedelta()
    tz = _ZONES.get(zone) or zone_info(zone)
    local = received.astimezone(tz)
    if period.unit is PeriodUnit.HOURS:
        # Art. 3(1): the hour in which the event happens is not counted, so the period starts at the top of
        # the next hour (Art. 3(2)(a)); hours are real hours on the time line (a DST change does not stretch
        # or shrink them), and Art. 3(4) does not move a period expressed in hours.
        top = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        return top + _HOUR * (period.amount + 1)
    return _days_end(local, period.amount, tz, calendar_for(country, subdivision))


def _days_end(local: datetime, amount: int, tz: ZoneInfo, calendar: HolidayCalendar) -> datetime:
    """End of a period of ``amount`` days starting the day after ``local`` (Reg. 1182/71 Art. 3)."""
    event_day = local.toordinal()
    # Art. 3(1)-(2)(b): day 1 is the day after the event; the period ends with the last hour of day N.
    last = event_day + amount
    # Art. 3(4): a last day that is a Saturday, Sunday or public holiday moves to the next working day.
    while not calendar.is_working_day(last):
        last += 1
    if amount >= 2:
        # Art. 3(5): a period of two days or more includes at least two working days. Count them from day 1
        # (stopping at two), then extend day by day: each added working day counts, and the period ends on
        # the working day that brings the count to two.
        working = 0
        day = event_day + 1
        while day <= last and working < 2:
            if calendar.is_working_day(day):
                working += 1
            day += 1
        while working < 2:
            last += 1
            if calendar.is_working_day(last):
                working += 1
    end = date.fromordinal(last + 1)
    # The expiry of the last hour of the last day is local midnight starting the next day.
    return datetime(end.year, end.month, end.day, tzinfo=tz).astimezone(UTC)

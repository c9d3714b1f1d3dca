"""Periods of time as law states them ("10 days", "8 hours"): the unit matters for counting rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class PeriodUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"


_PATTERN = re.compile(r"^\s*(\d+)\s*(hour|hours|day|days|h|d)\s*$", re.IGNORECASE)
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(\d+)H)?$")


@dataclass(frozen=True, slots=True)
class Period:
    """A legal period: an amount of hours or days. Months are stated in days by agreements."""

    amount: int
    unit: PeriodUnit

    @classmethod
    def days(cls, amount: int) -> Period:
        return cls(amount, PeriodUnit.DAYS)

    @classmethod
    def hours(cls, amount: int) -> Period:
        return cls(amount, PeriodUnit.HOURS)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse "10 days", "8 hours", "96h", or ISO 8601 "P10D" / "PT8H"."""
        match = _PATTERN.match(text)
        if match:
            amount = int(match.group(1))
            unit = PeriodUnit.HOURS if match.group(2).lower().startswith("h") else PeriodUnit.DAYS
            return cls(amount, unit)
        iso = _ISO.match(text.strip())
        if iso and (iso.group(1) is None) != (iso.group(2) is None):
            if iso.group(1) is not None:
                return cls(int(iso.group(1)), PeriodUnit.DAYS)
            return cls(int(iso.group(2)), PeriodUnit.HOURS)
        raise ValueError(f"not a period: {text!r} (expected e.g. '10 days', '8 hours', 'P10D', 'PT8H')")

    def as_timedelta(self) -> timedelta:
        return timedelta(hours=self.amount) if self.unit is PeriodUnit.HOURS else timedelta(days=self.amount)

    def iso(self) -> str:
        return f"PT{self.amount}H" if self.unit is PeriodUnit.HOURS else f"P{self.amount}D"

    def __str__(self) -> str:
        unit = self.unit.value if self.amount != 1 else self.unit.value[:-1]
        return f"{self.amount} {unit}"

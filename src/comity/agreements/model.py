"""C2 cooperation instruments as plain domain objects (parsed from validated YAML documents)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from comity.kinds import ActionKind, Counting, DataCategory, Regime, SeverityBand
from comity.periods import Period


@dataclass(frozen=True, slots=True)
class Party:
    """A party: a jurisdiction (ISO code), optionally a named organisation within it (a platform)."""

    jurisdiction: str
    name: str
    role: str = "state"  # state | authority | platform | oversight
    organisation: str | None = None  # organisation id, where the party is one organisation


@dataclass(frozen=True, slots=True)
class DataCategoryTerms:
    """What may be shared of one data category, under what condition, kept how long."""

    category: DataCategory
    retention_days: int
    conditions: str = ""
    fields: tuple[str, ...] = ()  # fields that may leave the node (egress minimisation)
    #: Of ``fields``, those that leave only as keyed hashes (HMAC-SHA-256 under the agreement's shared
    #: pseudonym key): exact matches link across the parties' nodes, the value itself never travels.
    pseudonymous_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NoticeRules:
    """When the affected person must be told, and how long a judge may defer it."""

    prior_notice_period: Period | None = None  # time given to reply before a non-urgent measure
    max_deferral_days: int = 0  # upper bound of a judge-approved deferral


@dataclass(frozen=True, slots=True)
class Agreement:
    """One version of a cooperation instrument. Immutable: a new version supersedes it."""

    id: str
    version: int
    regime: Regime
    title: str
    parties: tuple[Party, ...]
    offences: frozenset[str]  # taxonomy codes covered
    #: Actions permitted for offences of each severity band (proportionality, Comity's rule).
    permitted_measures: Mapping[SeverityBand, frozenset[ActionKind]]
    data_categories: Mapping[DataCategory, DataCategoryTerms]
    #: Deadlines the agreement states, by name (e.g. "production", "production_emergency", "removal").
    deadlines: Mapping[str, Period]
    counting: Counting
    notice: NoticeRules
    oversight_body: str
    review_cadence_months: int
    effective: date
    sunset: date
    #: Budapest Art. 29(4): the requested party reserved the right to refuse preservation without dual
    #: criminality (for offences other than Arts 2-11).
    dual_criminality_reservation: bool = False
    #: Mutual legal assistance: the parties agreed not to verify dual criminality for list offences
    #: (FD 2002/584/JHA Art. 2(2) categories) punishable by at least 3 years in the issuing state.
    list_offence_exemption: bool = False
    #: Jurisdictions in which measures under this agreement may take effect (empty: the parties').
    territorial_scope: tuple[str, ...] = ()
    summary: str = ""
    clauses: Mapping[str, str] = field(default_factory=dict)  # clause id -> text, cited by reasons

    @property
    def jurisdictions(self) -> frozenset[str]:
        return frozenset(p.jurisdiction for p in self.parties)

    def in_force(self, on: date) -> bool:
        """Effective on ``on`` and not past its sunset (the sunset day is the last day in force)."""
        return self.effective <= on <= self.sunset

    def permits(self, band: SeverityBand, kind: ActionKind) -> bool:
        return kind in self.permitted_measures.get(band, frozenset())

    def covers(
        self,
        *,
        issuing: str,
        executing: str,
        offence: str,
        band: SeverityBand,
        kind: ActionKind,
        on: date,
    ) -> bool:
        """Whether this agreement authorises ``kind`` between the two jurisdictions for ``offence`` on ``on``.

        In force that day, both jurisdictions parties, the offence covered and the measure permitted for
        the offence's severity band. (The policy service looks for candidates in any band, so that a
        disproportionate measure is refused with a reason rather than "no agreement".)
        """
        return (
            self.in_force(on)
            and issuing in self.jurisdictions
            and executing in self.jurisdictions
            and offence in self.offences
            and self.permits(band, kind)
        )

    def days_to_sunset(self, on: date) -> int:
        """Days from ``on`` to the sunset day (0 on the last day in force, negative once past it)."""
        return (self.sunset - on).days

    def cite(self, clause: str | None = None) -> str:
        """How reasons cite this agreement, or one of its clauses: ``Agreement eev-eu5 v1, clause scope``."""
        base = f"Agreement {self.id} v{self.version}"
        return f"{base}, clause {clause}" if clause and clause in self.clauses else base

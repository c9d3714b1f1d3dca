"""C1 shared vocabulary as plain domain objects: the offence taxonomy and jurisdiction profiles.

These are immutable values the policy engine reads. They are loaded from versioned documents (YAML data
files an administrator edits, validated, approved by oversight before they take effect).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from comity.kinds import SeverityBand


@dataclass(frozen=True, slots=True)
class Offence:
    """One entry of the offence taxonomy."""

    code: str  # stable code, e.g. "counterfeit_goods"
    name: str
    severity: SeverityBand
    #: In the list of 32 categories (FD 2002/584/JHA Art. 2(2); e-Evidence Annex IV; freezing Reg. Art. 3(1)).
    list_offence: bool
    #: An e-Evidence Art. 5(4)(b)-(c) offence (non-cash payment fraud, attacks on information systems,
    #: child sexual abuse by means of an information system; terrorism).
    cyber_or_terror: bool = False
    description: str = ""
    list_category: int | None = None  # number in the list of 32, where it is a list offence
    #: Every list category the code falls under (``list_category`` is the first); e.g. (11, 20).
    list_categories: tuple[int, ...] = ()
    #: Established under Budapest Convention Arts 2-11 (illegal access ... computer-related fraud, IP
    #: infringements): an Art. 29(4) dual-criminality reservation cannot reach these offences.
    convention_offence: bool = False


#: Months recorded for a life sentence: above any fixed term, so thresholds and "most serious" hold.
LIFE_IMPRISONMENT_MONTHS = 1200


@dataclass(frozen=True, slots=True)
class Statute:
    """A provision of one jurisdiction's law mapped onto a taxonomy code, with its maximum penalty."""

    id: str  # stable id, e.g. "IE-CJTOA-2001-s6"
    jurisdiction: str  # ISO 3166-1 alpha-2
    offence: str  # taxonomy code
    citation: str  # e.g. "Criminal Justice (Theft and Fraud Offences) Act 2001, s. 6"
    max_penalty_months: int
    title: str = ""  # the provision's heading, e.g. "Betrug"
    #: Punishable by life imprisonment; ``max_penalty_months`` then holds LIFE_IMPRISONMENT_MONTHS.
    life_imprisonment: bool = False


@dataclass(frozen=True, slots=True)
class JurisdictionProfile:
    """A jurisdiction: where it is, how it counts time, how long to challenge, what its statutes say."""

    code: str  # ISO 3166-1 alpha-2
    name: str
    languages: tuple[str, ...]
    time_zone: str  # IANA zone, e.g. "Europe/Dublin"
    legal_system: str  # e.g. "common_law", "civil_law"
    holiday_country: str  # country code understood by the `holidays` package
    challenge_period_days: int  # period to challenge an authority's measure in court
    statutes: tuple[Statute, ...] = ()
    illustrative: bool = True  # demo data: not legal advice
    holiday_subdivision: str | None = None
    eu_member: bool = True
    extra: dict[str, str] = field(default_factory=dict)
    version: int = 1  # version of the profile document this was loaded from
    challenge_period_basis: str = ""  # the provision that sets the challenge period

    def statutes_for(self, offence: str) -> tuple[Statute, ...]:
        """Statutes of this jurisdiction mapped onto ``offence``, most serious first."""
        found = [s for s in self.statutes if s.offence == offence]
        return tuple(sorted(found, key=lambda s: (-s.max_penalty_months, s.id)))

    def criminalises(self, offence: str) -> bool:
        """Whether the conduct is an offence here (some statute maps onto the code)."""
        return any(s.offence == offence for s in self.statutes)

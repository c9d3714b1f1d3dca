"""The policy engine's input (a proposed action) and output (a decision), as plain values.

The decision schema is a shared contract: requests, measures, orders, federation and transparency all keep
decisions in this shape (see ``policy.schemas`` for its JSON form).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from comity.agreements.model import Agreement
from comity.kinds import ActionKind, AuthorityType, DataCategory
from comity.periods import Period
from comity.vocabulary.model import JurisdictionProfile, Offence


@dataclass(frozen=True, slots=True)
class ProposedAction:
    """The facts of one proposed action, as the engine needs them.

    ``None`` on a fact means "not stated": the engine records what it assumed in ``Decision.assumptions``.
    """

    kind: ActionKind
    issuing_state: str
    executing_state: str
    offence: str  # taxonomy code
    issuer: AuthorityType
    statute_id: str | None = None  # default: the most serious statute of the issuing state for the offence
    data_category: DataCategory | None = None
    validated_by: AuthorityType | None = None
    emergency: bool = False
    committed_in_issuing: bool | None = None
    person_resides_in_issuing: bool | None = None
    committed_in_executing: bool | None = None
    identifiers_named: bool = True
    time_range_applicable: bool = False
    time_range_bounded: bool = True
    territorial_scope: tuple[str, ...] = ()  # where a removal/suspension would take effect
    illegal_in: tuple[str, ...] = ()  # where the content is shown to be illegal
    illegality_source: str | None = None  # "national" | "union"
    #: offence_in_territory | victims_in_territory | targeting | nationality | residence
    jurisdictional_link: str | None = None
    at: datetime | None = None  # when the action is proposed (agreement in force?); default: now
    received_at: datetime | None = None  # when the addressee receives it: deadlines become instants
    #: A judge-approved deferral of the notice to the affected person, in days (bounded by the agreement).
    notice_deferral_days: int | None = None
    #: For a preservation extension: when the original preservation order was received (the extension's
    #: days run on from the first period, e-Evidence Art. 11(1)).
    original_received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule the engine applied: what it found and where the rule comes from."""

    rule: str  # stable rule id, e.g. "eev.issuer.competence"
    text: str
    source: str  # article or clause, e.g. "Regulation (EU) 2023/1543 Art. 4(2)"
    satisfied: bool = True  # False: this rule is why the action is refused


@dataclass(frozen=True, slots=True)
class Obligation:
    """Something that must follow if the action goes ahead."""

    kind: str  # ex_post_validation | notify_affected_person | forward_to_coordinator | report_effect | ...
    text: str
    source: str
    due: datetime | None = None
    within: timedelta | None = None


@dataclass(slots=True)
class TimeLimits:
    """Durations, and instants where a receipt time was given."""

    deadline: timedelta | None = None
    review_window: timedelta | None = None
    preservation_period: timedelta | None = None
    deadline_at: datetime | None = None
    review_window_ends_at: datetime | None = None
    preservation_ends_at: datetime | None = None
    counting: str | None = None  # reg_1182_71 | elapsed
    time_zone: str | None = None  # the addressee's zone used for counting
    #: The periods as the law states them, by limit name ("deadline", "review_window",
    #: "preservation_period"): the unit matters (96 hours are counted unlike 4 days under Reg. 1182/71).
    stated: Mapping[str, Period] = field(default_factory=dict)


@dataclass(slots=True)
class Decision:
    """What the engine decided and why. ``allowed`` is False iff some reason is unsatisfied."""

    allowed: bool
    regime: str
    agreement_id: str
    agreement_version: int
    reasons: list[Reason] = field(default_factory=list)
    obligations: list[Obligation] = field(default_factory=list)
    refusal_grounds_available: list[str] = field(default_factory=list)
    #: Grounds open whatever the facts (immunities, fundamental rights, ne bis in idem, public order).
    general_refusal_grounds: list[str] = field(default_factory=list)
    notify_executing_state: bool = False
    suspensive: bool = False
    limits: TimeLimits = field(default_factory=TimeLimits)
    assumptions: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """Everything the engine may consult, as values: taxonomy, profiles and agreements in effect.

    Built from the approved (oversight-approved) documents of a node, or directly by tests.
    """

    offences: Mapping[str, Offence]
    jurisdictions: Mapping[str, JurisdictionProfile]
    agreements: Sequence[Agreement]  # the current (latest approved) version of each agreement

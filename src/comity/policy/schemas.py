"""The policy engine's API shapes: the body of ``POST /api/v1/policy/decisions`` and the decision JSON.

``decision_to_json`` builds the JSON form of the shared decision schema as a plain dict (fast, no
validation: the decision is already well formed); ``DecisionOut`` describes the same shape for OpenAPI.
Durations are ISO 8601 (``P10D``, ``PT8H``) in the unit the law states them, each with a human form;
instants are ISO 8601 UTC with a ``Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from comity.kinds import ActionKind, AuthorityType, DataCategory
from comity.periods import Period
from comity.policy.model import Decision, Obligation, Reason

IsoCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 code", examples=["IE"]),
]
JurisdictionalLink = Literal[
    "offence_in_territory", "victims_in_territory", "targeting", "nationality", "residence"
]


class PolicyRequest(BaseModel):
    """A proposed action in a caller's terms: codes and facts. Unstated facts are assumed (and said so)."""

    model_config = ConfigDict(extra="forbid")

    from_state: IsoCode = Field(description="the issuing state")
    to_state: IsoCode = Field(description="the executing state (where the addressee is)")
    offence: str = Field(min_length=1, max_length=100, description="offence taxonomy code")
    measure: ActionKind
    agreement: str | None = Field(
        None, max_length=200, description="agreement id (default: the one that applies)"
    )
    statute: str | None = Field(
        None, max_length=200, description="statute id (default: the most serious one of the issuing state)"
    )
    data: DataCategory | None = None
    issuer: AuthorityType | None = Field(None, description="authority type of the issuer (default: police)")
    validated_by: AuthorityType | None = None
    emergency: bool = False
    committed_in: IsoCode | None = Field(None, description="where the offence was committed")
    resides_in: IsoCode | None = Field(None, description="where the person concerned resides")
    committed_in_issuing: bool | None = None
    person_resides_in_issuing: bool | None = None
    committed_in_executing: bool | None = None
    identifiers_named: bool = True
    time_range_applicable: bool = False
    time_range_bounded: bool = True
    territorial_scope: list[IsoCode] = Field(default_factory=list, max_length=60)
    illegal_in: list[IsoCode] = Field(default_factory=list, max_length=60)
    illegality_source: Literal["national", "union"] | None = None
    jurisdictional_link: JurisdictionalLink | None = None
    notice_deferral_days: int | None = Field(None, ge=0, le=3650)
    at: AwareDatetime | None = Field(None, description="when the action is proposed (default: now)")
    received_at: AwareDatetime | None = Field(None, description="when the addressee receives it")
    original_received_at: AwareDatetime | None = Field(
        None, description="for a preservation extension: when the original preservation order was received"
    )

    @model_validator(mode="after")
    def _consistent_places(self) -> PolicyRequest:
        """``committed_in``/``resides_in`` and the explicit booleans must not contradict each other."""
        if self.committed_in is not None:
            implied = (
                ("committed_in_issuing", self.committed_in == self.from_state),
                ("committed_in_executing", self.committed_in == self.to_state),
            )
            for name, value in implied:
                given = getattr(self, name)
                if given is not None and given != value:
                    raise ValueError(f"{name}={given} contradicts committed_in={self.committed_in}")
        if (
            self.resides_in is not None
            and self.person_resides_in_issuing is not None
            and self.person_resides_in_issuing != (self.resides_in == self.from_state)
        ):
            raise ValueError(
                f"person_resides_in_issuing={self.person_resides_in_issuing} contradicts "
                f"resides_in={self.resides_in}"
            )
        return self


class ReasonOut(BaseModel):
    rule: str
    text: str
    source: str
    satisfied: bool


class ObligationOut(BaseModel):
    kind: str
    text: str
    source: str
    due: datetime | None = None
    within: str | None = Field(None, description="ISO 8601 duration")


class AgreementRef(BaseModel):
    id: str
    version: int


class DecisionOut(BaseModel):
    """The shared decision schema, as JSON."""

    allowed: bool
    regime: str
    agreement: AgreementRef
    reasons: list[ReasonOut]
    obligations: list[ObligationOut]
    refusal_grounds_available: list[str]
    general_refusal_grounds: list[str]
    notify_executing_state: bool
    suspensive: bool
    deadline: str | None = Field(None, description="ISO 8601 duration")
    deadline_text: str | None = None
    review_window: str | None = None
    review_window_text: str | None = None
    preservation_period: str | None = None
    preservation_period_text: str | None = None
    deadline_at: datetime | None = None
    review_window_ends_at: datetime | None = None
    preservation_ends_at: datetime | None = None
    counting: str | None = None
    time_zone: str | None = None
    assumptions: list[str]


class StatuteOut(BaseModel):
    id: str
    citation: str
    max_penalty_months: int


class PolicyDecisionOut(DecisionOut):
    """The API's answer: the decision, the statute it relied on, and the choices made for the caller."""

    statute: StatuteOut
    choices: list[str]


def iso_duration(value: timedelta) -> str:
    """ISO 8601 duration of ``value``: whole days as ``PnD``, else hours (or seconds) as ``PTnH``."""
    seconds = int(value.total_seconds())
    if seconds % 86_400 == 0:
        return f"P{seconds // 86_400}D"
    if seconds % 3_600 == 0:
        return f"PT{seconds // 3_600}H"
    return f"PT{seconds}S"


def iso_instant(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z`` (``None`` stays ``None``)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _duration(value: timedelta | None, stated: Period | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if stated is not None:
        return stated.iso(), str(stated)
    iso = iso_duration(value)
    return iso, iso


def _reason(reason: Reason) -> dict[str, Any]:
    return {"rule": reason.rule, "text": reason.text, "source": reason.source, "satisfied": reason.satisfied}


def _obligation(obligation: Obligation) -> dict[str, Any]:
    return {
        "kind": obligation.kind,
        "text": obligation.text,
        "due": iso_instant(obligation.due),
        "source": obligation.source,
        "within": None if obligation.within is None else iso_duration(obligation.within),
    }


def decision_to_json(decision: Decision) -> dict[str, Any]:
    """The JSON form of ``decision`` (the shared decision schema)."""
    limits = decision.limits
    stated = limits.stated
    deadline, deadline_text = _duration(limits.deadline, stated.get("deadline"))
    review, review_text = _duration(limits.review_window, stated.get("review_window"))
    preservation, preservation_text = _duration(limits.preservation_period, stated.get("preservation_period"))
    return {
        "allowed": decision.allowed,
        "regime": decision.regime,
        "agreement": {"id": decision.agreement_id, "version": decision.agreement_version},
        "reasons": [_reason(r) for r in decision.reasons],
        "obligations": [_obligation(o) for o in decision.obligations],
        "refusal_grounds_available": list(decision.refusal_grounds_available),
        "general_refusal_grounds": list(decision.general_refusal_grounds),
        "notify_executing_state": decision.notify_executing_state,
        "suspensive": decision.suspensive,
        "deadline": deadline,
        "deadline_text": deadline_text,
        "review_window": review,
        "review_window_text": review_text,
        "preservation_period": preservation,
        "preservation_period_text": preservation_text,
        "deadline_at": iso_instant(limits.deadline_at),
        "review_window_ends_at": iso_instant(limits.review_window_ends_at),
        "preservation_ends_at": iso_instant(limits.preservation_ends_at),
        "counting": limits.counting,
        "time_zone": limits.time_zone,
        "assumptions": list(decision.assumptions),
    }

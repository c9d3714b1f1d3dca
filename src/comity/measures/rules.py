"""DB-free due-process rules of measures: legal elements, the ladder, prior notice, competence, renewals.

Every function here reads plain values (a :class:`~comity.measures.model.Measure` row is read, never
written) so the service, the invariant audit and the offline order verifier apply the very same rules.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from comity.errors import FieldError
from comity.kinds import (
    DATA_ACTIONS,
    JUDICIAL_AUTHORITIES,
    RESTRICTIVE_ACTIONS,
    ActionKind,
    AuthorityType,
    DataCategory,
    Regime,
)
from comity.measures.model import LadderStep
from comity.periods import Period

#: Without a prior-notice period in the agreement, the person gets this long to reply (Comity rule).
DEFAULT_PRIOR_NOTICE = Period.days(3)
#: A provisional measure's review deadline is at most this far from its issue, and so is each renewal
#: (Comity rule: a provisional order is a stopgap until a judge looks at it, not a way around one).
MAX_REVIEW_PERIOD = timedelta(days=30)
#: How many times a provisional measure may be renewed without a judge confirming it.
MAX_RENEWALS = 2


class MeasureFacts(Protocol):
    """What the rules read of a measure (the ORM row satisfies it)."""

    kind: str
    step: str
    provisional: bool
    legal_basis: str | None
    justification: str | None
    proportionality: dict[str, Any]
    escalation_reason: str | None
    territorial_scope: list[Any]
    starts_at: datetime | None
    ends_at: datetime | None
    review_at: datetime | None
    issuing_organisation: str
    issuer_authority_type: str
    requires_validation: bool
    validating_organisation: str | None
    decided_by: str | None
    target_id: str | None
    affects_person: bool


def ladder_step(kind: ActionKind, *, provisional: bool) -> LadderStep:
    """The rung of the escalation ladder a measure stands on."""
    if kind is ActionKind.ADVISORY_NOTICE:
        return LadderStep.ADVISORY_NOTICE
    if kind is ActionKind.VOLUNTARY_REMOVAL:
        return LadderStep.VOLUNTARY_REQUEST
    return LadderStep.PROVISIONAL_ORDER if provisional else LadderStep.JUDICIAL_ORDER


def affects_person(kind: ActionKind) -> bool:
    """Whether the measure restricts a person or obtains or keeps their data (they are owed a notice)."""
    return kind in RESTRICTIVE_ACTIONS or kind in DATA_ACTIONS


def is_human_actor(actor: str | None) -> bool:
    """A decision-maker must be a person (``user:...``), never the node, a model or a score."""
    return bool(actor) and str(actor).startswith("user:")


def missing_elements(measure: MeasureFacts, *, for_validation: bool = False) -> list[FieldError]:
    """Every legal element the measure lacks, each named by its field path (empty: complete).

    ``for_validation``: also require the validating authority where the regime requires one (it is
    recorded when a judge authorises, so a draft cannot have it yet).
    """
    missing: list[FieldError] = []

    def need(path: str, ok: bool, message: str) -> None:
        if not ok:
            missing.append(FieldError(path, message))

    need("legal_basis", bool((measure.legal_basis or "").strip()), "state the legal basis")
    need("justification", bool((measure.justification or "").strip()), "state the reasons for the measure")
    prop = measure.proportionality or {}
    need(
        "proportionality.offence_severity",
        bool(str(prop.get("offence_severity") or "").strip()),
        "assess the severity of the offence",
    )
    need("proportionality.harm", bool(str(prop.get("harm") or "").strip()), "assess the harm to be prevented")
    alternatives = prop.get("milder_alternatives")
    need(
        "proportionality.milder_alternatives",
        isinstance(alternatives, list) and any(str(a).strip() for a in alternatives),
        "list the milder alternatives considered",
    )
    if LadderStep(measure.step) is not LadderStep.ADVISORY_NOTICE:
        need(
            "escalation_reason",
            bool((measure.escalation_reason or "").strip()),
            "say why a milder step of the ladder was not enough",
        )
    need("issuing_authority", bool(measure.issuing_organisation), "name the issuing authority")
    need("issuer_authority_type", bool(measure.issuer_authority_type), "state the issuer's authority type")
    need(
        "territorial_scope",
        isinstance(measure.territorial_scope, list) and bool(measure.territorial_scope),
        "state where the measure takes effect",
    )
    need("starts_at", measure.starts_at is not None, "state when the measure starts")
    need(
        "ends_at",
        measure.ends_at is not None or measure.review_at is not None,
        "state an end date or a review date",
    )
    if measure.provisional:
        need("review_at", measure.review_at is not None, "a provisional measure needs a review deadline")
        review, start = measure.review_at, measure.starts_at
        if review and start and review - start > MAX_REVIEW_PERIOD:
            missing.append(FieldError("review_at", f"at most {MAX_REVIEW_PERIOD.days} days after the start"))
    if measure.affects_person:
        need("target_id", bool(measure.target_id), "name the case target the measure is directed at")
    if for_validation and measure.requires_validation:
        need("validating_authority", bool(measure.validating_organisation), "the regime requires validation")
    if measure.starts_at and measure.ends_at and measure.ends_at <= measure.starts_at:
        missing.append(FieldError("ends_at", "must be after starts_at"))
    if measure.starts_at and measure.review_at and measure.review_at <= measure.starts_at:
        missing.append(FieldError("review_at", "must be after starts_at"))
    return missing


def prior_notice_period(configured: Period | None) -> timedelta:
    """The time the person has to reply to a prior notice: the agreement's, else Comity's default."""
    return (configured or DEFAULT_PRIOR_NOTICE).as_timedelta()


@dataclass(frozen=True, slots=True)
class PriorNoticeState:
    """Where a measure stands with its prior notice."""

    skip_approved: bool
    sent: bool
    reply_until: datetime | None

    def may_issue(self, now: datetime) -> bool:
        """Issue only once the person was told and the reply period ran, or a judge accepted the skip."""
        if self.skip_approved:
            return True
        return self.sent and self.reply_until is not None and now >= self.reply_until


# --- competence --------------------------------------------------------------------------------------

_ANY_AUTHORITY: frozenset[AuthorityType] = frozenset(AuthorityType)
_JUDICIAL_OR_PROSECUTOR: frozenset[AuthorityType] = JUDICIAL_AUTHORITIES | {AuthorityType.PROSECUTOR}


def competent_signers(
    *, regime: str | None, kind: str, step: str, data_category: str | None
) -> tuple[frozenset[AuthorityType], str]:
    """Authority types of which at least one must sign an order of this kind, and the rule's source.

    Derived from the act itself, so a verifier without a node applies it: a judicial order needs a judge's
    or court's key (the authorising judge cosigns); e-Evidence production of traffic or content data needs a
    judge (Art. 4(2)), other e-Evidence orders a judge or prosecutor (Art. 4(1), 4(3)); a freezing order a
    judge, court or prosecutor (Reg. 2018/1805 Art. 2(8)); anything else any public authority.
    """
    if step == LadderStep.JUDICIAL_ORDER.value:
        return JUDICIAL_AUTHORITIES, "Comity ladder: a judicial order is authorised by a judge"
    if regime == Regime.E_EVIDENCE.value:
        if kind == ActionKind.PRODUCTION.value and data_category in {
            DataCategory.TRAFFIC.value,
            DataCategory.CONTENT.value,
        }:
            return JUDICIAL_AUTHORITIES, "Regulation (EU) 2023/1543 Art. 4(2)"
        return _JUDICIAL_OR_PROSECUTOR, "Regulation (EU) 2023/1543 Art. 4(1), 4(3)"
    if regime == Regime.FREEZING.value:
        return _JUDICIAL_OR_PROSECUTOR, "Regulation (EU) 2018/1805 Art. 2(8)"
    return _ANY_AUTHORITY, "any public authority of a party"


def competent(
    holders: Collection[AuthorityType], *, regime: str | None, kind: str, step: str, data_category: str | None
) -> bool:
    """Whether the authority types present (issuer and validator) satisfy :func:`competent_signers`."""
    needed, _source = competent_signers(regime=regime, kind=kind, step=step, data_category=data_category)
    return any(h in needed for h in holders)


def renewal_allowed(renewals: int, current_deadline: datetime, new_deadline: datetime) -> str | None:
    """Why a renewal is refused, or None: renewals are explicit, bounded in number and in length."""
    if renewals >= MAX_RENEWALS:
        return f"a provisional measure may be renewed at most {MAX_RENEWALS} times; a judge must confirm it"
    if new_deadline <= current_deadline:
        return "a renewal must move the review deadline later"
    if new_deadline - current_deadline > MAX_REVIEW_PERIOD:
        return f"a renewal may extend the review deadline by at most {MAX_REVIEW_PERIOD.days} days"
    return None

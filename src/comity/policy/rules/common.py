"""What every regime's rules share: the working state of one evaluation (``Draft``), periods, obligations,
citations, the agreement's formatted sources, and the agreement's own periods.

Speed without memoising decisions: every rule is evaluated on every call. Reasons and obligations are
immutable values, so those whose text depends only on a few enum values or on the agreement's identity are
built once and reused (``Interned``); the facts still decide which one a decision gets.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime
from typing import Final, Generic, Literal, TypeVar

from comity.agreements.model import Agreement
from comity.kinds import ActionKind, AuthorityType, DataCategory
from comity.periods import Period
from comity.policy.deadlines import due
from comity.policy.model import Decision, Obligation, ProposedAction, Reason, TimeLimits
from comity.vocabulary.model import JurisdictionProfile, Offence, Statute

# Citations, written once. Where the reference marks a rule [R] or [S] the constant using it says so.
EEV: Final = "Regulation (EU) 2023/1543"
BUDAPEST: Final = "Convention on Cybercrime (ETS 185)"
FREEZING: Final = "Regulation (EU) 2018/1805"
DSA: Final = "Regulation (EU) 2022/2065"
COMITY: Final = "Comity rule"

#: Authority types as a sentence names them.
AUTHORITY_NAMES: Final = {
    AuthorityType.POLICE: "a police authority",
    AuthorityType.CUSTOMS: "a customs authority",
    AuthorityType.REGULATOR: "a regulator",
    AuthorityType.PROSECUTOR: "a public prosecutor",
    AuthorityType.INVESTIGATING_JUDGE: "an investigating judge",
    AuthorityType.JUDGE: "a judge",
    AuthorityType.COURT: "a court",
}


def a_kind(kind: ActionKind) -> str:
    """``kind`` with its indefinite article, as a sentence names it ("an account suspension")."""
    words = kind.value.replace("_", " ")
    return ("an " if words[0] in "aeiou" else "a ") + words


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Bound on each intern table: keys are small enum/int tuples, so this is never reached in practice; it
#: only keeps a process that sees unbounded distinct agreements (property tests) from growing forever.
_INTERN_LIMIT: Final = 65_536


class Interned(dict[K, V], Generic[K, V]):
    """A table of immutable values (reasons, texts) built once per distinct key."""

    def put(self, key: K, value: V) -> V:
        if len(self) >= _INTERN_LIMIT:
            self.clear()
        self[key] = value
        return value


class Span:
    """A legal period with its duration precomputed (the hot path never re-derives it)."""

    __slots__ = ("delta", "period")

    def __init__(self, period: Period) -> None:
        self.period = period
        self.delta = period.as_timedelta()

    def __repr__(self) -> str:
        return f"Span({self.period})"


class ObligationSpec:
    """An obligation as a rule states it; it becomes an ``Obligation`` (with a due instant) at the end.

    ``side`` says whose clock counts it: "issuing" (an act of the issuing authority, e.g. ex-post
    validation) or "executing" (the addressee's). ``from_issue`` counts it from when the action is issued
    (``action.at``) rather than from receipt.
    """

    __slots__ = ("constant", "from_issue", "kind", "side", "source", "span", "text")

    def __init__(
        self,
        kind: str,
        text: str,
        source: str,
        span: Span | None = None,
        *,
        side: Literal["issuing", "executing"] = "executing",
        from_issue: bool = False,
    ) -> None:
        self.kind = kind
        self.text = text
        self.source = source
        self.span = span
        self.side = side
        self.from_issue = from_issue
        # Without a period there is nothing to compute: one immutable Obligation serves every decision.
        self.constant: Obligation | None = (
            Obligation(kind=kind, text=text, source=source) if span is None else None
        )


class Draft:
    """The working state of one evaluation; regime rules append to it, ``finish`` makes the Decision."""

    __slots__ = (
        "action",
        "agreement",
        "assumptions",
        "data",
        "deadline",
        "executing",
        "general_grounds",
        "grounds",
        "issuing",
        "notify",
        "obligations",
        "offence",
        "preservation",
        "preservation_anchor",
        "reasons",
        "refused",
        "review_window",
        "statute",
        "suspensive",
        "when",
    )

    def __init__(
        self,
        action: ProposedAction,
        agreement: Agreement,
        offence: Offence,
        statute: Statute,
        issuing: JurisdictionProfile,
        executing: JurisdictionProfile,
        when: datetime,
    ) -> None:
        self.action = action
        self.agreement = agreement
        self.offence = offence
        self.statute = statute
        self.issuing = issuing
        self.executing = executing
        self.when = when  # the instant the action is judged at: action.at, or now
        self.data: DataCategory | None = action.data_category  # regimes may assume one (and say so)
        self.reasons: list[Reason] = []
        self.refused = False
        self.assumptions: list[str] = []
        self.obligations: list[ObligationSpec] = []
        self.grounds: tuple[str, ...] = ()
        self.general_grounds: tuple[str, ...] = ()
        self.notify = False
        self.suspensive = False
        self.deadline: Span | None = None
        self.review_window: Span | None = None
        self.preservation: Span | None = None
        #: Where the preservation period's instant runs from, if not the receipt of this action:
        #: (start, total period). A preservation extension runs on from the original order.
        self.preservation_anchor: tuple[datetime | None, Span] | None = None

    def add(self, reason: Reason) -> None:
        """Record a rule's outcome; one unsatisfied reason refuses the action."""
        self.reasons.append(reason)
        if not reason.satisfied:
            self.refused = True

    def finish(self) -> Decision:
        """Turn periods into durations and (given a receipt time) instants, and build the Decision."""
        action = self.action
        agreement = self.agreement
        executing = self.executing
        counting = agreement.counting
        received = action.received_at
        stated: dict[str, Period] = {}
        limits = TimeLimits(counting=counting.value, time_zone=executing.time_zone, stated=stated)
        span = self.deadline
        if span is not None:
            limits.deadline = span.delta
            stated["deadline"] = span.period
            if received is not None:
                limits.deadline_at = due(
                    received,
                    span.period,
                    counting=counting,
                    zone=executing.time_zone,
                    country=executing.holiday_country,
                    subdivision=executing.holiday_subdivision,
                )
        span = self.review_window
        if span is not None:
            limits.review_window = span.delta
            stated["review_window"] = span.period
            if received is not None:
                # The notification travels with the order (e-Evidence Art. 8(1)): the executing state's
                # window runs from the same receipt, counted on its own calendar.
                limits.review_window_ends_at = due(
                    received,
                    span.period,
                    counting=counting,
                    zone=executing.time_zone,
                    country=executing.holiday_country,
                    subdivision=executing.holiday_subdivision,
                )
        span = self.preservation
        if span is not None:
            limits.preservation_period = span.delta
            stated["preservation_period"] = span.period
            anchor = self.preservation_anchor
            start, total = (received, span) if anchor is None else anchor
            if start is not None:
                limits.preservation_ends_at = due(
                    start,
                    total.period,
                    counting=counting,
                    zone=executing.time_zone,
                    country=executing.holiday_country,
                    subdivision=executing.holiday_subdivision,
                )
        obligations = [
            spec.constant if spec.constant is not None else self._obligation(spec)
            for spec in self.obligations
        ]
        return Decision(
            allowed=not self.refused,
            regime=agreement.regime.value,
            agreement_id=agreement.id,
            agreement_version=agreement.version,
            reasons=self.reasons,
            obligations=obligations,
            refusal_grounds_available=list(self.grounds),
            general_refusal_grounds=list(self.general_grounds),
            notify_executing_state=self.notify,
            suspensive=self.suspensive,
            limits=limits,
            assumptions=self.assumptions,
        )

    def _obligation(self, spec: ObligationSpec) -> Obligation:
        span = spec.span
        assert span is not None  # constant obligations never get here
        action = self.action
        start = action.at if spec.from_issue and action.at is not None else action.received_at
        when = None
        if start is not None:
            profile = self.issuing if spec.side == "issuing" else self.executing
            when = due(
                start,
                span.period,
                counting=self.agreement.counting,
                zone=profile.time_zone,
                country=profile.holiday_country,
                subdivision=profile.holiday_subdivision,
            )
        return Obligation(kind=spec.kind, text=spec.text, source=spec.source, due=when, within=span.delta)


class _AgreementTexts:
    """Sources and texts that depend only on an agreement's identity and dates, formatted once."""

    __slots__ = (
        "data",
        "deadlines",
        "in_force",
        "notice",
        "offence",
        "parties",
        "permitted",
        "regime",
        "scope",
    )

    def __init__(self, agreement: Agreement) -> None:
        ref = f"{agreement.id} v{agreement.version}"
        self.in_force = Reason(
            "comity.in_force",
            f"{ref} is in force (effective {agreement.effective}, sunset {agreement.sunset})",
            f"{ref} §effective, §sunset",
        )
        self.parties = f"{ref} §parties"
        self.offence = f"{ref} §offences"
        self.permitted = f"{ref} §permitted_measures"
        self.data = f"{ref} §data_categories"
        self.scope = f"{ref} §territorial_scope"
        self.notice = f"{ref} §notice"
        self.deadlines = f"{ref} §deadlines"
        self.regime = f"{ref} §regime"


_AGREEMENT_TEXTS: Interned[tuple[str, int, date, date], _AgreementTexts] = Interned()


def agreement_texts(agreement: Agreement) -> _AgreementTexts:
    """The formatted sources of ``agreement`` (keyed by identity and dates, which the texts state)."""
    key = (agreement.id, agreement.version, agreement.effective, agreement.sunset)
    found = _AGREEMENT_TEXTS.get(key)
    if found is None:
        found = _AGREEMENT_TEXTS.put(key, _AgreementTexts(agreement))
    return found


def deferred_notice(spec: ObligationSpec, d: Draft) -> ObligationSpec:
    """``spec`` (a notice to the affected person) as a judge-approved deferral bounds it, if one is stated."""
    days = d.action.notice_deferral_days
    if days is None or days < 1:
        return spec
    return ObligationSpec(
        spec.kind,
        f"{spec.text}; deferred by a judge for {days} days",
        spec.source,
        Span(Period.days(days)),
        side="issuing",
        from_issue=True,
    )


_AGREED_SPANS: Interned[tuple[str, int, str, int, str, str, str], tuple[Span, Reason]] = Interned()


def agreed_period(d: Draft, names: tuple[str, ...], rule: str, what: str) -> Span | None:
    """The first period the agreement states under one of ``names``, recording where it comes from.

    Agreements name their deadlines by action kind ("production", "removal_order" or "removal"), with an
    "_emergency" variant; regimes without a statutory period take theirs from here.
    """
    agreement = d.agreement
    deadlines = agreement.deadlines
    for name in names:
        period = deadlines.get(name)
        if period is not None:
            key = (agreement.id, agreement.version, name, period.amount, period.unit.value, rule, what)
            found = _AGREED_SPANS.get(key)
            if found is None:
                texts = agreement_texts(agreement)
                found = _AGREED_SPANS.put(
                    key,
                    (
                        Span(period),
                        Reason(rule, f"{what}: {period}, as the agreement states", texts.deadlines),
                    ),
                )
            d.add(found[1])
            return found[0]
    return None


def deadline_names(kind: ActionKind, emergency: bool) -> tuple[str, ...]:
    """Agreement deadline names for ``kind``: its value and its short form, emergency variants first."""
    base = kind.value
    short = base.removesuffix("_order")
    names = (base, short) if short != base else (base,)
    if emergency:
        return tuple(f"{n}_emergency" for n in names) + names
    return names

"""What every regime shares: the working state of one evaluation, and Comity's own rules.

Comity's own rules apply whatever the regime: the agreement is in force on the day of the action, both
states are parties to it, it covers the offence, the statute is the issuing state's law for that offence,
the measure is permitted for the offence's severity band (proportionality), a jurisdictional link is
stated, the data category is one the agreement shares, the territorial scope stays within the agreement's,
and a deferred notice stays within the agreement's bound.

Speed without memoising decisions: every rule is evaluated on every call. Reasons and obligations are
immutable values, so those whose text depends only on a few enum values or on the agreement's identity are
built once and reused (``Interned``); the facts still decide which one a decision gets.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, date, datetime
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


# --- Comity's own rules -----------------------------------------------------------------------------------

#: The links that give a state a reason to act (cf. Convention on Cybercrime Art. 22, jurisdiction).
JURISDICTIONAL_LINKS: Final = frozenset(
    {"offence_in_territory", "victims_in_territory", "targeting", "nationality", "residence"}
)

_LINK_SOURCE: Final = f"{COMITY}: a stated jurisdictional link (cf. {BUDAPEST} Art. 22)"
_LINK_REASONS: Final = {
    link: Reason(
        "comity.jurisdictional_link", f"jurisdictional link stated: {link.replace('_', ' ')}", _LINK_SOURCE
    )
    for link in JURISDICTIONAL_LINKS
}
_LINK_FROM_TERRITORY: Final = Reason(
    "comity.jurisdictional_link",
    "jurisdictional link implied by the facts: the offence was committed in the issuing state",
    _LINK_SOURCE,
)
_LINK_FROM_RESIDENCE: Final = Reason(
    "comity.jurisdictional_link",
    "jurisdictional link implied by the facts: the person concerned resides in the issuing state",
    _LINK_SOURCE,
)
_LINK_MISSING: Final = Reason(
    "comity.jurisdictional_link",
    "no jurisdictional link is stated: say why the issuing state may act (offence in its territory, victims "
    "in its territory, targeting of its market, nationality or residence)",
    _LINK_SOURCE,
    satisfied=False,
)
_UNKNOWN_LINKS: Interned[str, Reason] = Interned()


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


_PARTY_REASONS: Interned[tuple[str, int, str, str, bool, bool], Reason] = Interned()
_OFFENCE_REASONS: Interned[tuple[str, int, str, bool], Reason] = Interned()
_BAND_REASONS: Interned[tuple[str, int, int, ActionKind, bool], Reason] = Interned()
_STATUTE_REASONS: Interned[tuple[str, str, int, bool], Reason] = Interned()
_DATA_REASONS: Interned[tuple[str, int, DataCategory, bool], Reason] = Interned()


def apply_before(d: Draft) -> None:
    """Comity's rules on the agreement, the offence and the link, before the regime's own rules."""
    action = d.action
    agreement = d.agreement
    texts = agreement_texts(agreement)
    ref_id = agreement.id
    version = agreement.version

    # In force on the day of the action (UTC calendar day: the parties' zones differ; UTC is neutral).
    # An agreement past its sunset authorises nothing.
    day = d.when.astimezone(UTC).date()
    if agreement.effective <= day <= agreement.sunset:
        d.add(texts.in_force)
    elif day < agreement.effective:
        d.add(
            Reason(
                "comity.in_force",
                f"{ref_id} v{version} is not yet in effect on {day} (effective {agreement.effective})",
                texts.in_force.source,
                satisfied=False,
            )
        )
    else:
        d.add(
            Reason(
                "comity.in_force",
                f"{ref_id} v{version} is past its sunset ({agreement.sunset}) on {day}: it authorises "
                "nothing",
                texts.in_force.source,
                satisfied=False,
            )
        )

    # Both states are parties.
    parties = agreement.jurisdictions
    issuing_in = action.issuing_state in parties
    executing_in = action.executing_state in parties
    key = (ref_id, version, action.issuing_state, action.executing_state, issuing_in, executing_in)
    reason = _PARTY_REASONS.get(key)
    if reason is None:
        reason = _PARTY_REASONS.put(key, _parties_reason(d, issuing_in, executing_in, texts.parties))
    d.add(reason)

    # The agreement covers the offence.
    code = d.offence.code
    covered = code in agreement.offences
    okey = (ref_id, version, code, covered)
    reason = _OFFENCE_REASONS.get(okey)
    if reason is None:
        text = (
            f"{ref_id} covers the offence {code}"
            if covered
            else f"{ref_id} does not cover the offence {code} "
            f"(it covers {', '.join(sorted(agreement.offences))})"
        )
        reason = _OFFENCE_REASONS.put(okey, Reason("comity.offence_covered", text, texts.offence, covered))
    d.add(reason)

    # The statute is the issuing state's law mapped onto this offence (thresholds read its maximum).
    statute = d.statute
    fits = statute.jurisdiction == action.issuing_state and statute.offence == code
    skey = (statute.id, action.issuing_state, statute.max_penalty_months, fits)
    reason = _STATUTE_REASONS.get(skey)
    if reason is None:
        if fits:
            text = (
                f"offence defined by {statute.citation} ({statute.id}), maximum penalty "
                f"{statute.max_penalty_months} months in {statute.jurisdiction}"
            )
        else:
            text = (
                f"statute {statute.id} is {statute.jurisdiction} law for {statute.offence}, not "
                f"{action.issuing_state} law for {code}"
            )
        reason = _STATUTE_REASONS.put(skey, Reason("comity.statute", text, f"{COMITY}: legality", fits))
    d.add(reason)

    # Proportionality: the agreement permits this measure for the offence's severity band.
    band = d.offence.severity
    permitted = agreement.permits(band, action.kind)
    bkey = (ref_id, version, int(band), action.kind, permitted)
    reason = _BAND_REASONS.get(bkey)
    if reason is None:
        if permitted:
            text = f"{action.kind.value} is permitted for {band.label}-severity offences"
        else:
            allowed = sorted(k.value for k in agreement.permitted_measures.get(band, frozenset()))
            text = (
                f"{action.kind.value} is not permitted for {band.label}-severity offences "
                f"(permitted: {', '.join(allowed) or 'none'}): disproportionate"
            )
        reason = _BAND_REASONS.put(bkey, Reason("comity.proportionality", text, texts.permitted, permitted))
    d.add(reason)

    # A stated jurisdictional link, or one the facts imply.
    link = action.jurisdictional_link
    if link is None:
        if action.committed_in_issuing is True:
            d.add(_LINK_FROM_TERRITORY)
        elif action.person_resides_in_issuing is True:
            d.add(_LINK_FROM_RESIDENCE)
        else:
            d.add(_LINK_MISSING)
    else:
        reason = _LINK_REASONS.get(link) or _UNKNOWN_LINKS.get(link)
        if reason is None:
            reason = _UNKNOWN_LINKS.put(
                link,
                Reason(
                    "comity.jurisdictional_link",
                    f"{link!r} is not a recognised jurisdictional link "
                    f"(one of {', '.join(sorted(JURISDICTIONAL_LINKS))})",
                    _LINK_SOURCE,
                    satisfied=False,
                ),
            )
        d.add(reason)


def _parties_reason(d: Draft, issuing_in: bool, executing_in: bool, source: str) -> Reason:
    issuing = d.action.issuing_state
    executing = d.action.executing_state
    ref = d.agreement.id
    if issuing_in and executing_in:
        text = (
            f"{issuing} and {executing} are parties to {ref}"
            if issuing != executing
            else f"{issuing} is a party to {ref}"
        )
        return Reason("comity.parties", text, source)
    missing = [s for s, inside in ((issuing, issuing_in), (executing, executing_in)) if not inside]
    text = f"{' and '.join(dict.fromkeys(missing))} not a party to {ref}: it binds only its parties"
    return Reason("comity.parties", text, source, satisfied=False)


#: Actions that send data across (preservation keeps it at the provider until a later production).
_TRANSFERS: Final = frozenset({ActionKind.PRODUCTION, ActionKind.INFORMATION_ORDER})


def apply_after(d: Draft) -> None:
    """Comity's rules that read what the regime settled: data category, territorial scope, notice deferral."""
    action = d.action
    agreement = d.agreement
    data = d.data
    if data is not None and action.kind in _TRANSFERS:
        shared = data in agreement.data_categories
        key = (agreement.id, agreement.version, data, shared)
        reason = _DATA_REASONS.get(key)
        if reason is None:
            text = (
                f"{agreement.id} lets {data.value} data be shared"
                if shared
                else f"{agreement.id} does not let {data.value} data be shared "
                f"(it shares {', '.join(sorted(c.value for c in agreement.data_categories)) or 'no data'})"
            )
            reason = _DATA_REASONS.put(
                key, Reason("comity.data_category", text, agreement_texts(agreement).data, shared)
            )
        d.add(reason)

    scope = action.territorial_scope
    if scope:
        allowed = agreement.territorial_scope or agreement.jurisdictions
        outside = [s for s in scope if s not in allowed]
        source = agreement_texts(agreement).scope
        if outside:
            d.add(
                Reason(
                    "comity.territorial_scope",
                    f"the measure would take effect in {', '.join(outside)}, outside the agreement's "
                    f"territorial scope ({', '.join(sorted(allowed))})",
                    source,
                    satisfied=False,
                )
            )
        else:
            d.add(
                Reason(
                    "comity.territorial_scope",
                    f"the measure takes effect only in {', '.join(scope)}, within the agreement's scope",
                    source,
                )
            )

    days = action.notice_deferral_days
    if days is not None:
        bound = agreement.notice.max_deferral_days
        source = agreement_texts(agreement).notice
        if 0 <= days <= bound:
            d.add(
                Reason(
                    "comity.notice_deferral",
                    f"notice to the person deferred {days} days, within the agreement's bound of {bound} "
                    "days",
                    source,
                )
            )
            d.assumptions.append(f"notice deferral of {days} days: approved by a judge (not checked here)")
        else:
            d.add(
                Reason(
                    "comity.notice_deferral",
                    f"a notice deferral of {days} days exceeds the agreement's bound of {bound} days"
                    if days > bound
                    else "a notice deferral cannot be negative",
                    source,
                    satisfied=False,
                )
            )


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

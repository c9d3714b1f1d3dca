"""e-Evidence: European Production and Preservation Orders, Regulation (EU) 2023/1543.

Facts and their tags come from ``reference/cross_border_requests.md`` §1 ([V] read in the text, [S]
secondary, [R] recalled and unverified). Constants from [R]/[S] facts are flagged ``provisional``.
"""

from __future__ import annotations

from typing import Final

from comity.kinds import JUDICIAL_AUTHORITIES, ActionKind, AuthorityType, DataCategory
from comity.periods import Period
from comity.policy.model import Reason
from comity.policy.rules.common import (
    AUTHORITY_NAMES,
    EEV,
    Draft,
    Interned,
    ObligationSpec,
    Span,
    a_kind,
    deferred_notice,
)

# --- constants, each with its source ---------------------------------------------------------------------

#: Art. 5(4)(a): traffic and content data only for offences punishable in the issuing state by a maximum
#: custodial sentence of at least 3 years. [V]
THRESHOLD_MONTHS: Final = 36
#: Art. 12(1)(d): no dual-criminality check for an Annex IV category punishable by at least 3 years. [V]
LIST_EXEMPTION_MONTHS: Final = 36
#: Art. 10(3): without notification, transmit at the latest within 10 days of receipt. [V]
DEADLINE: Final = Span(Period.days(10))
#: Art. 10(4): in an emergency, at the latest within 8 hours of receipt. [V]
EMERGENCY_DEADLINE: Final = Span(Period.hours(8))
#: Art. 10(2), 12(1): where notified, the executing state has 10 days to raise grounds. [V]
REVIEW_WINDOW: Final = Span(Period.days(10))
#: Art. 10(4): in an emergency, 96 hours from the notification to object or set conditions.
#: provisional: [V] in the German text, [S] in English (reference §1.7).
EMERGENCY_REVIEW_WINDOW: Final = Span(Period.hours(96))
#: Art. 11(1): preservation ceases after 60 days unless confirmed (Annex V) or extended. [V]
PRESERVATION: Final = Span(Period.days(60))
#: Art. 11(1): one extension by 30 days (Annex VI), running on from the first 60. [V]
EXTENSION: Final = Span(Period.days(30))
#: 60 + 30: the extended preservation ends 90 days after the original order was received. [V] (sum)
EXTENDED_TOTAL: Final = Span(Period.days(90))
#: Art. 4(5): ex-post validation sought at the latest within 48 hours.
#: provisional: [R] in the reference (§1.3, §6); the 48 hours are not verified against the text.
EX_POST_VALIDATION_WITHIN: Final = Span(Period.hours(48))

#: Art. 4(1)(a), 4(3)(a): a judge, court, investigating judge or public prosecutor may issue. [V]/[R]
_JUDICIAL_OR_PROSECUTOR: Final = JUDICIAL_AUTHORITIES | {AuthorityType.PROSECUTOR}
#: Art. 4(2)(a): for traffic and content data, a judge, court or investigating judge only. [V]
_JUDICIAL: Final = JUDICIAL_AUTHORITIES

#: Art. 12(1)(a)-(c): grounds open whatever the facts, where the executing state is notified. [V]
GENERAL_GROUNDS: Final = (
    "immunity_or_press_freedom",
    "manifest_breach_of_fundamental_rights",
    "ne_bis_in_idem",
)

_KINDS: Final = frozenset({ActionKind.PRODUCTION, ActionKind.PRESERVATION, ActionKind.PRESERVATION_EXTENSION})
_LIGHT: Final = frozenset({DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION})

# --- precomputed reasons -----------------------------------------------------------------------------------

_SCOPE_OK: Final = Reason(
    "eev.scope",
    "e-Evidence covers production and preservation orders for electronic evidence",
    f"{EEV} Art. 1(1)",
)
_SCOPE_REASONS: Final = {
    kind: Reason(
        "eev.scope",
        f"e-Evidence orders are production and preservation orders only: {a_kind(kind)} "
        + (
            "needs the freezing regime (Regulation (EU) 2018/1805) or mutual legal assistance"
            if kind is ActionKind.PAYMENT_FREEZE
            else "needs another instrument (a DSA order, mutual legal assistance, or the platform's terms)"
        ),
        f"{EEV} Art. 1(1)",
        satisfied=False,
    )
    for kind in ActionKind
    if kind not in _KINDS
}
_THRESHOLD_LIGHT: Final = Reason(
    "eev.threshold",
    "subscriber and identification data may be ordered for all criminal offences",
    f"{EEV} Art. 5(3)",
)
# provisional: Art. 6 (preservation for all criminal offences) is [R] in the reference (§1.4).
_THRESHOLD_PRESERVATION: Final = Reason(
    "eev.threshold",
    "preservation may be ordered for all criminal offences",
    f"{EEV} Art. 6(2)",
)
_IDENTIFIERS_OK: Final = Reason(
    "eev.minimisation.identifiers",
    "the order names the user or account identifiers",
    f"{EEV} Art. 5(5)(c)",
)
_IDENTIFIERS_SOLE_PURPOSE: Final = Reason(
    "eev.minimisation.identifiers",
    "the data are sought for the sole purpose of identifying the user: no user identifier is required",
    f"{EEV} Art. 5(5)(c), Art. 3(10)",
)
_IDENTIFIERS_MISSING: Final = Reason(
    "eev.minimisation.identifiers",
    "the order must name the user or account identifiers (user name, login, account) unless its sole "
    "purpose is to identify the user",
    f"{EEV} Art. 5(5)(c)",
    satisfied=False,
)
_TIME_RANGE_NA: Final = Reason(
    "eev.minimisation.time_range",
    "the data sought do not span a period: no time range is needed",
    f"{EEV} Art. 5(5)(e)",
)
_TIME_RANGE_OK: Final = Reason(
    "eev.minimisation.time_range",
    "the order bounds the time range of the data sought",
    f"{EEV} Art. 5(5)(e)",
)
_TIME_RANGE_MISSING: Final = Reason(
    "eev.minimisation.time_range",
    "the data sought span a period: the order must bound its time range",
    f"{EEV} Art. 5(5)(e)",
    satisfied=False,
)
_NOTIFY_NOT_REQUIRED: Final = Reason(
    "eev.notification",
    "no notification of the executing state: it is required only for production of traffic or content data",
    f"{EEV} Art. 8(1)",
)
_NOTIFY_EXCEPTION: Final = Reason(
    "eev.notification",
    "no notification of the executing state: the offence was committed in the issuing state and the person "
    "whose data are sought resides there",
    f"{EEV} Art. 8(2)",
)
_NOTIFY_SUSPENSIVE: Final = Reason(
    "eev.notification",
    "the executing state is notified with the order; the notification is suspensive: the addressee "
    "transmits only at the end of the review window unless a ground is raised",
    f"{EEV} Art. 8(1), 8(4), 10(2)",
)
_NOTIFY_EMERGENCY: Final = Reason(
    "eev.notification",
    "the executing state is notified with the order; in an emergency the notification is not suspensive",
    f"{EEV} Art. 8(1), 8(4)",
)
_GROUNDS_NOT_NOTIFIED: Final = Reason(
    "eev.refusal_grounds",
    "the executing state is not notified: no Art. 12 ground arises (it can oppose only if asked to enforce)",
    f"{EEV} Art. 12(1), 16",
)
_DUAL_NOT_AT_ISSUE: Final = Reason(
    "eev.refusal_grounds",
    "the conduct is an offence in the executing state: dual criminality cannot be raised",
    f"{EEV} Art. 12(1)(d)",
)
_DUAL_EXEMPT: Final = Reason(
    "eev.refusal_grounds",
    "the conduct is not an offence in the executing state, but it is an Annex IV category punishable by at "
    "least 3 years in the issuing state: no dual-criminality check",
    f"{EEV} Art. 12(1)(d)",
)
_DUAL_AVAILABLE: Final = Reason(
    "eev.refusal_grounds",
    "the conduct is not an offence in the executing state and is not exempt (not an Annex IV category "
    "punishable by at least 3 years): the executing state may raise dual criminality",
    f"{EEV} Art. 12(1)(d)",
)
_DEADLINE_PLAIN: Final = Reason(
    "eev.deadline",
    "the addressee transmits the data at the latest within 10 days of receipt",
    f"{EEV} Art. 10(3)",
)
_DEADLINE_NOTIFIED: Final = Reason(
    "eev.deadline",
    "the addressee transmits at the end of the 10-day period, unless the executing state raises a ground "
    "within those 10 days",
    f"{EEV} Art. 10(2), 12(1)",
)
_DEADLINE_EMERGENCY: Final = Reason(
    "eev.deadline",
    "emergency: the addressee transmits at the latest within 8 hours of receipt",
    f"{EEV} Art. 10(4)",
)
_DEADLINE_EMERGENCY_NOTIFIED: Final = Reason(
    "eev.deadline",
    "emergency: the addressee transmits within 8 hours; the executing state may object or set conditions "
    "within 96 hours of the notification",
    f"{EEV} Art. 10(4)",
)
_DEADLINE_PRESERVATION: Final = Reason(
    "eev.deadline",
    "the addressee preserves the data without undue delay; preservation ceases after 60 days unless a "
    "subsequent production request is confirmed (Annex V) or it is extended (Annex VI)",
    f"{EEV} Art. 11(1)",
)
_DEADLINE_EXTENSION: Final = Reason(
    "eev.deadline",
    "one extension of 30 days, running on from the first 60 days (90 days from the original receipt)",
    f"{EEV} Art. 11(1)",
)

_EX_POST: Final = ObligationSpec(
    "ex_post_validation",
    "seek validation by a competent judicial authority or prosecutor without undue delay, at the latest "
    "within 48 hours of issuing; if refused, withdraw the order and delete or restrict the data",
    f"{EEV} Art. 4(5)",
    EX_POST_VALIDATION_WITHIN,
    side="issuing",
    from_issue=True,
)
_NOTIFY_PERSON: Final = ObligationSpec(
    "notify_affected_person",
    "the issuing authority informs the person whose data are sought without undue delay, with the remedies "
    "open to them; it may delay or restrict this only as Directive (EU) 2016/680 Art. 13(3) allows",
    f"{EEV} Art. 13(1)-(2), 18",
)

_ASSUMED_CONTENT: Final = "data category not stated: assumed content data (the strictest conditions apply)"
_ASSUMED_EMERGENCY: Final = (
    "emergency: an imminent threat to life, physical integrity or safety of a person, or to critical "
    "infrastructure (Art. 3(18)), as stated"
)
_ASSUMED_NO_TIME_FOR_VALIDATION: Final = (
    "emergency: validation could not be obtained in time (Art. 4(5)), as stated"
)
_ASSUMED_EX_POST_FROM_RECEIPT: Final = (
    "ex-post validation counted from receipt: the time of issuing (at) is not stated; it may run out earlier"
)
_ASSUMED_NOT_COMMITTED: Final = (
    "executing state notified: whether the offence was committed in the issuing state is unknown"
)
_ASSUMED_NOT_RESIDENT: Final = (
    "executing state notified: whether the person whose data are sought resides in the issuing state is "
    "unknown"
)
_ASSUMED_NO_ORIGINAL: Final = (
    "preservation end not computed: the receipt time of the original preservation order is not stated"
)

_ISSUER_REASONS: Interned[
    tuple[ActionKind, DataCategory, AuthorityType, AuthorityType | None, bool], tuple[Reason, bool]
] = Interned()
_THRESHOLD_REASONS: Interned[tuple[int, bool, DataCategory], Reason] = Interned()


#: The order in which sentences name authorities ("a judge, court, investigating judge or public prosecutor").
_NAMING_ORDER: Final = (
    AuthorityType.JUDGE,
    AuthorityType.COURT,
    AuthorityType.INVESTIGATING_JUDGE,
    AuthorityType.PROSECUTOR,
)


def _who(authorities: frozenset[AuthorityType]) -> str:
    names = [a.value.replace("_", " ") for a in _NAMING_ORDER if a in authorities]
    names = [("public prosecutor" if n == "prosecutor" else n) for n in names]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _issuer(
    kind: ActionKind,
    data: DataCategory,
    issuer: AuthorityType,
    validator: AuthorityType | None,
    emergency: bool,
) -> tuple[Reason, bool]:
    """Art. 4: who may issue, who must validate, and the emergency exception. Returns (reason, ex-post)."""
    if kind is ActionKind.PRODUCTION:
        light = data in _LIGHT
        competent = _JUDICIAL_OR_PROSECUTOR if light else _JUDICIAL
        article = "Art. 4(1)" if light else "Art. 4(2)"
        order = f"a production order for {data.value} data"
    else:
        light = True  # Art. 4(3) and 4(5): preservation of any category
        competent = _JUDICIAL_OR_PROSECUTOR
        article = "Art. 4(3)"
        order = "a preservation order" if kind is ActionKind.PRESERVATION else "a preservation extension"
    who = _who(competent)
    by = AUTHORITY_NAMES[issuer]
    rule = "eev.issuer"
    if issuer in competent:
        return Reason(rule, f"{by} may issue {order}", f"{EEV} {article}(a)"), False
    if validator is not None:
        check = AUTHORITY_NAMES[validator]
        if validator in competent:
            return Reason(rule, f"{by} may issue {order} validated by {check}", f"{EEV} {article}(b)"), False
        return (
            Reason(
                rule,
                f"validation by {check} does not suffice for {order}: it needs a {who}",
                f"{EEV} {article}(b)",
                satisfied=False,
            ),
            False,
        )
    if emergency and light:
        return (
            Reason(
                rule,
                f"emergency: {by} may issue {order} without prior validation, which must be sought within "
                "48 hours",
                f"{EEV} Art. 4(5)",
            ),
            True,
        )
    if emergency:
        return (
            Reason(
                rule,
                f"the emergency exception covers only subscriber and identification data and preservation: "
                f"{order} needs a {who}, or their validation, even in an emergency",
                f"{EEV} {article}, 4(5)",
                satisfied=False,
            ),
            False,
        )
    return (
        Reason(
            rule, f"{by} may not issue {order} without validation by a {who}", f"{EEV} {article}(b)", False
        ),
        False,
    )


def _threshold(months: int, cyber: bool, data: DataCategory) -> Reason:
    if months >= THRESHOLD_MONTHS:
        return Reason(
            "eev.threshold",
            f"{data.value} data: the offence is punishable by up to {months} months in the issuing state, at "
            f"least {THRESHOLD_MONTHS}",
            f"{EEV} Art. 5(4)(a)",
        )
    if cyber:
        # provisional: the Art. 5(4)(b)-(c) list of offences is [R] in the reference (§1.4).
        return Reason(
            "eev.threshold",
            f"{data.value} data: an Art. 5(4)(b)-(c) offence (cyber-enabled or terrorist), whatever its "
            f"maximum ({months} months)",
            f"{EEV} Art. 5(4)(b)-(c)",
        )
    return Reason(
        "eev.threshold",
        f"{data.value} data only for offences punishable by at least {THRESHOLD_MONTHS} months or Art. "
        f"5(4)(b)-(c) offences; this one is punishable by up to {months} months",
        f"{EEV} Art. 5(4)",
        satisfied=False,
    )


def apply(d: Draft) -> None:
    """Apply the e-Evidence rules to ``d``."""
    action = d.action
    kind = action.kind
    if kind not in _KINDS:
        d.add(_SCOPE_REASONS[kind])
        return
    d.add(_SCOPE_OK)
    data = d.data
    if data is None:
        data = d.data = DataCategory.CONTENT
        d.assumptions.append(_ASSUMED_CONTENT)
    emergency = action.emergency
    if emergency:
        d.assumptions.append(_ASSUMED_EMERGENCY)

    # Art. 4: issuing and validating authority.
    key = (kind, data, action.issuer, action.validated_by, emergency)
    found = _ISSUER_REASONS.get(key)
    if found is None:
        found = _ISSUER_REASONS.put(key, _issuer(kind, data, action.issuer, action.validated_by, emergency))
    reason, ex_post = found
    d.add(reason)
    if ex_post:
        d.obligations.append(_EX_POST)
        d.assumptions.append(_ASSUMED_NO_TIME_FOR_VALIDATION)
        if action.at is None and action.received_at is not None:
            d.assumptions.append(_ASSUMED_EX_POST_FROM_RECEIPT)

    production = kind is ActionKind.PRODUCTION
    light = data in _LIGHT

    # Art. 5(3)-(4), 6: offence thresholds by data category.
    if not production:
        d.add(_THRESHOLD_PRESERVATION)
    elif light:
        d.add(_THRESHOLD_LIGHT)
    else:
        months = d.statute.max_penalty_months
        cyber = d.offence.cyber_or_terror
        tkey = (months, cyber, data)
        threshold = _THRESHOLD_REASONS.get(tkey)
        if threshold is None:
            threshold = _THRESHOLD_REASONS.put(tkey, _threshold(months, cyber, data))
        d.add(threshold)

    # Art. 5(5)(c), (e): minimisation. provisional: applying them to preservation orders (Art. 6(3)) is [R].
    if action.identifiers_named:
        d.add(_IDENTIFIERS_OK)
    elif data is DataCategory.IDENTIFICATION:
        d.add(_IDENTIFIERS_SOLE_PURPOSE)
    else:
        d.add(_IDENTIFIERS_MISSING)
    if not action.time_range_applicable:
        d.add(_TIME_RANGE_NA)
    elif action.time_range_bounded:
        d.add(_TIME_RANGE_OK)
    else:
        d.add(_TIME_RANGE_MISSING)

    # Art. 8: notification of the executing state, only for production of traffic or content data, unless
    # the offence is in the issuing state AND the person resides there; unknown means notify.
    if production and not light:
        committed = action.committed_in_issuing
        resides = action.person_resides_in_issuing
        if committed is True and resides is True:
            d.add(_NOTIFY_EXCEPTION)
        else:
            d.notify = True
            if committed is not False and resides is not False:
                if committed is None:
                    d.assumptions.append(_ASSUMED_NOT_COMMITTED)
                if resides is None:
                    d.assumptions.append(_ASSUMED_NOT_RESIDENT)
            # Art. 8(4): suspensive, except in emergencies.
            d.suspensive = not emergency
            d.add(_NOTIFY_EMERGENCY if emergency else _NOTIFY_SUSPENSIVE)
    else:
        d.add(_NOTIFY_NOT_REQUIRED)

    # Art. 12: grounds the executing state may raise, only where notified; Art. 16 keeps them open later.
    d.general_grounds = GENERAL_GROUNDS
    if not d.notify:
        d.add(_GROUNDS_NOT_NOTIFIED)
    elif d.executing.criminalises(d.offence.code):
        d.add(_DUAL_NOT_AT_ISSUE)
    elif d.offence.list_offence and d.statute.max_penalty_months >= LIST_EXEMPTION_MONTHS:
        d.add(_DUAL_EXEMPT)
    else:
        d.grounds = ("dual_criminality",)
        d.add(_DUAL_AVAILABLE)

    # Art. 10, 11: time limits.
    if production:
        if emergency:
            d.deadline = EMERGENCY_DEADLINE
            if d.notify:
                d.review_window = EMERGENCY_REVIEW_WINDOW
                d.add(_DEADLINE_EMERGENCY_NOTIFIED)
            else:
                d.add(_DEADLINE_EMERGENCY)
        else:
            d.deadline = DEADLINE
            if d.notify:
                d.review_window = REVIEW_WINDOW
                d.add(_DEADLINE_NOTIFIED)
            else:
                d.add(_DEADLINE_PLAIN)
        d.obligations.append(deferred_notice(_NOTIFY_PERSON, d))
    elif kind is ActionKind.PRESERVATION:
        d.preservation = PRESERVATION
        d.add(_DEADLINE_PRESERVATION)
    else:
        d.preservation = EXTENSION
        d.preservation_anchor = (action.original_received_at, EXTENDED_TOTAL)
        if action.original_received_at is None and action.received_at is not None:
            d.assumptions.append(_ASSUMED_NO_ORIGINAL)
        d.add(_DEADLINE_EXTENSION)

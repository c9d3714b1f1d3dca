"""e-Evidence: European Production and Preservation Orders, Regulation (EU) 2023/1543: the rules.

The Regulation's periods, thresholds and texts, each with its source and its reference tag, are in
``e_evidence_law``; this module decides which apply to the facts.
"""

from __future__ import annotations

from typing import Final

from comity.kinds import ActionKind, AuthorityType, DataCategory
from comity.policy.model import Reason
from comity.policy.rules.common import (
    AUTHORITY_NAMES,
    EEV,
    Draft,
    Interned,
    deferred_notice,
)
from comity.policy.rules.e_evidence_law import (
    ASSUMED_CONTENT,
    ASSUMED_EMERGENCY,
    ASSUMED_EX_POST_FROM_RECEIPT,
    ASSUMED_NO_ORIGINAL,
    ASSUMED_NO_TIME_FOR_VALIDATION,
    ASSUMED_NOT_COMMITTED,
    ASSUMED_NOT_RESIDENT,
    DEADLINE,
    DEADLINE_EMERGENCY,
    DEADLINE_EMERGENCY_NOTIFIED,
    DEADLINE_EXTENSION,
    DEADLINE_NOTIFIED,
    DEADLINE_PLAIN,
    DEADLINE_PRESERVATION,
    DUAL_AVAILABLE,
    DUAL_EXEMPT,
    DUAL_NOT_AT_ISSUE,
    EMERGENCY_DEADLINE,
    EMERGENCY_REVIEW_WINDOW,
    EX_POST,
    EXTENDED_TOTAL,
    EXTENSION,
    GENERAL_GROUNDS,
    GROUNDS_NOT_NOTIFIED,
    IDENTIFIERS_MISSING,
    IDENTIFIERS_OK,
    IDENTIFIERS_SOLE_PURPOSE,
    JUDICIAL,
    JUDICIAL_OR_PROSECUTOR,
    KINDS,
    LIGHT,
    LIST_EXEMPTION_MONTHS,
    NOTIFY_EMERGENCY,
    NOTIFY_EXCEPTION,
    NOTIFY_NOT_REQUIRED,
    NOTIFY_PERSON,
    NOTIFY_SUSPENSIVE,
    PRESERVATION,
    REVIEW_WINDOW,
    SCOPE_OK,
    SCOPE_REASONS,
    THRESHOLD_LIGHT,
    THRESHOLD_MONTHS,
    THRESHOLD_PRESERVATION,
    TIME_RANGE_MISSING,
    TIME_RANGE_NA,
    TIME_RANGE_OK,
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
        light = data in LIGHT
        competent = JUDICIAL_OR_PROSECUTOR if light else JUDICIAL
        article = "Art. 4(1)" if light else "Art. 4(2)"
        order = f"a production order for {data.value} data"
    else:
        light = True  # Art. 4(3) and 4(5): preservation of any category
        competent = JUDICIAL_OR_PROSECUTOR
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
    if kind not in KINDS:
        d.add(SCOPE_REASONS[kind])
        return
    d.add(SCOPE_OK)
    data = d.data
    if data is None:
        data = d.data = DataCategory.CONTENT
        d.assumptions.append(ASSUMED_CONTENT)
    emergency = action.emergency
    if emergency:
        d.assumptions.append(ASSUMED_EMERGENCY)

    # Art. 4: issuing and validating authority.
    key = (kind, data, action.issuer, action.validated_by, emergency)
    found = _ISSUER_REASONS.get(key)
    if found is None:
        found = _ISSUER_REASONS.put(key, _issuer(kind, data, action.issuer, action.validated_by, emergency))
    reason, ex_post = found
    d.add(reason)
    if ex_post:
        d.obligations.append(EX_POST)
        d.assumptions.append(ASSUMED_NO_TIME_FOR_VALIDATION)
        if action.at is None and action.received_at is not None:
            d.assumptions.append(ASSUMED_EX_POST_FROM_RECEIPT)

    production = kind is ActionKind.PRODUCTION
    light = data in LIGHT

    # Art. 5(3)-(4), 6: offence thresholds by data category.
    if not production:
        d.add(THRESHOLD_PRESERVATION)
    elif light:
        d.add(THRESHOLD_LIGHT)
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
        d.add(IDENTIFIERS_OK)
    elif data is DataCategory.IDENTIFICATION:
        d.add(IDENTIFIERS_SOLE_PURPOSE)
    else:
        d.add(IDENTIFIERS_MISSING)
    if not action.time_range_applicable:
        d.add(TIME_RANGE_NA)
    elif action.time_range_bounded:
        d.add(TIME_RANGE_OK)
    else:
        d.add(TIME_RANGE_MISSING)

    # Art. 8: notification of the executing state, only for production of traffic or content data, unless
    # the offence is in the issuing state AND the person resides there; unknown means notify.
    if production and not light:
        committed = action.committed_in_issuing
        resides = action.person_resides_in_issuing
        if committed is True and resides is True:
            d.add(NOTIFY_EXCEPTION)
        else:
            d.notify = True
            if committed is not False and resides is not False:
                if committed is None:
                    d.assumptions.append(ASSUMED_NOT_COMMITTED)
                if resides is None:
                    d.assumptions.append(ASSUMED_NOT_RESIDENT)
            # Art. 8(4): suspensive, except in emergencies.
            d.suspensive = not emergency
            d.add(NOTIFY_EMERGENCY if emergency else NOTIFY_SUSPENSIVE)
    else:
        d.add(NOTIFY_NOT_REQUIRED)

    # Art. 12: grounds the executing state may raise, only where notified; Art. 16 keeps them open later.
    d.general_grounds = GENERAL_GROUNDS
    if not d.notify:
        d.add(GROUNDS_NOT_NOTIFIED)
    elif d.executing.criminalises(d.offence.code):
        d.add(DUAL_NOT_AT_ISSUE)
    elif d.offence.list_offence and d.statute.max_penalty_months >= LIST_EXEMPTION_MONTHS:
        d.add(DUAL_EXEMPT)
    else:
        d.grounds = ("dual_criminality",)
        d.add(DUAL_AVAILABLE)

    # Art. 10, 11: time limits.
    if production:
        if emergency:
            d.deadline = EMERGENCY_DEADLINE
            if d.notify:
                d.review_window = EMERGENCY_REVIEW_WINDOW
                d.add(DEADLINE_EMERGENCY_NOTIFIED)
            else:
                d.add(DEADLINE_EMERGENCY)
        else:
            d.deadline = DEADLINE
            if d.notify:
                d.review_window = REVIEW_WINDOW
                d.add(DEADLINE_NOTIFIED)
            else:
                d.add(DEADLINE_PLAIN)
        d.obligations.append(deferred_notice(NOTIFY_PERSON, d))
    elif kind is ActionKind.PRESERVATION:
        d.preservation = PRESERVATION
        d.add(DEADLINE_PRESERVATION)
    else:
        d.preservation = EXTENSION
        d.preservation_anchor = (action.original_received_at, EXTENDED_TOTAL)
        if action.original_received_at is None and action.received_at is not None:
            d.assumptions.append(ASSUMED_NO_ORIGINAL)
        d.add(DEADLINE_EXTENSION)

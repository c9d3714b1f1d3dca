"""e-Evidence, Regulation (EU) 2023/1543, as data: its periods, thresholds, authorities, and the reasons,
obligations and assumptions the rules in ``e_evidence`` state (precomputed once).

Facts and their tags come from ``reference/cross_border_requests.md`` §1 ([V] read in the text, [S]
secondary, [R] recalled and unverified). Constants from [R]/[S] facts are flagged ``provisional``.
"""

from __future__ import annotations

from typing import Final

from comity.kinds import JUDICIAL_AUTHORITIES, ActionKind, AuthorityType, DataCategory
from comity.periods import Period
from comity.policy.model import Reason
from comity.policy.rules.common import EEV, ObligationSpec, Span, a_kind

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
JUDICIAL_OR_PROSECUTOR: Final = JUDICIAL_AUTHORITIES | {AuthorityType.PROSECUTOR}
#: Art. 4(2)(a): for traffic and content data, a judge, court or investigating judge only. [V]
JUDICIAL: Final = JUDICIAL_AUTHORITIES

#: Art. 12(1)(a)-(c): grounds open whatever the facts, where the executing state is notified. [V]
GENERAL_GROUNDS: Final = (
    "immunity_or_press_freedom",
    "manifest_breach_of_fundamental_rights",
    "ne_bis_in_idem",
)

KINDS: Final = frozenset({ActionKind.PRODUCTION, ActionKind.PRESERVATION, ActionKind.PRESERVATION_EXTENSION})
LIGHT: Final = frozenset({DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION})

# --- precomputed reasons -----------------------------------------------------------------------------------

SCOPE_OK: Final = Reason(
    "eev.scope",
    "e-Evidence covers production and preservation orders for electronic evidence",
    f"{EEV} Art. 1(1)",
)
SCOPE_REASONS: Final = {
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
    if kind not in KINDS
}
THRESHOLD_LIGHT: Final = Reason(
    "eev.threshold",
    "subscriber and identification data may be ordered for all criminal offences",
    f"{EEV} Art. 5(3)",
)
# provisional: Art. 6 (preservation for all criminal offences) is [R] in the reference (§1.4).
THRESHOLD_PRESERVATION: Final = Reason(
    "eev.threshold",
    "preservation may be ordered for all criminal offences",
    f"{EEV} Art. 6(2)",
)
IDENTIFIERS_OK: Final = Reason(
    "eev.minimisation.identifiers",
    "the order names the user or account identifiers",
    f"{EEV} Art. 5(5)(c)",
)
IDENTIFIERS_SOLE_PURPOSE: Final = Reason(
    "eev.minimisation.identifiers",
    "the data are sought for the sole purpose of identifying the user: no user identifier is required",
    f"{EEV} Art. 5(5)(c), Art. 3(10)",
)
IDENTIFIERS_MISSING: Final = Reason(
    "eev.minimisation.identifiers",
    "the order must name the user or account identifiers (user name, login, account) unless its sole "
    "purpose is to identify the user",
    f"{EEV} Art. 5(5)(c)",
    satisfied=False,
)
TIME_RANGE_NA: Final = Reason(
    "eev.minimisation.time_range",
    "the data sought do not span a period: no time range is needed",
    f"{EEV} Art. 5(5)(e)",
)
TIME_RANGE_OK: Final = Reason(
    "eev.minimisation.time_range",
    "the order bounds the time range of the data sought",
    f"{EEV} Art. 5(5)(e)",
)
TIME_RANGE_MISSING: Final = Reason(
    "eev.minimisation.time_range",
    "the data sought span a period: the order must bound its time range",
    f"{EEV} Art. 5(5)(e)",
    satisfied=False,
)
NOTIFY_NOT_REQUIRED: Final = Reason(
    "eev.notification",
    "no notification of the executing state: it is required only for production of traffic or content data",
    f"{EEV} Art. 8(1)",
)
NOTIFY_EXCEPTION: Final = Reason(
    "eev.notification",
    "no notification of the executing state: the offence was committed in the issuing state and the person "
    "whose data are sought resides there",
    f"{EEV} Art. 8(2)",
)
NOTIFY_SUSPENSIVE: Final = Reason(
    "eev.notification",
    "the executing state is notified with the order; the notification is suspensive: the addressee "
    "transmits only at the end of the review window unless a ground is raised",
    f"{EEV} Art. 8(1), 8(4), 10(2)",
)
NOTIFY_EMERGENCY: Final = Reason(
    "eev.notification",
    "the executing state is notified with the order; in an emergency the notification is not suspensive",
    f"{EEV} Art. 8(1), 8(4)",
)
GROUNDS_NOT_NOTIFIED: Final = Reason(
    "eev.refusal_grounds",
    "the executing state is not notified: no Art. 12 ground arises (it can oppose only if asked to enforce)",
    f"{EEV} Art. 12(1), 16",
)
DUAL_NOT_AT_ISSUE: Final = Reason(
    "eev.refusal_grounds",
    "the conduct is an offence in the executing state: dual criminality cannot be raised",
    f"{EEV} Art. 12(1)(d)",
)
DUAL_EXEMPT: Final = Reason(
    "eev.refusal_grounds",
    "the conduct is not an offence in the executing state, but it is an Annex IV category punishable by at "
    "least 3 years in the issuing state: no dual-criminality check",
    f"{EEV} Art. 12(1)(d)",
)
DUAL_AVAILABLE: Final = Reason(
    "eev.refusal_grounds",
    "the conduct is not an offence in the executing state and is not exempt (not an Annex IV category "
    "punishable by at least 3 years): the executing state may raise dual criminality",
    f"{EEV} Art. 12(1)(d)",
)
DEADLINE_PLAIN: Final = Reason(
    "eev.deadline",
    "the addressee transmits the data at the latest within 10 days of receipt",
    f"{EEV} Art. 10(3)",
)
DEADLINE_NOTIFIED: Final = Reason(
    "eev.deadline",
    "the addressee transmits at the end of the 10-day period, unless the executing state raises a ground "
    "within those 10 days",
    f"{EEV} Art. 10(2), 12(1)",
)
DEADLINE_EMERGENCY: Final = Reason(
    "eev.deadline",
    "emergency: the addressee transmits at the latest within 8 hours of receipt",
    f"{EEV} Art. 10(4)",
)
DEADLINE_EMERGENCY_NOTIFIED: Final = Reason(
    "eev.deadline",
    "emergency: the addressee transmits within 8 hours; the executing state may object or set conditions "
    "within 96 hours of the notification",
    f"{EEV} Art. 10(4)",
)
DEADLINE_PRESERVATION: Final = Reason(
    "eev.deadline",
    "the addressee preserves the data without undue delay; preservation ceases after 60 days unless a "
    "subsequent production request is confirmed (Annex V) or it is extended (Annex VI)",
    f"{EEV} Art. 11(1)",
)
DEADLINE_EXTENSION: Final = Reason(
    "eev.deadline",
    "one extension of 30 days, running on from the first 60 days (90 days from the original receipt)",
    f"{EEV} Art. 11(1)",
)

EX_POST: Final = ObligationSpec(
    "ex_post_validation",
    "seek validation by a competent judicial authority or prosecutor without undue delay, at the latest "
    "within 48 hours of issuing; if refused, withdraw the order and delete or restrict the data",
    f"{EEV} Art. 4(5)",
    EX_POST_VALIDATION_WITHIN,
    side="issuing",
    from_issue=True,
)
NOTIFY_PERSON: Final = ObligationSpec(
    "notify_affected_person",
    "the issuing authority informs the person whose data are sought without undue delay, with the remedies "
    "open to them; it may delay or restrict this only as Directive (EU) 2016/680 Art. 13(3) allows",
    f"{EEV} Art. 13(1)-(2), 18",
)

ASSUMED_CONTENT: Final = "data category not stated: assumed content data (the strictest conditions apply)"
ASSUMED_EMERGENCY: Final = (
    "emergency: an imminent threat to life, physical integrity or safety of a person, or to critical "
    "infrastructure (Art. 3(18)), as stated"
)
ASSUMED_NO_TIME_FOR_VALIDATION: Final = (
    "emergency: validation could not be obtained in time (Art. 4(5)), as stated"
)
ASSUMED_EX_POST_FROM_RECEIPT: Final = (
    "ex-post validation counted from receipt: the time of issuing (at) is not stated; it may run out earlier"
)
ASSUMED_NOT_COMMITTED: Final = (
    "executing state notified: whether the offence was committed in the issuing state is unknown"
)
ASSUMED_NOT_RESIDENT: Final = (
    "executing state notified: whether the person whose data are sought resides in the issuing state is "
    "unknown"
)
ASSUMED_NO_ORIGINAL: Final = (
    "preservation end not computed: the receipt time of the original preservation order is not stated"
)

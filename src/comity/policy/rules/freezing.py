"""Freezing orders: Regulation (EU) 2018/1805 on the mutual recognition of freezing and confiscation orders.

provisional: the reference notes do not cover this Regulation. The rules below follow its text as read
from EUR-Lex excerpts while writing the engine (Art. 2(1), 2(8), 3, 8(1)) and the EUR-Lex summary (urgent
deadlines); every constant here is provisional until checked against the Official Journal text.
The freezing certificate goes to the executing state's authority itself, so there is no separate
notification and nothing suspensive.
"""

from __future__ import annotations

from typing import Final

from comity.kinds import JUDICIAL_AUTHORITIES, ActionKind, AuthorityType
from comity.periods import Period
from comity.policy.model import Reason
from comity.policy.rules.common import (
    AUTHORITY_NAMES,
    FREEZING,
    Draft,
    Interned,
    ObligationSpec,
    Span,
    a_kind,
    agreed_period,
    deadline_names,
    deferred_notice,
)

#: Art. 3(1): no dual-criminality verification for the listed categories punishable by a maximum of at
#: least 3 years in the issuing state. provisional (not in the reference; same threshold as FD 2002/584).
LIST_EXEMPTION_MONTHS: Final = 36
#: Art. 9(2)-(3), urgent freezing: recognition decided within 48 hours of receipt, execution within a further
#: 48 hours. provisional ([S]: EUR-Lex summary of the Regulation; not in the reference).
URGENT_RECOGNITION: Final = Span(Period.hours(48))
URGENT_EXECUTION: Final = Span(Period.hours(96))
#: Art. 8(1)(a), (b), (f): open whatever the facts. provisional (not in the reference).
GENERAL_GROUNDS: Final = (
    "ne_bis_in_idem",
    "immunity_or_press_freedom",
    "manifest_breach_of_fundamental_rights",
)
#: Art. 2(8)(a): a judge, court or public prosecutor competent in the case (an investigating judge is a
#: judge). provisional (not in the reference).
_COMPETENT: Final = JUDICIAL_AUTHORITIES | {AuthorityType.PROSECUTOR}

_SCOPE_OK: Final = Reason(
    "frz.scope",
    "a freezing order: it prevents the transfer or disposal of property with a view to its confiscation",
    f"{FREEZING} Art. 2(1)",
)
_SCOPE_REASONS: Final = {
    kind: Reason(
        "frz.scope",
        f"the freezing regime covers freezing orders (payment freezes) only, not {a_kind(kind)}",
        f"{FREEZING} Art. 1(1), 2(1)",
        satisfied=False,
    )
    for kind in ActionKind
    if kind is not ActionKind.PAYMENT_FREEZE
}
_DUAL_NOT_AT_ISSUE: Final = Reason(
    "frz.refusal_grounds",
    "the conduct is an offence in the executing state: dual criminality cannot be raised",
    f"{FREEZING} Art. 3(2), 8(1)(e)",
)
_DUAL_EXEMPT: Final = Reason(
    "frz.refusal_grounds",
    "a listed category punishable by at least 3 years in the issuing state: recognised without verifying "
    "dual criminality",
    f"{FREEZING} Art. 3(1)",
)
_DUAL_AVAILABLE: Final = Reason(
    "frz.refusal_grounds",
    "the conduct is not an offence in the executing state and is not a listed category punishable by at "
    "least 3 years: the executing state may refuse for lack of dual criminality",
    f"{FREEZING} Art. 3(2), 8(1)(e)",
)
_TERRITORIALITY: Final = Reason(
    "frz.territoriality",
    "committed partly in the executing state (so partly outside the issuing state) and not an offence there: "
    "the executing state may refuse on territoriality",
    f"{FREEZING} Art. 8(1)(d)",
)
_DEADLINE_URGENT: Final = Reason(
    "frz.deadline",
    "urgent freezing: the executing state decides on recognition within 48 hours of receipt and freezes "
    "within 48 hours of that decision",
    f"{FREEZING} Art. 9(2)-(3)",
)
_DEADLINE_PLAIN: Final = Reason(
    "frz.deadline",
    "the executing state decides and executes with the same speed and priority as in a similar domestic case",
    f"{FREEZING} Art. 9(1)",
)
_NOTIFY_PERSON: Final = ObligationSpec(
    "notify_affected_person",
    "the executing authority informs the affected persons of the execution of the freezing order without "
    "undue delay, with the remedies open to them",
    f"{FREEZING} Art. 32(1), 33",
)
_ASSUMED_TERRITORY: Final = (
    "territoriality (Art. 8(1)(d)) not assessed: whether the offence was committed in the executing state is "
    "not stated"
)

_DEADLINE_NAMES: Final = deadline_names(ActionKind.PAYMENT_FREEZE, emergency=False)

_ISSUER_REASONS: Interned[tuple[AuthorityType, AuthorityType | None, bool], Reason] = Interned()


def _issuer(issuer: AuthorityType, validator: AuthorityType | None, emergency: bool) -> Reason:
    by = AUTHORITY_NAMES[issuer]
    if issuer in _COMPETENT:
        return Reason("frz.issuer", f"{by} may issue a freezing order", f"{FREEZING} Art. 2(8)(a)")
    if validator in _COMPETENT:
        assert validator is not None
        return Reason(
            "frz.issuer",
            f"{by} may issue a freezing order validated by {AUTHORITY_NAMES[validator]}",
            f"{FREEZING} Art. 2(8)(b)",
        )
    why = (
        f"validation by {AUTHORITY_NAMES[validator]} does not suffice"
        if validator is not None
        else "it is not validated"
    )
    urgent = "; the Regulation has no exception for urgency" if emergency else ""
    return Reason(
        "frz.issuer",
        f"{by} may issue a freezing order only if a judge, court or public prosecutor validates it: "
        f"{why}{urgent}",
        f"{FREEZING} Art. 2(8)(b)",
        satisfied=False,
    )


def apply(d: Draft) -> None:
    """Apply the freezing-order rules to ``d``."""
    action = d.action
    kind = action.kind
    if kind is not ActionKind.PAYMENT_FREEZE:
        d.add(_SCOPE_REASONS[kind])
        return
    d.add(_SCOPE_OK)

    key = (action.issuer, action.validated_by, action.emergency)
    reason = _ISSUER_REASONS.get(key)
    if reason is None:
        reason = _ISSUER_REASONS.put(key, _issuer(action.issuer, action.validated_by, action.emergency))
    d.add(reason)

    # Art. 3 and 8(1)(d)-(e): the grounds these facts trigger.
    d.general_grounds = GENERAL_GROUNDS
    criminal = d.executing.criminalises(d.offence.code)
    grounds: list[str] = []
    if criminal:
        d.add(_DUAL_NOT_AT_ISSUE)
    elif d.offence.list_offence and d.statute.max_penalty_months >= LIST_EXEMPTION_MONTHS:
        d.add(_DUAL_EXEMPT)
    else:
        grounds.append("dual_criminality")
        d.add(_DUAL_AVAILABLE)
    if not criminal:
        # Committed (partly) in the executing state means partly outside the issuing state.
        if action.committed_in_executing is True:
            grounds.append("territoriality")
            d.add(_TERRITORIALITY)
        elif action.committed_in_executing is None:
            d.assumptions.append(_ASSUMED_TERRITORY)
    if grounds:
        d.grounds = tuple(grounds)

    if action.emergency:
        d.review_window = URGENT_RECOGNITION
        d.deadline = URGENT_EXECUTION
        d.add(_DEADLINE_URGENT)
    else:
        d.deadline = agreed_period(d, _DEADLINE_NAMES, "frz.deadline", "time to execute the freezing order")
        if d.deadline is None:
            d.add(_DEADLINE_PLAIN)
    d.obligations.append(deferred_notice(_NOTIFY_PERSON, d))

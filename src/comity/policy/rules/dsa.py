"""DSA orders: Regulation (EU) 2022/2065 Art. 9 (orders to act against illegal content) and Art. 10 (orders
to provide information), addressed to an intermediary service provider.

Facts from ``reference/dsa_platforms_redress.md`` §3, read in the enacted text. The order goes to the
provider; there is no executing state's review, so no refusal grounds, notification or suspensive effect:
the provider's and the uploader's redress is stated in the order itself (Art. 9(2)(a)(v), 10(2)(a)(v)).
"""

from __future__ import annotations

from typing import Final

from comity.kinds import ActionKind
from comity.policy.model import Reason
from comity.policy.rules.common import (
    DSA,
    Draft,
    ObligationSpec,
    a_kind,
    agreed_period,
    deadline_names,
    deferred_notice,
)

_KINDS: Final = frozenset({ActionKind.REMOVAL_ORDER, ActionKind.INFORMATION_ORDER})

_SCOPE_REMOVAL: Final = Reason(
    "dsa.scope",
    "an order to act against illegal content (removal or disabling of access)",
    f"{DSA} Art. 9(1)",
)
_SCOPE_INFORMATION: Final = Reason(
    "dsa.scope",
    "an order to provide information about specific recipients of the service",
    f"{DSA} Art. 10(1)",
)
_SCOPE_REASONS: Final = {
    kind: Reason(
        "dsa.scope",
        f"DSA orders are removal orders (Art. 9) and information orders (Art. 10), not {a_kind(kind)}",
        f"{DSA} Art. 9(1), 10(1)",
        satisfied=False,
    )
    for kind in ActionKind
    if kind not in _KINDS
}
_ISSUER_OK: Final = Reason(
    "dsa.issuer",
    "issued by a national judicial or administrative authority (every authority type Comity knows is one)",
    f"{DSA} Art. 9(1), 10(1)",
)
_MEMBER_STATE_OK: Final = Reason(
    "dsa.member_state", "the issuing authority is an authority of a Member State", f"{DSA} Art. 9(1), 10(1)"
)
_MEMBER_STATE_NO: Final = Reason(
    "dsa.member_state",
    "DSA orders are issued by authorities of a Member State; the issuing state is not one",
    f"{DSA} Art. 9(1), 10(1)",
    satisfied=False,
)
_LOCATE_OK: Final = Reason(
    "dsa.minimisation.identifiers",
    "the order identifies and locates the content (such as exact URLs)",
    f"{DSA} Art. 9(2)(a)(iv)",
)
_LOCATE_MISSING: Final = Reason(
    "dsa.minimisation.identifiers",
    "the order must contain the information to identify and locate the content, such as one or more exact "
    "URLs",
    f"{DSA} Art. 9(2)(a)(iv)",
    satisfied=False,
)
_RECIPIENTS_OK: Final = Reason(
    "dsa.minimisation.identifiers",
    "the order identifies the specific recipients concerned (account names or unique identifiers)",
    f"{DSA} Art. 10(2)(a)(iii)",
)
_RECIPIENTS_MISSING: Final = Reason(
    "dsa.minimisation.identifiers",
    "an information order must identify the specific recipients concerned, such as account names or unique "
    "identifiers",
    f"{DSA} Art. 10(2)(a)(iii)",
    satisfied=False,
)
_SCOPE_SOURCE: Final = f"{DSA} Art. 9(2)(b), recital 36"
_DEADLINE_NONE: Final = Reason(
    "dsa.deadline",
    "the provider informs the issuing authority of the effect given without undue delay; no fixed period",
    f"{DSA} Art. 9(1), 10(1)",
)

_REPORT_EFFECT_REMOVAL: Final = ObligationSpec(
    "report_effect",
    "the provider informs the issuing authority without undue delay of any effect given to the order, "
    "saying if and when",
    f"{DSA} Art. 9(1)",
)
_REPORT_EFFECT_INFORMATION: Final = ObligationSpec(
    "report_effect",
    "the provider informs the issuing authority without undue delay of its receipt and of the effect given, "
    "saying if and when",
    f"{DSA} Art. 10(1)",
)
_FORWARD_REMOVAL: Final = ObligationSpec(
    "forward_to_coordinator",
    "the issuing authority sends the order and the provider's report to its Digital Services Coordinator, "
    "who shares a copy with all other coordinators",
    f"{DSA} Art. 9(3)-(4)",
)
_FORWARD_INFORMATION: Final = ObligationSpec(
    "forward_to_coordinator",
    "the issuing authority sends the order and the provider's report to its Digital Services Coordinator, "
    "who shares a copy with all other coordinators",
    f"{DSA} Art. 10(3)-(4)",
)
_NOTIFY_REMOVAL: Final = ObligationSpec(
    "notify_affected_person",
    "the provider informs the recipient concerned of the order and the effect given, at the latest when "
    "effect is given, with the reasons, the redress open and the territorial scope",
    f"{DSA} Art. 9(5)",
)
_NOTIFY_INFORMATION: Final = ObligationSpec(
    "notify_affected_person",
    "the provider informs the recipient concerned of the order and the effect given, at the latest when "
    "effect is given, with the reasons and the redress open",
    f"{DSA} Art. 10(5)",
)
_ASSUMED_ISSUING_SCOPE: Final = "territorial scope not stated: assumed the issuing state only"
_ASSUMED_NATIONAL: Final = (
    "illegality source not stated: treated as national law (scope in principle the issuing state)"
)
_ASSUMED_HELD: Final = (
    "the information sought is already collected by the provider for its service and within its control "
    "(Art. 10(2)(b)), as stated"
)


def _territorial_scope(d: Draft) -> None:
    """Art. 9(2)(b) and recital 36: no wider than strictly necessary; within where illegality is shown."""
    action = d.action
    issuing = action.issuing_state
    scope = action.territorial_scope
    if not scope:
        scope = (issuing,)
        d.assumptions.append(_ASSUMED_ISSUING_SCOPE)
    illegal_in = action.illegal_in
    if illegal_in:
        outside = [s for s in scope if s not in illegal_in]
        if outside:
            d.add(
                Reason(
                    "dsa.territorial_scope",
                    f"the order reaches {', '.join(outside)}, where the content is not shown to be illegal "
                    f"(shown in {', '.join(illegal_in)}): the scope must be limited to what is strictly "
                    "necessary",
                    _SCOPE_SOURCE,
                    satisfied=False,
                )
            )
        elif len(scope) > 1 or scope[0] != issuing:
            d.add(
                Reason(
                    "dsa.territorial_scope",
                    f"scope {', '.join(scope)}: beyond the issuing state only because illegality is shown "
                    "in each state it reaches",
                    _SCOPE_SOURCE,
                )
            )
        else:
            d.add(
                Reason(
                    "dsa.territorial_scope",
                    f"scope limited to {issuing}, where illegality is shown",
                    _SCOPE_SOURCE,
                )
            )
        return
    beyond = [s for s in scope if s != issuing]
    if not beyond:
        d.add(Reason("dsa.territorial_scope", f"scope limited to the issuing state {issuing}", _SCOPE_SOURCE))
        return
    source = action.illegality_source
    if source == "union":
        d.add(
            Reason(
                "dsa.territorial_scope",
                f"illegal under Union law: a scope reaching {', '.join(beyond)} may be necessary",
                _SCOPE_SOURCE,
            )
        )
        return
    if source is None:
        d.assumptions.append(_ASSUMED_NATIONAL)
    d.add(
        Reason(
            "dsa.territorial_scope",
            f"illegal under national law: the scope is in principle the issuing state {issuing}; it reaches "
            f"{', '.join(beyond)} without illegality shown there",
            _SCOPE_SOURCE,
            satisfied=False,
        )
    )


def apply(d: Draft) -> None:
    """Apply the DSA Art. 9/10 rules to ``d``."""
    action = d.action
    kind = action.kind
    if kind not in _KINDS:
        d.add(_SCOPE_REASONS[kind])
        return
    removal = kind is ActionKind.REMOVAL_ORDER
    d.add(_SCOPE_REMOVAL if removal else _SCOPE_INFORMATION)
    d.add(_ISSUER_OK)
    d.add(_MEMBER_STATE_OK if d.issuing.eu_member else _MEMBER_STATE_NO)
    if removal:
        d.add(_LOCATE_OK if action.identifiers_named else _LOCATE_MISSING)
        _territorial_scope(d)
    else:
        d.add(_RECIPIENTS_OK if action.identifiers_named else _RECIPIENTS_MISSING)
        d.assumptions.append(_ASSUMED_HELD)

    span = agreed_period(d, deadline_names(kind, action.emergency), "dsa.deadline", "time to give effect")
    if span is None:
        d.add(_DEADLINE_NONE)
    d.deadline = span

    if removal:
        d.obligations += (_REPORT_EFFECT_REMOVAL, _FORWARD_REMOVAL, deferred_notice(_NOTIFY_REMOVAL, d))
    else:
        d.obligations += (
            _REPORT_EFFECT_INFORMATION,
            _FORWARD_INFORMATION,
            deferred_notice(_NOTIFY_INFORMATION, d),
        )

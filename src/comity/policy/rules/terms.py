"""Voluntary cooperation under a platform's own terms of service.

Nothing here compels the platform: any authority may ask, and the platform decides under its terms. If it
restricts a listing or an account it owes the affected recipient a statement of reasons (DSA Art. 17,
``reference/dsa_platforms_redress.md`` §3). A compulsory measure needs an order under a legal regime.
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

#: What an authority may ask a platform to do of its own accord: a notice, a removal, an account suspension
#: (each decided by the platform under its terms; DSA Art. 17(1)(a), (d) for its statement of reasons).
_KINDS: Final = frozenset(
    {ActionKind.ADVISORY_NOTICE, ActionKind.VOLUNTARY_REMOVAL, ActionKind.ACCOUNT_SUSPENSION}
)
_TERMS: Final = "the platform's terms of service (voluntary cooperation)"

_SCOPE_OK: Final = Reason(
    "terms.scope",
    "a voluntary request under the platform's terms: the platform decides and is not bound to act",
    _TERMS,
)
_SCOPE_REASONS: Final = {
    kind: Reason(
        "terms.scope",
        f"under a platform's terms only voluntary requests can be made: {a_kind(kind)} is "
        "compulsory and needs an order under a legal regime (e-Evidence, a DSA order, freezing, MLA)",
        _TERMS,
        satisfied=False,
    )
    for kind in ActionKind
    if kind not in _KINDS
}
_ISSUER: Final = Reason(
    "terms.issuer",
    "any authority may ask a platform to act under its own terms; the request carries no legal compulsion",
    _TERMS,
)
# DSA Art. 16(2)(b) requires notices to locate the content exactly; Comity holds authorities' requests to the
# same standard, so the platform can assess exactly what is asked.
_LOCATE_OK: Final = Reason(
    "terms.identifiers",
    "the request locates the listing or account exactly (such as exact URLs)",
    f"{DSA} Art. 16(2)(b) (by analogy)",
)
_LOCATE_MISSING: Final = Reason(
    "terms.identifiers",
    "the request must locate the listing or account exactly (such as exact URLs) so the platform can assess "
    "it",
    f"{DSA} Art. 16(2)(b) (by analogy)",
    satisfied=False,
)
_DEADLINE_NONE: Final = Reason(
    "terms.deadline", "no time limit binds the platform: the request is voluntary", _TERMS
)
_STATEMENT: Final = ObligationSpec(
    "statement_of_reasons",
    "if the platform restricts the content or account, it gives the recipient a statement of reasons: the "
    "measure, its scope and duration, the facts, the contractual ground, and the redress open",
    f"{DSA} Art. 17(1), 17(3)",
)
_NOTIFY: Final = ObligationSpec(
    "notify_affected_person",
    "the affected recipient is told of any restriction at the latest when it is imposed",
    f"{DSA} Art. 17(1)-(2)",
)


def apply(d: Draft) -> None:
    """Apply the platform-terms rules to ``d``."""
    action = d.action
    kind = action.kind
    if kind not in _KINDS:
        d.add(_SCOPE_REASONS[kind])
        return
    d.add(_SCOPE_OK)
    d.add(_ISSUER)
    d.add(_LOCATE_OK if action.identifiers_named else _LOCATE_MISSING)
    span = agreed_period(
        d, deadline_names(kind, action.emergency), "terms.deadline", "agreed time to respond"
    )
    if span is None:
        d.add(_DEADLINE_NONE)
    d.deadline = span
    d.obligations += (_STATEMENT, deferred_notice(_NOTIFY, d))

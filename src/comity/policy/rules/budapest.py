"""Budapest Convention on Cybercrime (ETS 185), Art. 29: expedited preservation of stored computer data.

Facts from ``reference/cross_border_requests.md`` §2.1, all [V] (read in the authentic English text).
The request goes to the requested Party itself (the executing state), so there is no separate
notification: ``notify_executing_state`` stays False and nothing is suspensive.
"""

from __future__ import annotations

from typing import Final

from comity.kinds import ActionKind
from comity.periods import Period
from comity.policy.model import Reason
from comity.policy.rules.common import BUDAPEST, Draft, Span, a_kind

#: Art. 29(7): preservation lasts not less than 60 days (and continues while an MLA request is decided). [V]
PRESERVATION: Final = Span(Period.days(60))
#: Art. 29(5): refusal only for a political offence, or prejudice to sovereignty, security, ordre public or
#: other essential interests. [V]
GENERAL_GROUNDS: Final = ("political_offence", "sovereignty_security_ordre_public")

_KINDS: Final = frozenset({ActionKind.PRESERVATION, ActionKind.PRESERVATION_EXTENSION})

_SCOPE_OK: Final = Reason(
    "bud.scope", "an expedited preservation request under Art. 29", f"{BUDAPEST} Art. 29(1)"
)
_SCOPE_EXTENSION: Final = Reason(
    "bud.scope",
    "a renewed preservation request: Art. 29 has no extension as such; each request keeps the data at least "
    "60 days, and preservation continues once a mutual assistance request is received",
    f"{BUDAPEST} Art. 29(1), 29(7)",
)
_SCOPE_REASONS: Final = {
    kind: Reason(
        "bud.scope",
        f"Art. 29 covers expedited preservation only: {a_kind(kind)} needs a mutual "
        "assistance request (Art. 31) or another instrument",
        f"{BUDAPEST} Art. 29(1), 31",
        satisfied=False,
    )
    for kind in ActionKind
    if kind not in _KINDS
}
_ISSUER: Final = Reason(
    "bud.issuer",
    "the request names the authority seeking preservation; the Convention leaves its competence to the "
    "requesting Party's law",
    f"{BUDAPEST} Art. 29(2)(a)",
)
_CONTENTS_OK: Final = Reason(
    "bud.request_contents",
    "the request specifies the stored data and what identifies their custodian or the system's location",
    f"{BUDAPEST} Art. 29(2)(c)-(d)",
)
_CONTENTS_MISSING: Final = Reason(
    "bud.request_contents",
    "the request must specify the stored data to preserve and the information identifying their custodian or "
    "the location of the system",
    f"{BUDAPEST} Art. 29(2)(c)-(d)",
    satisfied=False,
)
_DUAL_NOT_REQUIRED: Final = Reason(
    "bud.refusal_grounds",
    "dual criminality is not a condition of preservation (no Art. 29(4) reservation applies)",
    f"{BUDAPEST} Art. 29(3)",
)
_DUAL_RESERVED_CRIMINAL: Final = Reason(
    "bud.refusal_grounds",
    "the requested Party reserved dual criminality (Art. 29(4)), but the conduct is an offence there",
    f"{BUDAPEST} Art. 29(4)",
)
_DUAL_RESERVED_CORE: Final = Reason(
    "bud.refusal_grounds",
    "the requested Party's Art. 29(4) reservation does not reach offences established under Arts 2-11",
    f"{BUDAPEST} Art. 29(4)",
)
_DUAL_RESERVED_AVAILABLE: Final = Reason(
    "bud.refusal_grounds",
    "the requested Party reserved dual criminality (Art. 29(4)) and the conduct is not an offence there: it "
    "may refuse preservation",
    f"{BUDAPEST} Art. 29(4)",
)
_DEADLINE: Final = Reason(
    "bud.deadline",
    "the requested Party preserves the data for not less than 60 days, and beyond while a mutual assistance "
    "request is decided",
    f"{BUDAPEST} Art. 29(7)",
)


def apply(d: Draft) -> None:
    """Apply the Budapest Art. 29 rules to ``d``."""
    action = d.action
    kind = action.kind
    if kind not in _KINDS:
        d.add(_SCOPE_REASONS[kind])
        return
    d.add(_SCOPE_OK if kind is ActionKind.PRESERVATION else _SCOPE_EXTENSION)
    d.add(_ISSUER)
    d.add(_CONTENTS_OK if action.identifiers_named else _CONTENTS_MISSING)

    # Art. 29(3)-(4): no dual criminality, unless the requested Party made the reservation and the offence is
    # not one established under Arts 2-11.
    d.general_grounds = GENERAL_GROUNDS
    agreement = d.agreement
    if not agreement.dual_criminality_reservation:
        d.add(_DUAL_NOT_REQUIRED)
    elif d.executing.criminalises(d.offence.code):
        d.add(_DUAL_RESERVED_CRIMINAL)
    elif d.offence.convention_offence:
        d.add(_DUAL_RESERVED_CORE)
    else:
        d.grounds = ("dual_criminality",)
        d.add(_DUAL_RESERVED_AVAILABLE)

    d.preservation = PRESERVATION
    d.add(_DEADLINE)

"""The regime-aware policy engine: one pure, deterministic function from facts to a reasoned decision.

``evaluate`` applies Comity's own rules (agreement in force, parties, offence covered, statute,
proportionality, jurisdictional link; then data category, territorial scope and notice deferral), and between
them the rules of the regime the agreement names. Each rule appends one
:class:`~comity.policy.model.Reason` citing its source; the action is allowed iff every reason is satisfied.
Time limits come as durations and, given a receipt time, as instants counted in the executing state's (the
addressee's) zone and calendar, with the agreement's counting.

The engine reads nothing but its arguments (no clock, no database, no globals that change its answer): the
same inputs always give an equal decision. It is fast because its texts are precomputed, not because it
remembers decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from comity.agreements.model import Agreement
from comity.errors import InvalidInput
from comity.kinds import Regime
from comity.policy.model import Decision, ProposedAction
from comity.policy.rules import budapest, comity, common, dsa, e_evidence, freezing, jit, mla, terms
from comity.vocabulary.model import JurisdictionProfile, Offence, Statute

__all__ = ["RULESETS", "evaluate"]

#: The rules of each regime. Every Regime has an entry (a test checks it).
RULESETS: Final[dict[Regime, Callable[[common.Draft], None]]] = {
    Regime.E_EVIDENCE: e_evidence.apply,
    Regime.BUDAPEST_PRESERVATION: budapest.apply,
    Regime.FREEZING: freezing.apply,
    Regime.DSA_ORDER: dsa.apply,
    Regime.PLATFORM_TERMS: terms.apply,
    Regime.MUTUAL_LEGAL_ASSISTANCE: mla.apply,
    Regime.JOINT_INVESTIGATION_TEAM: jit.apply,
}

_ASSUMED_NOW: Final = "time of the action not stated: the agreement is checked at the current time"


def evaluate(
    action: ProposedAction,
    *,
    agreement: Agreement,
    offence: Offence,
    statute: Statute,
    issuing: JurisdictionProfile,
    executing: JurisdictionProfile,
    now: datetime,
) -> Decision:
    """Decide whether ``action`` may go ahead under ``agreement``, with reasons, obligations and time limits.

    ``offence``, ``issuing`` and ``executing`` must be the ones ``action`` names (a mismatch is a caller's
    error, not a refusal); ``statute`` is the issuing state's provision the action relies on; ``now`` (aware)
    stands in for ``action.at`` when that is not given.
    """
    if (
        offence.code != action.offence
        or issuing.code != action.issuing_state
        or executing.code != action.executing_state
    ):
        raise InvalidInput(
            "the offence and jurisdiction profiles must be those the action names "
            f"(action: {action.offence}, {action.issuing_state} -> {action.executing_state}; given: "
            f"{offence.code}, {issuing.code} -> {executing.code})"
        )
    when = action.at
    if when is None:
        if now.tzinfo is None:
            raise InvalidInput("naive datetime: 'now' must carry its UTC offset")
        when = now
    elif when.tzinfo is None:
        raise InvalidInput("naive datetime: the time of the action (at) must carry its UTC offset")
    draft = common.Draft(action, agreement, offence, statute, issuing, executing, when)
    if action.at is None:
        draft.assumptions.append(_ASSUMED_NOW)
    comity.apply_before(draft)
    RULESETS[agreement.regime](draft)
    comity.apply_after(draft)
    return draft.finish()

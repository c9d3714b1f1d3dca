"""Joint investigation teams (JITs): Framework Decision 2002/465/JHA, Art. 13 of the 2000 EU MLA Convention,
Art. 20 of the Second Additional Protocol to the 1959 Council of Europe MLA Convention.

Facts from ``reference/cross_border_requests.md`` §5: a JIT is set up by agreement between its parties for a
specific purpose and a limited period (the agreement's effective and sunset dates); it operates under the
law of the state where it acts [V]; information obtained through it is used for other purposes only with
consent [V, model agreement item 10]. Comity's choices (documented in ``docs/policy.md``):

* only parties act (Comity's party rule), and only with the team's compulsory measures (a voluntary request
  to a platform goes under the platform's terms);
* the measure is taken in the executing state, where the team operates, under that state's law: the conduct
  must be an offence there, or no domestic measure exists;
* there is no refusal stage inside a team (the parties agreed to it), so no grounds are listed;
* data requests are minimised as in MLA; time limits are those the agreement states;
* every action carries the use-limit obligation.
"""

from __future__ import annotations

from typing import Final

from comity.kinds import RESTRICTIVE_ACTIONS, ActionKind
from comity.policy.model import Reason
from comity.policy.rules.common import (
    AUTHORITY_NAMES,
    Draft,
    Interned,
    ObligationSpec,
    a_kind,
    deferred_notice,
)
from comity.policy.rules.mla import agreed_limits, minimisation

_JIT: Final = "FD 2002/465/JHA Art. 1; 2000 EU MLA Convention Art. 13; ETS 182 Art. 20"
_LAW_SOURCE: Final = "FD 2002/465/JHA Art. 1(3)(b); 2000 EU MLA Convention Art. 13(3)(b); ETS 182 Art. 20"
_NOTIFIABLE: Final = RESTRICTIVE_ACTIONS | {ActionKind.PRODUCTION, ActionKind.INFORMATION_ORDER}

#: The team's measures are compulsory ones under the law where it operates; asking a platform to act of its
#: own accord is not a team measure (that goes under the platform's terms).
_KINDS: Final = frozenset(ActionKind) - {ActionKind.VOLUNTARY_REMOVAL, ActionKind.ADVISORY_NOTICE}
_SCOPE_REASONS: Final = {
    kind: Reason(
        "jit.scope",
        f"{a_kind(kind)} is a voluntary request to a platform, not a measure of the team: use the platform's "
        "terms",
        f"{_JIT} (agreement: investigative measures)",
        satisfied=False,
    )
    for kind in ActionKind
    if kind not in _KINDS
}
_SCOPE: Final = Reason(
    "jit.scope",
    "a measure of a joint investigation team, within the purpose and period its agreement sets",
    f"{_JIT} (agreement: purpose and period)",
)
_IDENTIFIERS_OK: Final = Reason(
    "jit.minimisation.identifiers",
    "the request names the accounts or identifiers concerned",
    "Comity rule: minimisation (as for mutual legal assistance)",
)
_IDENTIFIERS_MISSING: Final = Reason(
    "jit.minimisation.identifiers",
    "a data request must name the accounts or identifiers concerned",
    _IDENTIFIERS_OK.source,
    satisfied=False,
)
_TIME_RANGE_OK: Final = Reason(
    "jit.minimisation.time_range",
    "the request bounds the time range of the data sought (or none is needed)",
    _IDENTIFIERS_OK.source,
)
_TIME_RANGE_MISSING: Final = Reason(
    "jit.minimisation.time_range",
    "the data sought span a period: the request must bound its time range",
    _IDENTIFIERS_OK.source,
    satisfied=False,
)
_GROUNDS: Final = Reason(
    "jit.refusal_grounds",
    "inside a joint team there is no refusal stage: the parties agreed to act together",
    f"{_JIT} (agreement)",
)
_USE_LIMITS: Final = ObligationSpec(
    "respect_use_limits",
    "information obtained through the team is used only for the team's purposes, or for others with the "
    "consent of the state that provided it",
    "FD 2002/465/JHA Art. 1(10); 2000 EU MLA Convention Art. 13(10); JIT model agreement item 10",
)
_NOTIFY: Final = ObligationSpec(
    "notify_affected_person",
    "the person affected is informed of the measure and the remedies open, under the law of the state where "
    "the team operates",
    "Comity rule: notice (no measure affecting a person without notice)",
)

_LAW_REASONS: Interned[tuple[str, str, bool], Reason] = Interned()
_ISSUER_REASONS: Interned[tuple[str, str], tuple[Reason, str]] = Interned()


def apply(d: Draft) -> None:
    """Apply the JIT rules to ``d``."""
    action = d.action
    if action.kind not in _KINDS:
        d.add(_SCOPE_REASONS[action.kind])
        return
    executing = action.executing_state
    d.add(_SCOPE)

    # The team acts under the law of the state where it operates: the measure needs that law's basis.
    code = d.offence.code
    criminal = d.executing.criminalises(code)
    key = (executing, code, criminal)
    reason = _LAW_REASONS.get(key)
    if reason is None:
        text = (
            f"the team operates in {executing} and acts under its law, which makes {code} an offence"
            if criminal
            else f"the team would act under the law of {executing}, where {code} is not an offence: "
            "no measure can be taken there"
        )
        reason = _LAW_REASONS.put(key, Reason("jit.law_of_operation", text, _LAW_SOURCE, criminal))
    d.add(reason)

    ikey = (action.issuer.value, executing)
    found = _ISSUER_REASONS.get(ikey)
    if found is None:
        by = AUTHORITY_NAMES[action.issuer]
        found = _ISSUER_REASONS.put(
            ikey,
            (
                Reason(
                    "jit.issuer",
                    f"{by} acts as a team member; its competence is that of the law of {executing}",
                    f"{_JIT} (agreement: members and leader)",
                ),
                f"{by} is a member of the team competent for this measure under the law of {executing}, "
                "as stated",
            ),
        )
    d.add(found[0])
    d.assumptions.append(found[1])

    minimisation(d, (_IDENTIFIERS_OK, _IDENTIFIERS_MISSING), (_TIME_RANGE_OK, _TIME_RANGE_MISSING))
    d.add(_GROUNDS)
    agreed_limits(d, "jit")
    d.obligations.append(_USE_LIMITS)
    if action.kind in _NOTIFIABLE:
        d.obligations.append(deferred_notice(_NOTIFY, d))

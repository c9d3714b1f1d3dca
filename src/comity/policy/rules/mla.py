"""Mutual legal assistance (MLA): a request to the executing state to take a measure under its own law.

The reference notes give no article-level MLA rules (they mention the 2000 EU MLA Convention, the 1959
Council of Europe Convention (ETS 30) and Budapest Arts 25-31 only in passing), so these are Comity's
choices, documented in ``docs/policy.md`` and flagged provisional:

* issuer: a judicial authority or prosecutor, or another authority validated by one (MLA requests are
  judicial requests; cf. ETS 30 Art. 15);
* data requests name identifiers and bound their time range (as e-Evidence Art. 5(5)(c), (e) and Budapest
  Art. 29(2) require of comparable requests);
* dual criminality: the executing state may refuse where the conduct is not an offence under its law; the
  list-offence exemption applies only if the agreement grants it (``Agreement.list_offence_exemption``);
* open grounds: political offence, sovereignty / security / ordre public (cf. Budapest Art. 27(4)), ne bis in
  idem, manifest breach of fundamental rights;
* time limits: only those the agreement states; there is no statutory default.
"""

from __future__ import annotations

from typing import Final

from comity.kinds import DATA_ACTIONS, JUDICIAL_AUTHORITIES, RESTRICTIVE_ACTIONS, ActionKind, AuthorityType
from comity.policy.model import Reason
from comity.policy.rules.common import (
    AUTHORITY_NAMES,
    BUDAPEST,
    COMITY,
    EEV,
    Draft,
    Interned,
    ObligationSpec,
    a_kind,
    agreed_period,
    deadline_names,
    deferred_notice,
)

_MLA: Final = "mutual legal assistance"
#: provisional: Comity's rule (the reference gives no MLA issuer rule): judicial authorities or prosecutors.
_COMPETENT: Final = JUDICIAL_AUTHORITIES | {AuthorityType.PROSECUTOR}
#: provisional: grounds open whatever the facts in MLA (cf. Budapest Art. 27(4), ETS 30 Art. 2) [R].
GENERAL_GROUNDS: Final = (
    "political_offence",
    "sovereignty_security_ordre_public",
    "ne_bis_in_idem",
    "manifest_breach_of_fundamental_rights",
)
#: Same exemption threshold as the list of 32 (FD 2002/584/JHA Art. 2(2)), where the agreement grants it. [V]
LIST_EXEMPTION_MONTHS: Final = 36

_KINDS: Final = frozenset(ActionKind) - {ActionKind.VOLUNTARY_REMOVAL, ActionKind.ADVISORY_NOTICE}
_PRESERVING: Final = frozenset({ActionKind.PRESERVATION, ActionKind.PRESERVATION_EXTENSION})
_NOTIFIABLE: Final = RESTRICTIVE_ACTIONS | {ActionKind.PRODUCTION, ActionKind.INFORMATION_ORDER}

_SCOPE_OK: Final = Reason(
    "mla.scope",
    "a request for assistance, executed by the executing state under its own law",
    f"{COMITY}: {_MLA}",
)
_SCOPE_REASONS: Final = {
    kind: Reason(
        "mla.scope",
        f"{a_kind(kind)} is a voluntary request to a platform, not a request to a state: use "
        "the platform's terms",
        f"{COMITY}: {_MLA}",
        satisfied=False,
    )
    for kind in ActionKind
    if kind not in _KINDS
}
IDENTIFIERS_OK: Final = Reason(
    "mla.minimisation.identifiers",
    "the request names the accounts or identifiers concerned",
    f"{COMITY}: minimisation (cf. {EEV} Art. 5(5)(c); {BUDAPEST} Art. 29(2)(c)-(d))",
)
IDENTIFIERS_MISSING: Final = Reason(
    "mla.minimisation.identifiers",
    "a data request must name the accounts or identifiers concerned",
    IDENTIFIERS_OK.source,
    satisfied=False,
)
TIME_RANGE_OK: Final = Reason(
    "mla.minimisation.time_range",
    "the request bounds the time range of the data sought (or none is needed)",
    f"{COMITY}: minimisation (cf. {EEV} Art. 5(5)(e))",
)
TIME_RANGE_MISSING: Final = Reason(
    "mla.minimisation.time_range",
    "the data sought span a period: the request must bound its time range",
    TIME_RANGE_OK.source,
    satisfied=False,
)
_DUAL_NOT_AT_ISSUE: Final = Reason(
    "mla.refusal_grounds",
    "the conduct is an offence in the executing state: dual criminality cannot be raised",
    f"{COMITY}: {_MLA} (dual criminality)",
)
_DUAL_EXEMPT: Final = Reason(
    "mla.refusal_grounds",
    "not an offence in the executing state, but the agreement exempts list offences punishable by at least 3 "
    "years in the issuing state",
    f"{COMITY}: {_MLA} (agreement's list-offence exemption)",
)
_DUAL_AVAILABLE: Final = Reason(
    "mla.refusal_grounds",
    "the conduct is not an offence in the executing state: it may refuse for lack of dual criminality",
    f"{COMITY}: {_MLA} (dual criminality)",
)
#: Without agreed limits, by regime prefix ("mla", "jit").
_NO_LIMITS: Final = {
    prefix: Reason(
        f"{prefix}.deadline",
        "the agreement states no time limit for this request: it is executed as promptly as a domestic case",
        f"{COMITY}: {name}",
    )
    for prefix, name in (("mla", _MLA), ("jit", "joint investigation team"))
}
_NOTIFY: Final = ObligationSpec(
    "notify_affected_person",
    "the person affected is informed of the measure and the remedies open, under the executing state's law",
    f"{COMITY}: notice (no measure affecting a person without notice)",
)
_ASSUMED_EMERGENCY: Final = (
    "emergency: as stated by the issuing authority (the agreement's emergency limits apply)"
)

_ISSUER_REASONS: Interned[tuple[AuthorityType, AuthorityType | None], Reason] = Interned()


def _issuer(issuer: AuthorityType, validator: AuthorityType | None) -> Reason:
    by = AUTHORITY_NAMES[issuer]
    source = f"{COMITY}: {_MLA} requests are judicial (cf. ETS 30 Art. 15)"
    if issuer in _COMPETENT:
        return Reason("mla.issuer", f"{by} may send a request for assistance", source)
    if validator in _COMPETENT:
        assert validator is not None
        return Reason(
            "mla.issuer", f"{by} may send the request validated by {AUTHORITY_NAMES[validator]}", source
        )
    return Reason(
        "mla.issuer",
        f"{by} may send a request for assistance only if a judge, court, investigating judge or prosecutor "
        "validates it",
        source,
        satisfied=False,
    )


def minimisation(d: Draft, identifiers: tuple[Reason, Reason], time_range: tuple[Reason, Reason]) -> None:
    """Data requests name their identifiers and bound their time range (where one applies)."""
    action = d.action
    if action.kind not in DATA_ACTIONS:
        return
    d.add(identifiers[0] if action.identifiers_named else identifiers[1])
    bounded = action.time_range_bounded or not action.time_range_applicable
    d.add(time_range[0] if bounded else time_range[1])


def agreed_limits(d: Draft, prefix: str) -> None:
    """Deadline, review window and preservation period, as the agreement states them."""
    action = d.action
    kind = action.kind
    emergency = action.emergency
    # For a preservation request the agreement's "preservation" entry is how long data are kept, not a time to
    # act: the requested state preserves without undue delay.
    if kind not in _PRESERVING:
        d.deadline = agreed_period(
            d, deadline_names(kind, emergency), f"{prefix}.deadline", "time to execute"
        )
    d.review_window = agreed_period(
        d,
        ("review_emergency", "review") if emergency else ("review",),
        f"{prefix}.review_window",
        "time to raise grounds",
    )
    if kind in _PRESERVING:
        d.preservation = agreed_period(d, ("preservation",), f"{prefix}.preservation", "preservation period")
    if d.deadline is None and d.review_window is None and d.preservation is None:
        d.add(_NO_LIMITS[prefix])


def apply(d: Draft) -> None:
    """Apply the MLA rules to ``d``."""
    action = d.action
    kind = action.kind
    if kind not in _KINDS:
        d.add(_SCOPE_REASONS[kind])
        return
    d.add(_SCOPE_OK)
    key = (action.issuer, action.validated_by)
    reason = _ISSUER_REASONS.get(key)
    if reason is None:
        reason = _ISSUER_REASONS.put(key, _issuer(action.issuer, action.validated_by))
    d.add(reason)
    minimisation(d, (IDENTIFIERS_OK, IDENTIFIERS_MISSING), (TIME_RANGE_OK, TIME_RANGE_MISSING))
    if action.emergency:
        d.assumptions.append(_ASSUMED_EMERGENCY)

    d.general_grounds = GENERAL_GROUNDS
    if d.executing.criminalises(d.offence.code):
        d.add(_DUAL_NOT_AT_ISSUE)
    elif (
        d.agreement.list_offence_exemption
        and d.offence.list_offence
        and d.statute.max_penalty_months >= LIST_EXEMPTION_MONTHS
    ):
        d.add(_DUAL_EXEMPT)
    else:
        d.grounds = ("dual_criminality",)
        d.add(_DUAL_AVAILABLE)

    agreed_limits(d, "mla")
    if kind in _NOTIFIABLE:
        d.obligations.append(deferred_notice(_NOTIFY, d))

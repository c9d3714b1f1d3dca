"""Comity's own rules, applied whatever the regime (before and after the regime's rules).

Before: the agreement is in force on the day of the action, both states are parties to it, it covers the
offence, the statute is the issuing state's law for that offence, the measure is permitted for the offence's
severity band (proportionality), and a jurisdictional link is stated. After (they read what the regime
settled): the data category is one the agreement shares, the territorial scope stays within the
agreement's, and a deferred notice stays within the agreement's bound.
"""

from __future__ import annotations

from datetime import UTC
from typing import Final

from comity.kinds import ActionKind, DataCategory
from comity.policy.model import Reason
from comity.policy.rules.common import BUDAPEST, COMITY, Draft, Interned, agreement_texts

#: The links that give a state a reason to act (cf. Convention on Cybercrime Art. 22, jurisdiction).
JURISDICTIONAL_LINKS: Final = frozenset(
    {"offence_in_territory", "victims_in_territory", "targeting", "nationality", "residence"}
)

_LINK_SOURCE: Final = f"{COMITY}: a stated jurisdictional link (cf. {BUDAPEST} Art. 22)"
_LINK_REASONS: Final = {
    link: Reason(
        "comity.jurisdictional_link", f"jurisdictional link stated: {link.replace('_', ' ')}", _LINK_SOURCE
    )
    for link in JURISDICTIONAL_LINKS
}
_LINK_FROM_TERRITORY: Final = Reason(
    "comity.jurisdictional_link",
    "jurisdictional link implied by the facts: the offence was committed in the issuing state",
    _LINK_SOURCE,
)
_LINK_FROM_RESIDENCE: Final = Reason(
    "comity.jurisdictional_link",
    "jurisdictional link implied by the facts: the person concerned resides in the issuing state",
    _LINK_SOURCE,
)
_LINK_MISSING: Final = Reason(
    "comity.jurisdictional_link",
    "no jurisdictional link is stated: say why the issuing state may act (offence in its territory, victims "
    "in its territory, targeting of its market, nationality or residence)",
    _LINK_SOURCE,
    satisfied=False,
)
_UNKNOWN_LINKS: Interned[str, Reason] = Interned()


_PARTY_REASONS: Interned[tuple[str, int, str, str, bool, bool], Reason] = Interned()
_OFFENCE_REASONS: Interned[tuple[str, int, str, bool], Reason] = Interned()
_BAND_REASONS: Interned[tuple[str, int, int, ActionKind, bool], Reason] = Interned()
_STATUTE_REASONS: Interned[tuple[str, str, int, bool], Reason] = Interned()
_DATA_REASONS: Interned[tuple[str, int, DataCategory, bool], Reason] = Interned()


def apply_before(d: Draft) -> None:
    """Comity's rules on the agreement, the offence and the link, before the regime's own rules."""
    action = d.action
    agreement = d.agreement
    texts = agreement_texts(agreement)
    ref_id = agreement.id
    version = agreement.version

    # In force on the day of the action (UTC calendar day: the parties' zones differ; UTC is neutral).
    # An agreement past its sunset authorises nothing.
    day = d.when.astimezone(UTC).date()
    if agreement.effective <= day <= agreement.sunset:
        d.add(texts.in_force)
    elif day < agreement.effective:
        d.add(
            Reason(
                "comity.in_force",
                f"{ref_id} v{version} is not yet in effect on {day} (effective {agreement.effective})",
                texts.in_force.source,
                satisfied=False,
            )
        )
    else:
        d.add(
            Reason(
                "comity.in_force",
                f"{ref_id} v{version} is past its sunset ({agreement.sunset}) on {day}: it authorises "
                "nothing",
                texts.in_force.source,
                satisfied=False,
            )
        )

    # Both states are parties.
    parties = agreement.jurisdictions
    issuing_in = action.issuing_state in parties
    executing_in = action.executing_state in parties
    key = (ref_id, version, action.issuing_state, action.executing_state, issuing_in, executing_in)
    reason = _PARTY_REASONS.get(key)
    if reason is None:
        reason = _PARTY_REASONS.put(key, _parties_reason(d, issuing_in, executing_in, texts.parties))
    d.add(reason)

    # The agreement covers the offence.
    code = d.offence.code
    covered = code in agreement.offences
    okey = (ref_id, version, code, covered)
    reason = _OFFENCE_REASONS.get(okey)
    if reason is None:
        text = (
            f"{ref_id} covers the offence {code}"
            if covered
            else f"{ref_id} does not cover the offence {code} "
            f"(it covers {', '.join(sorted(agreement.offences))})"
        )
        reason = _OFFENCE_REASONS.put(okey, Reason("comity.offence_covered", text, texts.offence, covered))
    d.add(reason)

    # The statute is the issuing state's law mapped onto this offence (thresholds read its maximum).
    statute = d.statute
    fits = statute.jurisdiction == action.issuing_state and statute.offence == code
    skey = (statute.id, action.issuing_state, statute.max_penalty_months, fits)
    reason = _STATUTE_REASONS.get(skey)
    if reason is None:
        if fits:
            text = (
                f"offence defined by {statute.citation} ({statute.id}), maximum penalty "
                f"{statute.max_penalty_months} months in {statute.jurisdiction}"
            )
        else:
            text = (
                f"statute {statute.id} is {statute.jurisdiction} law for {statute.offence}, not "
                f"{action.issuing_state} law for {code}"
            )
        reason = _STATUTE_REASONS.put(skey, Reason("comity.statute", text, f"{COMITY}: legality", fits))
    d.add(reason)

    # Proportionality: the agreement permits this measure for the offence's severity band.
    band = d.offence.severity
    permitted = agreement.permits(band, action.kind)
    bkey = (ref_id, version, int(band), action.kind, permitted)
    reason = _BAND_REASONS.get(bkey)
    if reason is None:
        if permitted:
            text = f"{action.kind.value} is permitted for {band.label}-severity offences"
        else:
            allowed = sorted(k.value for k in agreement.permitted_measures.get(band, frozenset()))
            text = (
                f"{action.kind.value} is not permitted for {band.label}-severity offences "
                f"(permitted: {', '.join(allowed) or 'none'}): disproportionate"
            )
        reason = _BAND_REASONS.put(bkey, Reason("comity.proportionality", text, texts.permitted, permitted))
    d.add(reason)

    # A stated jurisdictional link, or one the facts imply.
    link = action.jurisdictional_link
    if link is None:
        if action.committed_in_issuing is True:
            d.add(_LINK_FROM_TERRITORY)
        elif action.person_resides_in_issuing is True:
            d.add(_LINK_FROM_RESIDENCE)
        else:
            d.add(_LINK_MISSING)
    else:
        reason = _LINK_REASONS.get(link) or _UNKNOWN_LINKS.get(link)
        if reason is None:
            reason = _UNKNOWN_LINKS.put(
                link,
                Reason(
                    "comity.jurisdictional_link",
                    f"{link!r} is not a recognised jurisdictional link "
                    f"(one of {', '.join(sorted(JURISDICTIONAL_LINKS))})",
                    _LINK_SOURCE,
                    satisfied=False,
                ),
            )
        d.add(reason)


def _parties_reason(d: Draft, issuing_in: bool, executing_in: bool, source: str) -> Reason:
    issuing = d.action.issuing_state
    executing = d.action.executing_state
    ref = d.agreement.id
    if issuing_in and executing_in:
        text = (
            f"{issuing} and {executing} are parties to {ref}"
            if issuing != executing
            else f"{issuing} is a party to {ref}"
        )
        return Reason("comity.parties", text, source)
    missing = [s for s, inside in ((issuing, issuing_in), (executing, executing_in)) if not inside]
    text = f"{' and '.join(dict.fromkeys(missing))} not a party to {ref}: it binds only its parties"
    return Reason("comity.parties", text, source, satisfied=False)


#: Actions that send data across (preservation keeps it at the provider until a later production).
_TRANSFERS: Final = frozenset({ActionKind.PRODUCTION, ActionKind.INFORMATION_ORDER})


def apply_after(d: Draft) -> None:
    """Comity's rules that read what the regime settled: data category, territorial scope, notice deferral."""
    action = d.action
    agreement = d.agreement
    data = d.data
    if data is not None and action.kind in _TRANSFERS:
        shared = data in agreement.data_categories
        key = (agreement.id, agreement.version, data, shared)
        reason = _DATA_REASONS.get(key)
        if reason is None:
            text = (
                f"{agreement.id} lets {data.value} data be shared"
                if shared
                else f"{agreement.id} does not let {data.value} data be shared "
                f"(it shares {', '.join(sorted(c.value for c in agreement.data_categories)) or 'no data'})"
            )
            reason = _DATA_REASONS.put(
                key, Reason("comity.data_category", text, agreement_texts(agreement).data, shared)
            )
        d.add(reason)

    scope = action.territorial_scope
    if scope:
        allowed = agreement.territorial_scope or agreement.jurisdictions
        outside = [s for s in scope if s not in allowed]
        source = agreement_texts(agreement).scope
        if outside:
            d.add(
                Reason(
                    "comity.territorial_scope",
                    f"the measure would take effect in {', '.join(outside)}, outside the agreement's "
                    f"territorial scope ({', '.join(sorted(allowed))})",
                    source,
                    satisfied=False,
                )
            )
        else:
            d.add(
                Reason(
                    "comity.territorial_scope",
                    f"the measure takes effect only in {', '.join(scope)}, within the agreement's scope",
                    source,
                )
            )

    days = action.notice_deferral_days
    if days is not None:
        bound = agreement.notice.max_deferral_days
        source = agreement_texts(agreement).notice
        if 0 <= days <= bound:
            d.add(
                Reason(
                    "comity.notice_deferral",
                    f"notice to the person deferred {days} days, within the agreement's bound of {bound} "
                    "days",
                    source,
                )
            )
            d.assumptions.append(f"notice deferral of {days} days: approved by a judge (not checked here)")
        else:
            d.add(
                Reason(
                    "comity.notice_deferral",
                    f"a notice deferral of {days} days exceeds the agreement's bound of {bound} days"
                    if days > bound
                    else "a notice deferral cannot be negative",
                    source,
                    satisfied=False,
                )
            )

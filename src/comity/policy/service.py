"""Policy decisions as the API and the CLI ask for them: from codes and facts to a reasoned decision.

``decide`` resolves the codes of a :class:`~comity.policy.schemas.PolicyRequest` against a
:class:`~comity.policy.model.PolicyContext` (unknown codes are errors naming them, never refusals), chooses
what the caller left open (the agreement, the statute, the issuer's type) and says so, then asks the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from comity.agreements.model import Agreement
from comity.errors import FieldError, InvalidInput, NotFound
from comity.kinds import DATA_ACTIONS, ActionKind, AuthorityType
from comity.policy.engine import evaluate
from comity.policy.model import Decision, PolicyContext, ProposedAction
from comity.policy.schemas import PolicyRequest, decision_to_json
from comity.vocabulary.model import JurisdictionProfile, Offence, Statute

__all__ = ["DEFAULT_ISSUER", "Resolution", "covering_agreements", "decide", "resolution_to_json"]

#: Without a stated issuer Comity assumes police: the authority type a case officer usually has, and the one
#: with the least power of its own, so an assumed issuer never makes an action look more lawful than it is.
DEFAULT_ISSUER = AuthorityType.POLICE


@dataclass(frozen=True, slots=True)
class Resolution:
    """A decision with everything it was resolved against, and the choices made for the caller."""

    decision: Decision
    action: ProposedAction
    agreement: Agreement
    offence: Offence
    statute: Statute
    issuing: JurisdictionProfile
    executing: JurisdictionProfile
    choices: tuple[str, ...]


def covering_agreements(
    agreements: Iterable[Agreement],
    *,
    issuing: str,
    executing: str,
    offence: str,
    kind: ActionKind,
    on: date,
) -> list[Agreement]:
    """Agreements in force on ``on`` that bind both states, cover ``offence`` and permit ``kind`` (any band).

    Whether the offence's own band permits the measure is left to the engine (proportionality), so a refusal
    on that ground is explained rather than hidden behind "no agreement".
    """
    found = []
    for agreement in agreements:
        parties = agreement.jurisdictions
        if (
            issuing in parties
            and executing in parties
            and offence in agreement.offences
            and agreement.in_force(on)
            and any(kind in kinds for kinds in agreement.permitted_measures.values())
        ):
            found.append(agreement)
    return sorted(found, key=lambda a: (a.id, a.version))


def _jurisdiction(context: PolicyContext, code: str, field: str) -> JurisdictionProfile:
    profile = context.jurisdictions.get(code)
    if profile is None:
        raise NotFound(f"unknown jurisdiction {code!r} ({field})", field=field, code=code)
    return profile


def _agreement(
    context: PolicyContext,
    request: PolicyRequest,
    offence: Offence,
    on: date,
    choices: list[str],
) -> Agreement:
    if request.agreement is not None:
        for agreement in context.agreements:
            if agreement.id == request.agreement:
                return agreement
        raise NotFound(f"unknown agreement {request.agreement!r}", field="agreement", code=request.agreement)
    issuing, executing = request.from_state, request.to_state
    candidates = covering_agreements(
        context.agreements,
        issuing=issuing,
        executing=executing,
        offence=offence.code,
        kind=request.measure,
        on=on,
    )
    if len(candidates) == 1:
        agreement = candidates[0]
        choices.append(
            f"agreement: {agreement.id} v{agreement.version} ({agreement.regime.value}), the one agreement "
            f"in force between {issuing} and {executing} that covers {offence.code} and permits "
            f"{request.measure.value}"
        )
        return agreement
    if candidates:
        ids = [a.id for a in candidates]
        raise InvalidInput(
            f"several agreements between {issuing} and {executing} cover {offence.code} and permit "
            f"{request.measure.value} on {on}: {', '.join(ids)}; name one",
            [FieldError("agreement", f"choose one of {', '.join(ids)}")],
            candidates=ids,
        )
    between = sorted(
        a.id for a in context.agreements if issuing in a.jurisdictions and executing in a.jurisdictions
    )
    known = f" (agreements between them: {', '.join(between)})" if between else ""
    raise InvalidInput(
        f"no agreement in force on {on} between {issuing} and {executing} covers {offence.code} and permits "
        f"{request.measure.value}{known}",
        [FieldError("agreement", "no applicable agreement; name one to see why it does not apply")],
        candidates=between,
    )


def _statute(
    context: PolicyContext,
    request: PolicyRequest,
    issuing: JurisdictionProfile,
    offence: Offence,
    choices: list[str],
) -> Statute:
    if request.statute is not None:
        for statute in issuing.statutes:
            if statute.id == request.statute:
                if statute.offence != offence.code:
                    raise InvalidInput(
                        f"statute {statute.id} maps onto {statute.offence}, not {offence.code}",
                        [FieldError("statute", f"maps onto {statute.offence}, not {offence.code}")],
                    )
                return statute
        for profile in context.jurisdictions.values():
            if any(s.id == request.statute for s in profile.statutes):
                raise InvalidInput(
                    f"statute {request.statute} is {profile.code} law, not {issuing.code} law",
                    [
                        FieldError(
                            "statute", f"a statute of {profile.code}, not of the issuing state {issuing.code}"
                        )
                    ],
                )
        raise NotFound(f"unknown statute {request.statute!r}", field="statute", code=request.statute)
    mapped = issuing.statutes_for(offence.code)
    if not mapped:
        raise InvalidInput(
            f"{issuing.code} maps no statute onto {offence.code}: the conduct is not an offence there as "
            "far as its profile says; map one in the profile or name a statute",
            [FieldError("statute", f"no statute of {issuing.code} maps onto {offence.code}")],
        )
    statute = mapped[0]
    also = f" (of {len(mapped)})" if len(mapped) > 1 else ""
    choices.append(
        f"statute: {statute.id} ({statute.citation}, up to {statute.max_penalty_months} months), the most "
        f"serious {issuing.code} statute mapped onto {offence.code}{also}"
    )
    return statute


def decide(context: PolicyContext, request: PolicyRequest, *, now: datetime) -> Resolution:
    """Resolve ``request`` against ``context`` and evaluate it, stating every choice made for the caller.

    Raises ``NotFound`` for an unknown offence, state, agreement or statute, and ``InvalidInput`` when the
    agreement cannot be chosen (none or several apply: the candidates are named) or the codes do not fit.
    """
    offence = context.offences.get(request.offence)
    if offence is None:
        raise NotFound(f"unknown offence code {request.offence!r}", field="offence", code=request.offence)
    issuing = _jurisdiction(context, request.from_state, "from_state")
    executing = _jurisdiction(context, request.to_state, "to_state")
    fields = request.model_fields_set
    choices: list[str] = []
    when = request.at or now
    agreement = _agreement(context, request, offence, when.astimezone(UTC).date(), choices)
    statute = _statute(context, request, issuing, offence, choices)

    issuer = request.issuer
    if issuer is None:
        issuer = DEFAULT_ISSUER
        choices.append(
            f"issuer not stated: assumed {issuer.value} (a case officer's authority, with no power of its "
            "own)"
        )
    # Identifiers matter wherever a person, account or listing is targeted; a payment freeze names property.
    if "identifiers_named" not in fields and request.measure is not ActionKind.PAYMENT_FREEZE:
        choices.append("identifiers named: assumed (not stated)")
    if request.measure in DATA_ACTIONS and "time_range_bounded" not in fields:
        choices.append("time range bounded: assumed (not stated)")

    committed_in_issuing = request.committed_in_issuing
    committed_in_executing = request.committed_in_executing
    if request.committed_in is not None:
        committed_in_issuing = request.committed_in == request.from_state
        committed_in_executing = request.committed_in == request.to_state
    resides = request.person_resides_in_issuing
    if request.resides_in is not None:
        resides = request.resides_in == request.from_state

    action = ProposedAction(
        kind=request.measure,
        issuing_state=issuing.code,
        executing_state=executing.code,
        offence=offence.code,
        issuer=issuer,
        statute_id=statute.id,
        data_category=request.data,
        validated_by=request.validated_by,
        emergency=request.emergency,
        committed_in_issuing=committed_in_issuing,
        person_resides_in_issuing=resides,
        committed_in_executing=committed_in_executing,
        identifiers_named=request.identifiers_named,
        time_range_applicable=request.time_range_applicable,
        time_range_bounded=request.time_range_bounded,
        territorial_scope=tuple(request.territorial_scope),
        illegal_in=tuple(request.illegal_in),
        illegality_source=request.illegality_source,
        jurisdictional_link=request.jurisdictional_link,
        at=request.at,
        received_at=request.received_at,
        notice_deferral_days=request.notice_deferral_days,
        original_received_at=request.original_received_at,
    )
    decision = evaluate(
        action,
        agreement=agreement,
        offence=offence,
        statute=statute,
        issuing=issuing,
        executing=executing,
        now=now,
    )
    # The caller sees every choice made for it first, then what the engine assumed.
    decision.assumptions[:0] = choices
    return Resolution(
        decision=decision,
        action=action,
        agreement=agreement,
        offence=offence,
        statute=statute,
        issuing=issuing,
        executing=executing,
        choices=tuple(choices),
    )


def resolution_to_json(resolution: Resolution) -> dict[str, Any]:
    """The decision JSON plus the statute relied on and the choices made (the API's answer)."""
    body = decision_to_json(resolution.decision)
    statute = resolution.statute
    body["statute"] = {
        "id": statute.id,
        "citation": statute.citation,
        "max_penalty_months": statute.max_penalty_months,
    }
    body["choices"] = list(resolution.choices)
    return body

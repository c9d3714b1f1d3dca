"""The policy engine as measures use it: ask with the measure's facts, keep what was asked and decided,
find the agreement and its notice rules (deferral bound)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from comity.agreements.service import current_context
from comity.cases.model import Case
from comity.errors import ComityError, FieldError, InvalidInput
from comity.kinds import ActionKind, AuthorityType
from comity.measures.model import Measure
from comity.policy.service import decide, resolution_to_json


def check_deferral_bound(session: Session, measure: Measure, until: datetime, now: datetime) -> None:
    """Refuse a deferral that ends in the past or beyond the agreement's ``notice.max_deferral_days``."""
    agreement = agreement_of(session, measure)
    bound = agreement.notice.max_deferral_days if agreement else 0
    if until <= now or until - now > timedelta(days=bound):
        raise InvalidInput(
            f"a notice may be deferred by at most {bound} days under "
            f"{agreement.id if agreement else 'no agreement'}",
            [FieldError("until", f"must be within {bound} days from now")],
        )


def agreement_of(session: Session, measure: Measure) -> Any:
    """The agreement the measure operates under: as recorded, or (for a draft) the one the policy chooses."""
    if measure.agreement_id is None:
        try:
            _request, resolution = ask_policy(session, measure, now=measure.created_at, validated_by=None)
        except ComityError:
            return None  # the draft does not say enough yet to choose one
        return resolution.agreement
    return next((a for a in current_context(session).agreements if a.id == measure.agreement_id), None)


def ask_policy(
    session: Session,
    measure: Measure,
    *,
    now: datetime,
    validated_by: AuthorityType | None,
    received_at: datetime | None = None,
) -> tuple[dict[str, Any], Any]:
    """Put the measure to the policy engine; return the request as asked and the resolution."""
    from comity.policy.schemas import PolicyRequest

    case = session.get(Case, measure.case_id)
    links = list(case.jurisdictional_links or []) if case else []
    deferral_days = None
    if measure.notice_deferral_until is not None:
        deferral_days = max(1, (measure.notice_deferral_until - now).days)
    request = PolicyRequest(
        from_state=measure.issuing_jurisdiction,
        to_state=measure.executing_jurisdiction,
        offence=measure.offence,
        measure=ActionKind(measure.kind),
        agreement=measure.agreement_id,
        statute=measure.statute,
        issuer=AuthorityType(measure.issuer_authority_type),
        validated_by=validated_by,
        emergency=measure.urgent,
        territorial_scope=list(measure.territorial_scope or []),
        data=measure.data_category,
        notice_deferral_days=deferral_days,
        at=now,
        received_at=received_at,
        jurisdictional_link=links[0] if links else None,
    )
    resolution = decide(current_context(session), request, now=now)
    return request.model_dump(mode="json", exclude_none=True), resolution


def keep_decision(measure: Measure, request: dict[str, Any], resolution: Any) -> None:
    """Store what was asked and the decision with its reasons (and the agreement it chose)."""
    measure.policy_request = request
    measure.policy_decision = resolution_to_json(resolution)
    measure.agreement_id = resolution.agreement.id
    measure.regime = resolution.agreement.regime.value

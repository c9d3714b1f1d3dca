"""Read models of requests (for the API, the pages and the CLI)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from comity.assistance_requests.model import AssistanceRequest
from comity.assistance_requests.schemas import RequestDetail, RequestSummary, StepRead
from comity.assistance_requests.service import allowed_now, steps_of


def summary(request: AssistanceRequest) -> RequestSummary:
    """The headline of a request."""
    return RequestSummary(
        id=request.id,
        case_id=request.case_id,
        procedure=request.procedure,
        regime=request.regime,
        measure=request.measure,
        emergency=request.emergency,
        from_state=request.from_state,
        to_state=request.to_state,
        status=request.status,
        due_at=request.due_at,
        created_at=request.created_at,
    )


def detail(session: Session, request: AssistanceRequest, *, now: datetime) -> RequestDetail:
    """The whole request with its steps (each with its policy decision) and the actions open now."""
    head = summary(request).model_dump()
    return RequestDetail(
        **head,
        data_category=request.data_category,
        agreement_id=request.agreement_id,
        agreement_version=request.agreement_version,
        offence_code=request.offence_code,
        statute=request.statute,
        addressee_organisation_id=request.addressee_organisation_id,
        target_ids=[str(t) for t in request.target_ids],
        time_from=request.time_from,
        time_to=request.time_to,
        issuer_authority=request.issuer_authority,
        validated_by_authority=request.validated_by_authority,
        validated_at=request.validated_at,
        notify_executing_state=request.notify_executing_state,
        suspensive=request.suspensive,
        transmitted_at=request.transmitted_at,
        review_ends_at=request.review_ends_at,
        preservation_ends_at=request.preservation_ends_at,
        ex_post_due_at=request.ex_post_due_at,
        extension_count=request.extension_count,
        grounds=[str(g) for g in request.grounds],
        grounds_partial=request.grounds_partial,
        non_execution_reasons=[str(r) for r in request.non_execution_reasons],
        allowed_next=[a.value for a in allowed_now(request, now) if a.value != "lapse"],
        steps=[StepRead.model_validate(s, from_attributes=True) for s in steps_of(session, request.id)],
    )

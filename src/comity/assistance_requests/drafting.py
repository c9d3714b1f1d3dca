"""Drafting a request: it must fit its case (offence, targets), name a bounded time range and an agreement
in effect; the engine is asked at once and only the issuer's own competence may still be missing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from comity.agreements.service import current_context
from comity.assistance_requests.model import REQUEST_MEASURES, AssistanceRequest, Status, procedure_for
from comity.assistance_requests.schemas import RequestCreate
from comity.assistance_requests.service import ask_engine, record_step, refusal, unsatisfied
from comity.cases import service as cases
from comity.cases.model import CaseAction, CaseOffence, CaseTarget, next_case_status
from comity.clock import Clock
from comity.errors import FieldError, InvalidInput, MissingLegalElement
from comity.identity.model import Organisation
from comity.identity.principal import Principal
from comity.ids import new_id
from comity.kinds import DATA_ACTIONS, ActionKind, OrganisationKind, Regime


def _check_create(
    session: Session, case_id: str, data: RequestCreate
) -> tuple[CaseOffence, list[CaseTarget]]:
    errors: list[FieldError] = []
    offence = session.get(CaseOffence, data.offence_id)
    if offence is None or offence.case_id != case_id:
        errors.append(FieldError("offence_id", "not an offence charged in this case"))
    targets = [session.get(CaseTarget, t) for t in dict.fromkeys(data.target_ids)]
    found = [t for t in targets if t is not None and t.case_id == case_id]
    if len(found) != len(targets):
        errors.append(FieldError("target_ids", "every target must be a target of this case"))
    if data.measure not in REQUEST_MEASURES:
        errors.append(FieldError("measure", "not a measure a request asks for (extensions are a step)"))
    if errors:
        raise InvalidInput("the request does not fit its case", errors)
    missing: list[FieldError] = []
    if data.measure in DATA_ACTIONS:
        if data.time_from is None:
            missing.append(FieldError("time_from", "a data request names a bounded time range"))
        if data.time_to is None:
            missing.append(FieldError("time_to", "a data request names a bounded time range"))
    if data.measure is ActionKind.PRODUCTION and data.data_category is None:
        missing.append(FieldError("data_category", "a production request names its data category"))
    if missing:
        raise MissingLegalElement("legal elements missing", missing)
    if data.time_from is not None and data.time_to is not None and data.time_to <= data.time_from:
        raise InvalidInput("empty time range", [FieldError("time_to", "must be after time_from")])
    assert offence is not None
    return offence, found


def create_request(
    session: Session, *, clock: Clock, principal: Principal, case_id: str, data: RequestCreate
) -> AssistanceRequest:
    """Draft a request in an open case; the engine is asked at once (only the issuer's competence may
    still be missing: validation supplies it)."""
    now = clock.now()
    case = cases.require_editor(session, principal, case_id, at=now)
    next_case_status(case.id, case.status, CaseAction.EDIT)
    offence, targets = _check_create(session, case.id, data)
    if data.to_state == principal.jurisdiction:
        raise InvalidInput("not cross-border", [FieldError("to_state", "must be another jurisdiction")])
    agreement = next((a for a in current_context(session).agreements if a.id == data.agreement_id), None)
    if agreement is None:
        raise InvalidInput(
            "unknown agreement", [FieldError("agreement_id", "no agreement in effect has this id")]
        )
    if data.addressee_organisation_id is not None:
        org = session.get(Organisation, data.addressee_organisation_id)
        if org is None or org.kind != OrganisationKind.PLATFORM.value or org.jurisdiction != data.to_state:
            raise InvalidInput(
                "unknown addressee",
                [FieldError("addressee_organisation_id", f"must be a platform in {data.to_state}")],
            )
    if principal.authority_type is None:
        raise MissingLegalElement(
            "no issuing authority", [FieldError("issuer", "your organisation is no authority")]
        )
    request = AssistanceRequest(
        id=new_id("req"),
        case_id=case.id,
        procedure="",
        regime=agreement.regime.value,
        measure=data.measure.value,
        data_category=data.data_category.value if data.data_category else None,
        emergency=data.emergency,
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        offence_id=offence.id,
        offence_code=offence.taxonomy_code,
        statute=offence.statute,
        from_state=case.lead_jurisdiction,
        to_state=data.to_state,
        addressee_organisation_id=data.addressee_organisation_id,
        target_ids=[t.id for t in targets],
        time_from=data.time_from,
        time_to=data.time_to,
        committed_in_issuing=data.committed_in_issuing,
        person_resides_in_issuing=data.person_resides_in_issuing,
        issuer_authority=principal.authority_type.value,
        validated_by_authority=None,
        validated_at=None,
        status=Status.DRAFT.value,
        notify_executing_state=False,
        suspensive=False,
        extension_count=0,
        grounds=[],
        grounds_partial=None,
        non_execution_reasons=[],
        created_by=principal.actor,
        created_at=now,
        updated_at=now,
        step_count=0,
    )
    resolution = ask_engine(session, request, now=now)
    refused = unsatisfied(resolution, tolerate_issuer=True)
    if refused:
        raise refusal(resolution, refused, "draft this request")
    procedure = procedure_for(Regime(agreement.regime), data.measure)
    if procedure is None:
        raise InvalidInput(
            f"the {agreement.regime.value} regime has no procedure for {data.measure.value}",
            [FieldError("measure", f"not available under {agreement.regime.value}")],
        )
    request.procedure = procedure.value
    session.add(request)
    session.flush()
    record_step(
        session,
        clock=clock,
        actor=principal.actor,
        request=request,
        action="create",
        from_status=None,
        resolution=resolution,
        details={"procedure": procedure.value, "target_ids": request.target_ids},
    )
    return request

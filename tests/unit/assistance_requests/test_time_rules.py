"""The time and once-only rules that narrow the machines (``allowed_now``), DB-free."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from comity.assistance_requests.model import Action, AssistanceRequest, Procedure, Status
from comity.assistance_requests.service import allowed_now

T0 = datetime(2026, 9, 1, 8, tzinfo=UTC)


def _request(procedure: Procedure, status: Status, **fields: object) -> AssistanceRequest:
    values: dict[str, object] = {
        "procedure": procedure.value,
        "status": status.value,
        "suspensive": False,
        "emergency": False,
        "validated_at": None,
        "review_ends_at": None,
        "preservation_ends_at": None,
        "extension_count": 0,
        "grounds_partial": None,
    }
    values.update(fields)
    return AssistanceRequest(**values)


def test_day_10_rule_holds_delivery_until_the_review_window_ends() -> None:
    ends = T0 + timedelta(days=10)
    request = _request(
        Procedure.EEV_PRODUCTION, Status.EXECUTING_STATE_REVIEWING, suspensive=True, review_ends_at=ends
    )
    assert Action.DELIVER not in allowed_now(request, T0)
    assert Action.DELIVER not in allowed_now(request, ends - timedelta(seconds=1))
    assert Action.DELIVER in allowed_now(request, ends)
    assert Action.ACCEPT in allowed_now(request, T0)  # the executing state may confirm earlier


def test_emergency_is_not_suspensive() -> None:
    request = _request(
        Procedure.EEV_PRODUCTION,
        Status.EXECUTING_STATE_REVIEWING,
        suspensive=False,
        review_ends_at=T0 + timedelta(hours=96),
    )
    assert Action.DELIVER in allowed_now(request, T0)


def test_delivery_after_grounds_only_when_partial() -> None:
    assert Action.DELIVER in allowed_now(
        _request(Procedure.EEV_PRODUCTION, Status.GROUNDS_RAISED, grounds_partial=True), T0
    )
    assert Action.DELIVER not in allowed_now(
        _request(Procedure.EEV_PRODUCTION, Status.GROUNDS_RAISED, grounds_partial=False), T0
    )


def test_ex_post_validation_only_for_unvalidated_emergencies() -> None:
    assert Action.VALIDATE in allowed_now(
        _request(Procedure.EEV_PRODUCTION, Status.ISSUED, emergency=True), T0
    )
    assert Action.VALIDATE not in allowed_now(
        _request(Procedure.EEV_PRODUCTION, Status.ISSUED, emergency=False), T0
    )
    validated = _request(Procedure.EEV_PRODUCTION, Status.ISSUED, emergency=True, validated_at=T0)
    assert Action.VALIDATE not in allowed_now(validated, T0)
    assert Action.VALIDATE in allowed_now(_request(Procedure.EEV_PRODUCTION, Status.AWAITING_VALIDATION), T0)


def test_extension_once_and_only_before_the_period_ends() -> None:
    ends = T0 + timedelta(days=60)
    request = _request(Procedure.EEV_PRESERVATION, Status.PRESERVED, preservation_ends_at=ends)
    assert Action.EXTEND in allowed_now(request, T0)
    assert Action.LAPSE not in allowed_now(request, T0)
    assert Action.EXTEND not in allowed_now(request, ends)
    assert Action.LAPSE in allowed_now(request, ends)
    request.extension_count = 1
    assert Action.EXTEND not in allowed_now(request, T0)


def test_budapest_has_no_extension_and_confirmed_production_never_lapses() -> None:
    request = _request(
        Procedure.BUDAPEST_PRESERVATION, Status.PRESERVED, preservation_ends_at=T0 + timedelta(days=60)
    )
    assert Action.EXTEND not in allowed_now(request, T0)
    confirmed = _request(Procedure.EEV_PRESERVATION, Status.PRODUCTION_CONFIRMED, preservation_ends_at=None)
    assert Action.LAPSE not in allowed_now(confirmed, T0 + timedelta(days=1000))

"""Every transition of the notice state machine, allowed and refused."""

from __future__ import annotations

import pytest

from comity.errors import IllegalTransition
from comity.notices.model import NOTICE_TRANSITIONS, NoticeAction, NoticeStatus, next_notice_status

PAIRS = [(s, a) for s in NoticeStatus for a in NoticeAction]


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_notice_transition(status: NoticeStatus, action: NoticeAction) -> None:
    allowed = NOTICE_TRANSITIONS[status]
    if action in allowed:
        assert next_notice_status("n1", status.value, action) is allowed[action]
    else:
        with pytest.raises(IllegalTransition) as caught:
            next_notice_status("n1", status.value, action)
        assert caught.value.extensions["allowed_next"] == [a.value for a in allowed]


def test_a_deferred_notice_only_goes_out_and_a_sent_one_is_final() -> None:
    assert next_notice_status("n", "deferred", NoticeAction.RELEASE) is NoticeStatus.SENDING
    assert NOTICE_TRANSITIONS[NoticeStatus.SENT] == {}

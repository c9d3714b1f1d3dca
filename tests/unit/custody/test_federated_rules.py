"""Rules of evidence between nodes that need no database: onward sharing, retraction, message marking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comity.custody.errors import EvidenceRetracted, OnwardSharingRefused
from comity.custody.model import EvidenceItem
from comity.custody.service import refuse_if_retracted
from comity.custody.sharing import check_shareable, message_tlp
from comity.errors import Conflict
from comity.transport.tlp import RULE_AMBER, RULE_AMBER_STRICT, RULE_RED, Tlp

NOW = datetime(2026, 9, 1, tzinfo=UTC)


def _item(tlp: Tlp, *, origin: str | None = "DE", retracted: bool = False) -> EvidenceItem:
    return EvidenceItem(
        id="evd_1", tlp=tlp.value, origin_node=origin, retracted_at=NOW if retracted else None
    )


@pytest.mark.parametrize(
    ("tlp", "recipient", "rule"),
    [
        (Tlp.RED, "DE", RULE_RED),
        (Tlp.RED, "FR", RULE_RED),
        (Tlp.AMBER_STRICT, "DE", RULE_AMBER_STRICT),
        (Tlp.AMBER_STRICT, "FR", RULE_AMBER_STRICT),
        (Tlp.AMBER, "FR", RULE_AMBER),
    ],
)
def test_a_received_item_is_refused_where_its_tlp_forbids(tlp: Tlp, recipient: str, rule: str) -> None:
    with pytest.raises(OnwardSharingRefused) as caught:
        check_shareable(_item(tlp), recipient=recipient)
    assert caught.value.status == 403
    assert caught.value.extensions["rule"] == rule
    assert rule in caught.value.detail


@pytest.mark.parametrize(
    ("tlp", "recipient"),
    [(Tlp.AMBER, "DE"), (Tlp.GREEN, "DE"), (Tlp.GREEN, "FR"), (Tlp.CLEAR, "FR")],
)
def test_a_received_item_goes_where_its_tlp_allows(tlp: Tlp, recipient: str) -> None:
    check_shareable(_item(tlp), recipient=recipient)


@pytest.mark.parametrize("tlp", list(Tlp))
def test_the_originator_may_send_its_own_item_at_any_level(tlp: Tlp) -> None:
    check_shareable(_item(tlp, origin=None), recipient="FR")


@pytest.mark.parametrize("origin", [None, "DE"])
def test_a_retracted_item_is_never_shared(origin: str | None) -> None:
    with pytest.raises(Conflict) as caught:
        check_shareable(_item(Tlp.CLEAR, origin=origin, retracted=True), recipient="DE")
    assert caught.value.extensions["rule"] == "retracted-never-shared"


def test_a_retracted_copy_can_no_longer_be_read_but_the_originals_can() -> None:
    with pytest.raises(EvidenceRetracted) as caught:
        refuse_if_retracted(_item(Tlp.AMBER, retracted=True))
    assert caught.value.status == 410
    refuse_if_retracted(_item(Tlp.AMBER, origin=None, retracted=True))
    refuse_if_retracted(_item(Tlp.AMBER))


def test_a_message_carrying_evidence_is_never_marked_below_amber() -> None:
    assert [message_tlp(t) for t in Tlp] == [Tlp.AMBER, Tlp.AMBER, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]

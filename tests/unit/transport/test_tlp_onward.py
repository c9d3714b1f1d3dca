"""TLP 2.0 on onward sharing between nodes: each level, from an item received or collected here."""

from __future__ import annotations

import pytest

from comity.transport.tlp import RULE_AMBER, RULE_AMBER_STRICT, RULE_RED, Tlp, onward_refusal


def _rule(marking: Tlp, recipient: str, origin: str | None = "DE") -> str | None:
    refusal = onward_refusal(marking, origin=origin, recipient=recipient)
    return None if refusal is None else refusal[0]


@pytest.mark.parametrize("recipient", ["DE", "FR"])
def test_red_is_never_passed_on(recipient: str) -> None:
    assert _rule(Tlp.RED, recipient) == RULE_RED


@pytest.mark.parametrize("recipient", ["DE", "FR"])
def test_amber_strict_never_leaves_the_receiving_organisation(recipient: str) -> None:
    assert _rule(Tlp.AMBER_STRICT, recipient) == RULE_AMBER_STRICT


def test_amber_goes_back_to_its_origin_only() -> None:
    assert _rule(Tlp.AMBER, "DE") is None
    assert _rule(Tlp.AMBER, "FR") == RULE_AMBER
    refusal = onward_refusal(Tlp.AMBER, origin="DE", recipient="FR")
    assert refusal is not None
    assert "back to DE only" in refusal[1]


@pytest.mark.parametrize("marking", [Tlp.GREEN, Tlp.CLEAR])
@pytest.mark.parametrize("recipient", ["DE", "FR"])
def test_green_and_clear_go_to_any_peer(marking: Tlp, recipient: str) -> None:
    assert _rule(marking, recipient) is None


@pytest.mark.parametrize("marking", list(Tlp))
def test_the_originator_shares_its_own_items_as_it_chooses(marking: Tlp) -> None:
    assert _rule(marking, "FR", origin=None) is None

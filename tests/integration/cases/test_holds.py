"""An open case holds its evidence in the vault; a closed one no longer does."""

from __future__ import annotations

from comity.cases import service
from comity.cases.holds import open_case_holds
from comity.custody.holds import hold_sources
from comity.custody.model import EvidenceItem
from integration.cases.world import World


def test_open_case_holds_its_evidence(world: World) -> None:
    assert open_case_holds in hold_sources()
    case_id, _, _ = world.open_case()
    item = EvidenceItem(case_id=case_id)
    with world.container.transaction() as session:
        assert open_case_holds(session, item) == f"case {case_id} is open"
        assert open_case_holds(session, EvidenceItem(case_id="case_elsewhere")) is None
        service.close_case(
            session, clock=world.clock, principal=world.who("officer"), case_id=case_id, reason="done"
        )
    with world.container.transaction() as session:
        assert open_case_holds(session, item) is None

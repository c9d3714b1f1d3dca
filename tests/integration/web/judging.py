"""A measure waiting on the judge's page, for the page-security tests."""

from __future__ import annotations

from datetime import timedelta

from integration.measures.world import World


def awaiting(world: World) -> str:
    """A provisional removal order awaiting a judge (prior notice skip asked); its id."""
    m = world.draft(
        kind="removal_order",
        provisional=True,
        urgent=True,
        ends_at=None,
        review_at=(world.clock.now() + timedelta(days=5)).isoformat(),
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="the stock would be moved",
    )
    assert world.submit(m.id).status == "awaiting_authorisation"
    return m.id

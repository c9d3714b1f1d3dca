"""``comity audit invariants``: clean on a node used through its services; for each invariant, breaking it
with raw SQL makes the audit name exactly that violation (and nothing else)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from comity.cli.audit import app as audit_app
from comity.web.container import Container
from integration.measures.world import World, build_world

runner = CliRunner()


@pytest.fixture
def world(container: Container) -> World:
    # The CLI audits at the wall clock: run the node's clock a little behind it, so deadlines are real.
    assert hasattr(container.clock, "set")
    container.clock.set(datetime.now(UTC).replace(microsecond=0) - timedelta(days=10))  # type: ignore[attr-defined]
    return build_world(container)


@pytest.fixture
def measures(world: World) -> dict[str, str]:
    """A voluntary removal (prior notice ran), a provisional order and a judicial order (skips approved)."""
    voluntary = world.issued_voluntary()
    provisional = world.issued_provisional(review_days=7)
    judicial = world.draft(
        kind="removal_order",
        legal_basis="Regulation (EU) 2022/2065 Art. 9",
        escalation_reason="the provisional order lapsed and the listings came back",
        prior_notice_skip_ground="would_defeat",
        prior_notice_skip_reason="the stock would be moved",
    )
    world.submit(judicial.id)
    world.authorise(judicial.id, approve_prior_notice_skip=True)
    world.issue(judicial.id)
    return {"voluntary": voluntary.id, "provisional": provisional.id, "judicial": judicial.id}


def _audit(container: Container) -> tuple[int, dict[str, Any]]:
    env = {
        "COMITY_DATABASE_URL": container.engine.url.render_as_string(hide_password=False),
        "COMITY_HOME": str(container.settings.home),
    }
    result = runner.invoke(audit_app, ["invariants", "--json"], env=env)
    return result.exit_code, json.loads(result.output)


def test_a_node_used_through_its_services_violates_nothing(
    container: Container, measures: dict[str, str]
) -> None:
    code, body = _audit(container)
    assert body["violations"] == []
    assert code == 0
    assert {
        "measure_legal_elements",
        "measure_notice",
        "prior_notice",
        "competent_authority",
        "provisional_review",
        "human_decision",
        "audit_trail",
        "history_rewritten",
    } <= set(body["checked"])


BREAKS: list[tuple[str, str, str]] = [
    ("measure_legal_elements", "voluntary", "UPDATE measures SET legal_basis = NULL WHERE id = :id"),
    ("measure_notice", "voluntary", "DELETE FROM notices WHERE measure_id = :id AND kind = 'measure_notice'"),
    (
        "prior_notice",
        "provisional",
        "UPDATE measures SET prior_notice_skip_approved_by = NULL WHERE id = :id",
    ),
    (
        "competent_authority",
        "judicial",
        "UPDATE measures SET validator_authority_type = 'police' WHERE id = :id",
    ),
    (
        "provisional_review",
        "provisional",
        "UPDATE measures SET review_deadline = issued_at, lapses_at = issued_at WHERE id = :id",
    ),
    ("human_decision", "voluntary", "UPDATE measures SET decided_by = 'model:risk-score' WHERE id = :id"),
    ("audit_trail", "judicial", "UPDATE measures SET status = 'lifted' WHERE id = :id"),
    (
        "history_rewritten",
        "voluntary",
        "UPDATE audit_events SET actor = 'user:someone-else' WHERE id = (SELECT id FROM audit_events "
        "WHERE subject_id = :id AND tag LIKE 'measures:measure:%' ORDER BY seq LIMIT 1)",
    ),
]


@pytest.mark.parametrize(("invariant", "which", "sql"), BREAKS, ids=[b[0] for b in BREAKS])
def test_breaking_one_invariant_with_raw_sql_is_named_exactly(
    container: Container, measures: dict[str, str], invariant: str, which: str, sql: str
) -> None:
    measure_id = measures[which]
    with container.engine.begin() as connection:
        assert connection.execute(text(sql), {"id": measure_id}).rowcount == 1
    code, body = _audit(container)
    assert code == 1
    assert [(v["invariant"], v["subject"]) for v in body["violations"]] == [
        (invariant, f"measure:{measure_id}")
    ]
    assert body["violations"][0]["detail"]

"""The invariant registry: capabilities register checks by name; the audit runs all, or those asked for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from comity.invariants import registry
from comity.invariants.registry import Violation, check_all, invariants, register_invariant

NOW = datetime(2026, 9, 1, tzinfo=UTC)


def test_the_measure_invariants_are_registered() -> None:
    assert {
        "measure_legal_elements",
        "measure_notice",
        "prior_notice",
        "competent_authority",
        "provisional_review",
        "human_decision",
        "audit_trail",
        "history_rewritten",
    } <= set(invariants())


def test_a_registered_check_runs_and_only_filters(monkeypatch: Any) -> None:
    monkeypatch.setattr(registry, "_CHECKS", {})
    monkeypatch.setattr(registry, "CHECK_MODULES", ())

    @register_invariant("always_broken")
    def _broken(session: Any, now: datetime) -> Iterator[Violation]:
        yield Violation("always_broken", "thing:1", f"checked at {now.isoformat()}")

    @register_invariant("always_fine")
    def _fine(session: Any, now: datetime) -> Iterator[Violation]:
        return iter(())

    found = check_all(object(), now=NOW)  # type: ignore[arg-type]
    assert [v.as_dict() for v in found] == [
        {"invariant": "always_broken", "subject": "thing:1", "detail": "checked at 2026-09-01T00:00:00+00:00"}
    ]
    assert check_all(object(), now=NOW, only=["always_fine"]) == []  # type: ignore[arg-type]

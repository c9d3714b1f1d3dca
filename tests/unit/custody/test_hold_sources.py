"""Hold sources are loaded before anything is destroyed, and a missing one stops destruction."""

from __future__ import annotations

import pytest

from comity.custody import holds
from comity.errors import ConfigurationError


def test_the_case_capability_registers_the_open_case_hold() -> None:
    names = {source.__module__ for source in holds.hold_sources()}
    assert "comity.cases.holds" in names


def test_a_hold_source_that_cannot_be_loaded_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(holds, "HOLD_SOURCE_MODULES", ("comity.no_such_capability.holds",))
    with pytest.raises(ConfigurationError, match="will not be destroyed while a hold might be missed"):
        holds.hold_sources()


def test_registering_is_idempotent_and_reversible() -> None:
    def source(session: object, item: object) -> str | None:
        return None

    before = len(holds.hold_sources())
    holds.register_hold_source(source)  # type: ignore[arg-type]
    holds.register_hold_source(source)  # type: ignore[arg-type]
    assert len(holds.hold_sources()) == before + 1
    holds.unregister_hold_source(source)  # type: ignore[arg-type]
    assert len(holds.hold_sources()) == before

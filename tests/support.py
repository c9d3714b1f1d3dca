"""Small helpers shared by tests (importable as ``support``: tests/ is on the pytest path)."""

from __future__ import annotations


def bearer(token: str) -> dict[str, str]:
    """Authorization header for a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def problem_fields(body: dict[str, object]) -> list[str]:
    """The field paths named by a problem+json body."""
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [str(e["path"]) for e in errors if isinstance(e, dict)]

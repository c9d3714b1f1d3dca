"""Small helpers shared by tests (importable as ``support``: tests/ is on the pytest path)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine, text

import comity.models  # noqa: F401  (every table registered, so empty_all_tables empties them all)
from comity.db import Base


def bearer(token: str) -> dict[str, str]:
    """Authorization header for a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def form_token(html: str) -> str:
    """The CSRF token in a page's (first) form, as a browser would post it back."""
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def page_login(client: httpx.Client, token: str, next: str = "/cases") -> httpx.Response:
    """Sign in through the /login form as a browser does: load the form, post it with its CSRF token."""
    csrf = form_token(client.get("/login").text)
    return client.post(
        "/login", data={"token": token, "next": next, "csrf_token": csrf}, follow_redirects=False
    )


def post_form(
    client: httpx.Client, page: str, action: str, data: dict[str, str], **kw: object
) -> httpx.Response:
    """Post ``data`` to ``action`` with the CSRF token of the form on ``page``, like a browser."""
    csrf = form_token(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": csrf}, **kw)  # type: ignore[arg-type]


def problem_fields(body: dict[str, object]) -> list[str]:
    """The field paths named by a problem+json body."""
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [str(e["path"]) for e in errors if isinstance(e, dict)]


def empty_all_tables(engine: Engine) -> None:
    """Delete every row of every table (children first); the per-test clean-up of the shared database."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))

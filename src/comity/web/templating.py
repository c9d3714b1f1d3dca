"""Jinja2 templates shared by every feature's pages (one environment, one base layout)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))

#: Navigation of the base layout: (path, label). Features append their entries at import time.
NAVIGATION: list[tuple[str, str]] = [("/", "Home")]


def add_navigation(path: str, label: str) -> None:
    if (path, label) not in NAVIGATION:
        NAVIGATION.append((path, label))


def _utc(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


templates.env.globals["navigation"] = NAVIGATION
templates.env.filters["utc"] = _utc

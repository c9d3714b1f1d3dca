"""Jinja2 templates shared by every feature's pages (one environment, one base layout)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from comity.web.csrf import csrf_field
from comity.web.flash import flash_message

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))

#: Navigation of the base layout: (path, label). Features append their entries at import time.
NAVIGATION: list[tuple[str, str]] = [("/", "Home")]

#: What each page is for, shown on the home page (path -> one sentence).
DESCRIPTIONS: dict[str, str] = {
    "/policy": "Put a proposed cross-border action to the policy engine and read every rule it applied.",
    "/agreements": "The cooperation instruments in force: parties, scope, deadlines, sunset dates.",
    "/offences": "The shared offence taxonomy, with severity bands and the list of 32 categories.",
    "/jurisdictions": "Each jurisdiction's time zone, holidays, challenge period and statutes.",
    "/governance": "Every version of the vocabulary and the agreements, and its oversight approval.",
    "/keys": "The public keys of this node's trust anchors, authorities and officers.",
    "/alerts": "Open alerts raised on this node, by kind.",
}


def add_navigation(path: str, label: str, description: str | None = None) -> None:
    """Add a page to the base layout's navigation (and, with a description, to the home page)."""
    if (path, label) not in NAVIGATION:
        NAVIGATION.append((path, label))
    if description:
        DESCRIPTIONS[path] = description


def _utc(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


templates.env.globals["navigation"] = NAVIGATION
templates.env.globals["descriptions"] = DESCRIPTIONS
templates.env.filters["utc"] = _utc
# Every POST form includes {{ csrf_field() }}; the base layout shows the page's {{ flash_message() }}.
templates.env.globals["csrf_field"] = csrf_field
templates.env.globals["flash_message"] = flash_message

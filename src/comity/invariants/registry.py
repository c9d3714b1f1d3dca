"""A registry of due-process invariants (DESIGN §3), checked over any database by ``comity audit invariants``.

A check is ``(session, now) -> iterable of Violation``; it reads the database and says what breaks the
invariant, naming the subject. Capabilities register theirs at import time::

    from comity.invariants.registry import Violation, register_invariant

    @register_invariant("request_deadline_tracked")
    def _check(session, now):
        for row in ...:
            yield Violation("request_deadline_tracked", f"request:{row.id}", "why")

and add their module to :data:`CHECK_MODULES` (one line) so the CLI imports it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

Check = Callable[[Session, datetime], Iterable["Violation"]]

#: Modules that register invariants when imported.
CHECK_MODULES: tuple[str, ...] = ("comity.invariants.measures", "comity.invariants.requests")

_CHECKS: dict[str, Check] = {}


@dataclass(frozen=True, slots=True)
class Violation:
    """One breach: which invariant, which subject (``type:id``), and what is wrong."""

    invariant: str
    subject: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        """The JSON form ``comity audit invariants --json`` prints."""
        return asdict(self)


def register_invariant(name: str) -> Callable[[Check], Check]:
    """Decorator: register ``check`` under ``name`` (names are unique; re-registering replaces)."""

    def _register(check: Check) -> Check:
        _CHECKS[name] = check
        return check

    return _register


def invariants() -> dict[str, Check]:
    """Every registered invariant, by name (importing the modules that register them)."""
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return dict(sorted(_CHECKS.items()))


def check_all(session: Session, *, now: datetime, only: Iterable[str] = ()) -> list[Violation]:
    """Run every invariant (or those named) and return the violations, in invariant order."""
    wanted = set(only)
    found: list[Violation] = []
    for name, check in invariants().items():
        if wanted and name not in wanted:
            continue
        found.extend(check(session, now))
    return found

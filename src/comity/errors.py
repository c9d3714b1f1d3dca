"""The one error hierarchy of Comity.

Every error a caller can provoke derives from :class:`ComityError`; the web layer maps the family to an
HTTP status in one place (``comity.web.problems``) and the CLI prints ``str(error)`` and exits non-zero.
Anything else escaping is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of an input: ``path`` is a JSON-pointer-like dotted path."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class ComityError(Exception):
    """Root of every error Comity raises on purpose."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions: dict[str, Any] = extensions


class RateLimited(ComityError):
    """The caller sent more than its share; ``retry_after`` (seconds) says when to try again."""

    status = 429
    title = "Too many requests"
    type_slug = "rate-limited"


class InvalidInput(ComityError):
    """The input is malformed or breaks a field rule; carries the offending field paths."""

    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"

    def __init__(self, detail: str, errors: Sequence[FieldError] = (), **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.errors = list(errors)


class MissingLegalElement(InvalidInput):
    """A legal element required by due process (basis, justification, authority...) is absent."""

    title = "Missing legal element"
    type_slug = "missing-legal-element"


class NotFound(ComityError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(ComityError):
    """The request conflicts with current state (duplicate, stale version)."""

    status = 409
    title = "Conflict"
    type_slug = "conflict"


class IllegalTransition(Conflict):
    """A state machine refused a transition; names the current state and the allowed next ones."""

    title = "Illegal transition"
    type_slug = "illegal-transition"

    def __init__(self, subject: str, current: str, attempted: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"{subject} is {current!r}: cannot {attempted!r}; allowed next: {', '.join(allowed) or 'none'}",
            current_state=current,
            attempted=attempted,
            allowed_next=list(allowed),
        )


class Unauthenticated(ComityError):
    status = 401
    title = "Authentication required"
    type_slug = "unauthenticated"


class Forbidden(ComityError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class PolicyRefused(ComityError):
    """The policy engine refused an action; the decision with its reasons is attached."""

    status = 422
    title = "Refused by policy"
    type_slug = "policy-refused"


class VerificationError(ComityError):
    """Root of every failure to verify something signed, hashed or proven. Messages are precise."""

    status = 422
    title = "Verification failed"
    type_slug = "verification-failed"


class ConfigurationError(ComityError):
    """The node is misconfigured (unreachable database, bad settings file)."""

    status = 500
    title = "Configuration error"
    type_slug = "configuration-error"

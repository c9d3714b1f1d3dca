"""Checks on what a verified payload says, shared by every verifier so refusals read the same everywhere.

The envelope proves who signed which bytes; these checks decide whether that signer may do this act, for
this addressee, now, once. Each raises the precise member of the verification error family.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path

from comity.kinds import AuthorityType
from comity.signing.errors import Expired, IssuedInFuture, NotCompetent, Replayed, WrongAddressee
from comity.signing.keys import KeyInfo

#: Ids a seen-store accepts: printable, no whitespace, bounded (they are written one per line).
_ID_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")


def require_authority(signer: KeyInfo, *, allowed: Collection[AuthorityType], act: str) -> AuthorityType:
    """Return the signer's authority type if it is one of ``allowed``, else :class:`NotCompetent`.

    ``act`` names what was attempted (``"a removal order under dsa_order"``) for the message.
    """
    wanted = ", ".join(sorted(a.value for a in allowed)) or "none"
    held = signer.holder.authority_type
    if held is None:
        raise NotCompetent(
            f"key {signer.keyid} is not an authority's key ({signer.purpose.value} of "
            f"{signer.holder.describe()}); {act} must be signed by: {wanted}",
            keyid=signer.keyid,
        )
    if held not in allowed:
        raise NotCompetent(
            f"key {signer.keyid} belongs to a {held.value} authority ({signer.holder.describe()}); "
            f"{act} must be signed by: {wanted}",
            keyid=signer.keyid,
            authority_type=held.value,
        )
    return held


def require_addressee(*, addressed_to: str, expected: str, what: str = "this object") -> None:
    """Refuse ``what`` unless it is addressed to ``expected``."""
    if addressed_to != expected:
        raise WrongAddressee(
            f"{what} is addressed to {addressed_to[:120]!r}, not to {expected!r}",
            addressee=addressed_to[:120],
        )


def require_unexpired(*, expires_at: datetime | None, at: datetime, what: str = "this object") -> None:
    """Refuse ``what`` at or after its ``expires_at`` (no expiry: always fine)."""
    if expires_at is not None and at >= expires_at:
        raise Expired(f"{what} expired at {expires_at.isoformat()}; it is now {at.isoformat()}")


def require_not_future(
    *, created_at: datetime, at: datetime, skew: timedelta, what: str = "this object"
) -> None:
    """Refuse ``what`` if it claims to be created more than ``skew`` after ``at`` (clocks drift, a bit)."""
    if created_at > at + skew:
        raise IssuedInFuture(
            f"{what} claims creation at {created_at.isoformat()}, beyond {at.isoformat()} plus "
            f"the allowed clock skew of {int(skew.total_seconds())} s"
        )


class MemorySeenIds:
    """Ids already accepted, in memory (one process; tests, the in-process transport)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def check(self, object_id: str, *, what: str = "object") -> None:
        """Raise :class:`Replayed` if ``object_id`` was recorded before."""
        if object_id in self._ids:
            raise Replayed(
                f"{what} {object_id[:200]} was already accepted: replay refused", id=object_id[:200]
            )

    def record(self, object_id: str) -> None:
        """Remember ``object_id`` as accepted."""
        if not _ID_PATTERN.match(object_id):
            raise ValueError("ids are 1-200 printable ASCII characters without spaces")
        self._ids.add(object_id)

    def forget(self, object_id: str) -> None:
        """Drop ``object_id`` (once its object has expired, expiry alone refuses a replay)."""
        self._ids.discard(object_id)


class FileSeenIds(MemorySeenIds):
    """Ids already accepted, one per line in a file a platform keeps beside its trust store.

    Used offline (``comity verify order --seen FILE``): :meth:`check` before accepting, :meth:`record` only
    after every other check passed, so a refused object is never marked as seen.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self._ids.add(line.strip())

    def record(self, object_id: str) -> None:
        """Remember ``object_id`` and append it to the file durably before returning."""
        super().record(object_id)
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write(object_id + "\n")
            handle.flush()
            os.fsync(handle.fileno())

"""Who may reach a notice: whoever may reach its measure (``comity.measures.access``), which follows the
case. The readers of the case read the notice; its lead and investigators act on it (resend); the platform
it was addressed through reads it once the order is issued; the oversight of the issuing jurisdiction reads
its delivery status, never its content or recipient. Anyone else gets NotFound.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.access import Granted
from comity.clock import Clock
from comity.errors import NotFound
from comity.identity.principal import Principal
from comity.measures.access import measure_access
from comity.measures.model import Measure
from comity.notices.model import Notice


def notice_access(
    session: Session, *, clock: Clock, principal: Principal, notice_id: str, edit: bool = False
) -> Granted[Notice]:
    """The notice and why the caller may reach it (``edit``: act on it as an editing officer of its case).

    NotFound unless the caller may reach the notice's measure; Forbidden for a reader asking to act.
    """
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id[:60]!r}")
    try:
        granted = measure_access(
            session, clock=clock, principal=principal, measure_id=notice.measure_id, edit=edit
        )
    except NotFound:
        raise NotFound(f"no notice {notice_id[:60]!r}") from None
    return Granted(notice, granted.grant)


def visible_notices(
    session: Session,
    *,
    clock: Clock,
    principal: Principal,
    measure_id: str | None = None,
    limit: int = 200,
) -> list[Granted[Notice]]:
    """The notices the caller may reach, newest first, each with its grant."""
    stmt = select(Notice, Measure).join(Measure, Measure.id == Notice.measure_id)
    if measure_id is not None:
        stmt = stmt.where(Notice.measure_id == measure_id)
    ordered = stmt.order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)
    rows: Sequence[tuple[Notice, Measure]] = [(row[0], row[1]) for row in session.execute(ordered)]
    grants: dict[str, Granted[Measure] | None] = {}
    out = []
    for notice, measure in rows:
        if measure.id not in grants:
            try:
                grants[measure.id] = measure_access(
                    session, clock=clock, principal=principal, measure_id=measure.id
                )
            except NotFound:
                grants[measure.id] = None
        granted = grants[measure.id]
        if granted is not None:
            out.append(Granted(notice, granted.grant))
    return out

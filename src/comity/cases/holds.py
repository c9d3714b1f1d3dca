"""The case capability's legal-hold source for the evidence vault: an open case holds its evidence.

Registered with ``comity.custody.holds`` when imported (by the web app and the worker), so retention never
destroys evidence of a case that is still open (DESIGN §3: no data outlives its retention unless under a
legal hold, such as an open case).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from comity.cases.model import Case, CaseStatus
from comity.custody.holds import register_hold_source
from comity.custody.model import EvidenceItem


@register_hold_source
def open_case_holds(session: Session, item: EvidenceItem) -> str | None:
    """Why ``item`` must be kept: its case is open (None when the case is closed or unknown here)."""
    case = session.get(Case, item.case_id)
    if case is not None and case.status == CaseStatus.OPEN.value:
        return f"case {case.id} is open"
    return None

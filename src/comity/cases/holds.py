"""The case capability's legal-hold source for the evidence vault: an open case holds its evidence.

It keeps evidence past its retention date while the case is open; it does not stop a destruction the
case's own officers decide (a duplicate capture, a court's order to destroy), which explicit holds do.

Registered with ``comity.custody.holds`` when imported (by the web app and the worker), so retention never
destroys evidence of a case that is still open (DESIGN §3: no data outlives its retention unless under a
legal hold, such as an open case).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from comity.cases.model import Case, CaseStatus
from comity.custody.holds import retention_hold_source
from comity.custody.model import EvidenceItem


@retention_hold_source
def open_case_holds(session: Session, item: EvidenceItem) -> str | None:
    """Why ``item`` must be kept: its case is open (None when the case is closed or unknown here)."""
    case = session.get(Case, item.case_id)
    if case is not None and case.status == CaseStatus.OPEN.value:
        return f"case {case.id} is open"
    return None

"""Imports every table module so ``Base.metadata`` is complete (for migrations and tests)."""

from __future__ import annotations

from comity.alerts import model as alerts_model
from comity.assistance_requests import model as assistance_requests_model
from comity.audit import model as audit_model
from comity.cases import model as cases_model
from comity.custody import model as custody_model
from comity.federation import model as federation_model
from comity.governance import model as governance_model
from comity.identity import model as identity_model
from comity.keys import model as keys_model
from comity.measures import model as measures_model
from comity.notices import model as notices_model
from comity.outbox import model as outbox_model
from comity.translog import model as translog_model

__all__ = [
    "alerts_model",
    "assistance_requests_model",
    "audit_model",
    "cases_model",
    "custody_model",
    "federation_model",
    "governance_model",
    "identity_model",
    "keys_model",
    "measures_model",
    "notices_model",
    "outbox_model",
    "translog_model",
]

"""Imports every table module so ``Base.metadata`` is complete (for migrations and tests)."""

from __future__ import annotations

from comity.alerts import model as alerts_model
from comity.audit import model as audit_model
from comity.governance import model as governance_model
from comity.identity import model as identity_model
from comity.keys import model as keys_model
from comity.outbox import model as outbox_model

__all__ = ["alerts_model", "audit_model", "governance_model", "identity_model", "keys_model", "outbox_model"]

"""Worker jobs of measures: lapse unconfirmed provisional measures, expire ended ones, flag overdue answers.

Each job runs in its own transaction and returns how many measures it changed. On PostgreSQL the rows are
claimed with ``FOR UPDATE SKIP LOCKED`` so two workers never lapse the same measure; on SQLite the
transaction takes the write lock first (``BEGIN IMMEDIATE``), which serialises them.
"""

from __future__ import annotations

from comity.keys.keystore import Keystore
from comity.measures import lifecycle
from comity.web.container import Container
from comity.worker.jobs import register_job


@register_job("measures.lapse")
def lapse(container: Container) -> int:
    """Lapse provisional measures whose review deadline passed unconfirmed; tell the platforms to lift."""
    with container.transaction() as session:
        return lifecycle.lapse_due(
            session, clock=container.clock, keystore=Keystore.for_settings(container.settings)
        )


@register_job("measures.expire")
def expire(container: Container) -> int:
    """End measures past their end date; tell the platforms to lift."""
    with container.transaction() as session:
        return lifecycle.expire_due(
            session, clock=container.clock, keystore=Keystore.for_settings(container.settings)
        )


@register_job("measures.overdue")
def overdue(container: Container) -> int:
    """Alert the issuing officers about orders whose answer is overdue."""
    with container.transaction() as session:
        return lifecycle.flag_overdue(session, clock=container.clock)

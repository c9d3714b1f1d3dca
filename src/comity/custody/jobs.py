"""Worker job of the evidence vault: apply retention (purge what is past it and not under a legal hold)."""

from __future__ import annotations

from comity.custody import retention
from comity.custody.store import folder_store_for
from comity.keys.keystore import Keystore
from comity.web.container import Container
from comity.worker.jobs import register_job


@register_job("retention")
def retention_job(container: Container) -> int:
    """Worker tick: purge evidence past its retention, unless held; returns how many items were purged."""
    report = retention.run(
        container.sessions,
        clock=container.clock,
        keystore=Keystore.for_settings(container.settings),
        store=folder_store_for(container.settings),
        jurisdiction=container.settings.node_jurisdiction,
    )
    return report.count("purged")

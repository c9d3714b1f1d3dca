"""The federated demo's figures, read from each node's database: pseudonym keys, messages, handling."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select

from comity.demo.federated_setup import AGREEMENT, DemoNode
from comity.federation.model import AgreementPseudonymKey, ReceivedMessage
from comity.federation.outbound import CHANNEL as FEDERATION_CHANNEL
from comity.outbox.model import OutboxMessage, OutboxStatus


def _pseudonym_keys(node: DemoNode) -> int:
    engine = create_engine(node.database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(AgreementPseudonymKey)
                    .where(AgreementPseudonymKey.agreement_id == AGREEMENT)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def every_node_holds_a_pseudonym_key(nodes: dict[str, DemoNode]) -> dict[str, int] | None:
    """How many pseudonym keys of the agreement each node holds, once every node holds one (else None)."""
    held = {code: _pseudonym_keys(node) for code, node in nodes.items()}
    return held if all(held.values()) else None


def node_figures(node: DemoNode) -> dict[str, int]:
    """A node's federation figures, read from its database."""
    engine = create_engine(node.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(OutboxMessage.status, OutboxMessage.evidence).where(
                    OutboxMessage.channel == FEDERATION_CHANNEL
                )
            ).all()
            received = conn.execute(
                select(ReceivedMessage.retrieved_at, ReceivedMessage.handling_failed_at)
            ).all()
    finally:
        engine.dispose()
    return {
        "messages_sent": len(rows),
        "delivered": sum(1 for r in rows if r.status == OutboxStatus.DELIVERED.value),
        "receipts": sum(1 for r in rows if isinstance(r.evidence, dict) and r.evidence.get("receipt")),
        "pending": sum(
            1 for r in rows if r.status in (OutboxStatus.PENDING.value, OutboxStatus.DELIVERING.value)
        ),
        "failed": sum(1 for r in rows if r.status == OutboxStatus.FAILED.value),
        "received": len(received),
        "handled": sum(1 for r in received if r.retrieved_at is not None),
        "handling_failed": sum(1 for r in received if r.handling_failed_at is not None),
    }


def settled(nodes: dict[str, DemoNode]) -> dict[str, dict[str, int]] | None:
    """Every node's figures once no outbox is pending and every received message is handled (else None)."""
    figures = {code: node_figures(node) for code, node in nodes.items()}
    busy = any(f["pending"] or f["handled"] + f["handling_failed"] < f["received"] for f in figures.values())
    return None if busy else figures

"""Which claimed messages travel together: per channel and destination, only where the deliverer batches."""

from __future__ import annotations

from collections.abc import Sequence

from comity.outbox.model import OutboxMessage
from comity.outbox.service import MAX_BATCH, DeliveryError, DeliveryResult, _groups


class One:
    def deliver(self, message: OutboxMessage) -> DeliveryResult:
        return DeliveryResult()


class Many(One):
    def deliver_batch(self, messages: Sequence[OutboxMessage]) -> list[DeliveryResult | DeliveryError]:
        return [DeliveryResult() for _ in messages]


def test_batches_per_destination_in_claim_order_and_one_by_one_elsewhere() -> None:
    claimed = [
        ("m1", "federation", "DE"),
        ("m2", "email", "a@x"),
        ("m3", "federation", "FR"),
        ("m4", "federation", "DE"),
        ("m5", "email", "a@x"),
    ]
    groups = _groups(claimed, {"federation": Many(), "email": One()})
    assert groups == [["m1", "m4"], ["m2"], ["m3"], ["m5"]]


def test_a_long_backlog_is_cut_into_bounded_batches() -> None:
    claimed = [(f"m{i}", "federation", "DE") for i in range(MAX_BATCH * 2 + 1)]
    sizes = [len(g) for g in _groups(claimed, {"federation": Many()})]
    assert sizes == [MAX_BATCH, MAX_BATCH, 1]


def test_a_channel_without_deliverer_is_still_grouped_one_by_one() -> None:
    assert _groups([("m1", "nowhere", "x"), ("m2", "nowhere", "x")], {}) == [["m1"], ["m2"]]

"""The inbox's token bucket: bursts, sustained rate, per-address buckets, bounded memory."""

from __future__ import annotations

import pytest

from comity.errors import RateLimited
from comity.web.ratelimit import TokenBucketLimiter


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_sustained_rate() -> None:
    ticks = Ticks()
    limiter = TokenBucketLimiter(rate=2.0, burst=3, clock=ticks)
    for _ in range(3):
        limiter.take("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limiter.take("10.0.0.1")
    assert refused.value.status == 429
    assert refused.value.extensions["retry_after"] == pytest.approx(0.5)
    ticks.now = 0.5  # one token back at 2/s
    limiter.take("10.0.0.1")
    with pytest.raises(RateLimited):
        limiter.take("10.0.0.1")
    ticks.now = 100.0  # refills to the burst, not beyond
    for _ in range(3):
        limiter.take("10.0.0.1")
    with pytest.raises(RateLimited):
        limiter.take("10.0.0.1")


def test_addresses_have_their_own_buckets() -> None:
    limiter = TokenBucketLimiter(rate=1.0, burst=1, clock=Ticks())
    limiter.take("a")
    limiter.take("b")
    with pytest.raises(RateLimited):
        limiter.take("a")


def test_the_table_is_bounded_and_forgets_the_oldest_first() -> None:
    limiter = TokenBucketLimiter(rate=1.0, burst=1, clock=Ticks(), max_tracked=2)
    limiter.take("a")
    limiter.take("b")
    limiter.take("c")  # "a" is forgotten: it may come back with a full bucket (lenient, never a lock-out)
    limiter.take("a")
    with pytest.raises(RateLimited):
        limiter.take("c")


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (1.0, 0), (-1.0, 5)])
def test_nonsense_settings_are_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucketLimiter(rate=rate, burst=burst)

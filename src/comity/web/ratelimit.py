"""A token bucket per caller address, for the public routes that do expensive work before they know who
is calling (the federation inbox verifies a signature before it can tell a peer from a stranger).

Each address may make ``burst`` requests at once and ``rate`` per second sustained; past that it gets
429 with ``Retry-After`` (the outbox of a real peer treats 429 as retryable and backs off). Buckets live in
the process (one node process is one limiter) and the table is bounded: the least recently seen address is
forgotten first, which can only make the limiter more lenient, never lock a peer out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from comity.errors import RateLimited

#: Addresses remembered at most (about 100 bytes each).
MAX_TRACKED = 10_000


class TokenBucketLimiter:
    """``take(key)`` spends one token of ``key``'s bucket or raises :class:`RateLimited`."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be positive")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_tracked = max_tracked
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token for ``key``; raise ``RateLimited`` with the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                raise RateLimited(
                    f"too many requests from {key}: at most {self.rate:g}/s (bursts of {self.burst})",
                    retry_after=round(wait, 3),
                )
            self._buckets[key] = (tokens - 1.0, now)
            while len(self._buckets) > self._max_tracked:
                self._buckets.popitem(last=False)

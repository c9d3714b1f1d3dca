"""Backoff with full jitter stays under an exponential ceiling that is itself capped."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from comity.outbox.service import BACKOFF_BASE, BACKOFF_CAP, backoff


@given(st.integers(min_value=1, max_value=60), st.floats(min_value=0, max_value=1))
def test_backoff_within_capped_exponential_ceiling(attempt: int, draw: float) -> None:
    delay = backoff(attempt, rng=lambda: draw)
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(attempt - 1, 20)))
    assert timedelta(0) <= delay <= ceiling


def test_backoff_grows_then_caps() -> None:
    top = [backoff(n, rng=lambda: 1.0) for n in range(1, 14)]
    assert top[:3] == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert top[-1] == BACKOFF_CAP

"""Identifiers: random, URL-safe, sortable by creation time (UUIDv7 layout)."""

from __future__ import annotations

import os
import time
import uuid


def new_id(prefix: str = "") -> str:
    """A time-ordered UUIDv7 (RFC 9562) as 32 hex digits, optionally prefixed (``case_…``)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64  # 12 random bits (rand_a)
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # 62 random bits (rand_b)
    hex_id = uuid.UUID(int=value).hex
    return f"{prefix}_{hex_id}" if prefix else hex_id

"""Fixtures for signing tests (factories live in ``signing_support``)."""

from __future__ import annotations

import pytest

from comity.signing.keys import KeyRing
from unit.signing.signing_support import Pair, PairFactory, new_pair


@pytest.fixture
def make_pair() -> PairFactory:
    return new_pair


@pytest.fixture
def judge() -> Pair:
    return new_pair()


@pytest.fixture
def ring(judge: Pair) -> KeyRing:
    return KeyRing([judge.info])

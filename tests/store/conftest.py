"""A store in the per-test data dir, with a clock that ticks one second per reading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import ChatStore


class Clock:
    """Deterministic ``time.time`` stand-in: ordering by time never ties."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(qwendesk_home: Path, clock: Clock) -> Iterator[ChatStore]:
    s = ChatStore.open_default(clock=clock)
    yield s
    s.close()

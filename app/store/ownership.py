"""Which process is writing a streaming answer, so start-up marks only orphans "interrupted".

A message is "streaming" while some process checkpoints it. The store records that process on
the row (its pid and its start time: a pid the system gave to another process since has another
start time), and :meth:`app.store.chat_store.ChatStore.mark_interrupted` touches only answers
whose process is gone, never the live answer of another window on the same file.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import psutil

START_TOLERANCE_S = 1.0  # Linux derives start times from boot time + ticks, good to about a second


@dataclass(frozen=True)
class Owner:
    pid: int
    started: float  # the process's start time (unix seconds)

    @classmethod
    def current(cls) -> Owner:
        return _current()

    def alive(self) -> bool:
        return is_alive(self.pid, self.started)


@functools.lru_cache(maxsize=1)
def _current() -> Owner:
    pid = os.getpid()
    return Owner(pid, psutil.Process(pid).create_time())


def is_alive(pid: int | None, started: float | None) -> bool:
    """Whether the process that wrote a row still runs: same pid and same start time.

    No owner (a row from before owners were recorded) counts as gone. A process that cannot be
    inspected (another user's) is not one of ours, whatever its pid: gone too.
    """
    if pid is None or started is None:
        return False
    try:
        created = psutil.Process(pid).create_time()
    except (psutil.Error, OSError, ValueError):  # NoSuchProcess, ZombieProcess, AccessDenied
        return False
    return abs(created - started) <= START_TOLERANCE_S

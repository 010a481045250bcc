"""The parent's side of kept KV states: the files of deleted conversations, and what they take.

The worker keeps states (``app.backend.kept_states``); the window deletes conversations at any time,
also while the worker is busy. So a deleted conversation's file goes at once, from any thread, and
its key waits here for the next request, which tells the worker to drop its copy in memory too.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from pathlib import Path

from app.backend.kept_states import disk_files, file_for
from app.backend.protocol import StateKeeping


class KeptStateFiles:
    """Deletion and accounting of the kept states under one ``StateKeeping``'s directory."""

    def __init__(self) -> None:
        self._forget: set[str] = set()
        self._lock = threading.Lock()

    def forget(self, keeping: StateKeeping, key: str) -> None:
        if keeping.directory:
            file_for(keeping.directory, key).unlink(missing_ok=True)
        with self._lock:
            self._forget.add(key)

    def take_forgotten(self) -> tuple[str, ...]:
        """The keys to send with the next request (each once)."""
        with self._lock:
            keys, self._forget = tuple(self._forget), set()
        return keys

    @staticmethod
    def prune(keeping: StateKeeping, keep: Iterable[str]) -> int:
        if not keeping.directory:
            return 0
        wanted = {file_for(keeping.directory, key).name for key in keep}
        gone = 0
        for path in disk_files(Path(keeping.directory)):
            if path.name.startswith("c-") and path.name not in wanted:
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    @staticmethod
    def usage(keeping: StateKeeping) -> tuple[int, int]:
        if not keeping.directory:
            return 0, 0
        files = disk_files(Path(keeping.directory))
        size = 0
        for path in files:
            with contextlib.suppress(OSError):
                size += path.stat().st_size
        return len(files), size

"""Work on one background thread, results delivered on the main thread.

The worker thread never touches Qt: it posts ``(kind, payload)`` to a queue
that a main-thread timer drains, and the subclass turns each into a signal.
(Emitting Qt signals with Python payloads from a plain Python thread crashed
PySide6 6.12 here with a refcount error, "bool_dealloc", under a fast token
stream.) One thread serialises the work, so calls run in the order made.

Signals:
    busy_changed(bool): work started / all work finished.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger("qwendesk.ui.background")

Post = Callable[[str, Any], None]


class BackgroundWorker(QObject):
    busy_changed = Signal(bool)

    def __init__(self, executor: Executor, drain_ms: int) -> None:
        super().__init__()
        self._executor = executor
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._timer = QTimer(self)
        self._timer.setInterval(drain_ms)
        self._timer.timeout.connect(self.drain)
        self._pending = 0

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def _submit(self, work: Callable[[Post], None]) -> None:
        """Run ``work(post)`` on the worker thread; an exception it raises is posted as "failed"."""
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        self._timer.start()

        def post(kind: str, payload: Any) -> None:
            self._inbox.put((kind, payload))

        def run() -> None:
            try:
                work(post)
            except Exception as exc:  # never let a bug end the worker thread silently
                post("failed", self._failure(exc))
            finally:
                post("done", None)

        self._executor.submit(run)

    def _failure(self, exc: Exception) -> object:
        """The "failed" payload for an exception ``work`` let through (worker thread)."""
        log.exception("background work failed")
        return exc

    def _deliver(self, kind: str, payload: Any) -> None:
        """Turn one posted result into a signal (main thread)."""
        raise NotImplementedError

    def drain(self) -> None:
        """Deliver everything the worker thread has posted (main thread)."""
        while True:
            try:
                kind, payload = self._inbox.get_nowait()
            except queue.Empty:
                return
            if kind != "done":
                self._deliver(kind, payload)
                continue
            self._pending -= 1
            if self._pending == 0:
                self._timer.stop()
                self.busy_changed.emit(False)

    def _stop(self, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=True, cancel_futures=cancel_futures)
        self._timer.stop()

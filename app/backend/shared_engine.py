"""One local engine, used in turn by the chat window and the local API server.

The engine runs one request at a time (one worker, one KV cache). Whoever
wants it takes it with :meth:`SharedEngine.use`; a second user waits for the
first. ``cancel(owner)`` stops the running generation only if that owner is the
one running, so the window's Stop button never cuts off an API client's answer,
nor the other way round.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from app.backend.engine import Engine
from app.backend.errors import EngineError


class EngineBusyError(EngineError):
    """The engine stayed busy with another request for longer than the caller would wait."""

    kind = "busy"


class SharedEngine:
    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine or Engine()
        self._lock = threading.Lock()  # held for as long as one owner uses the engine
        self._state = threading.Lock()  # guards _owner
        self._owner: object | None = None

    @contextmanager
    def use(self, owner: object, *, timeout: float | None = None) -> Iterator[Engine]:
        """Hold the engine for ``owner``; waits for the current user (at most ``timeout`` s)."""
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise EngineBusyError(
                "The engine is busy with another request (the chat window or another API client)."
            )
        with self._state:
            self._owner = owner
        try:
            yield self.engine
        finally:
            with self._state:
                self._owner = None
                self.engine.clear_cancel()  # a Stop that came after the end must not hit the next owner
            self._lock.release()

    @property
    def owner(self) -> object | None:
        with self._state:
            return self._owner

    def cancel(self, owner: object) -> bool:
        """Stop what ``owner`` is running now; False (and nothing stopped) if it is not running."""
        with self._state:
            if self._owner is not owner:
                return False
            self.engine.cancel()
            return True

    def close(self) -> None:
        self.engine.cancel()
        with self._lock:
            self.engine.close()

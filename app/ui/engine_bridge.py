"""The engine, seen from Qt: one background thread, results delivered on the main thread.

All engine calls (load, generate) run one at a time on a single-worker
executor, so the UI thread never blocks on llama.cpp. The worker thread never
touches Qt: it puts results in a queue that a main-thread timer drains, and
the signals below are emitted from there. (Emitting Qt signals with Python
payloads from a plain Python thread crashed PySide6 6.12 here with a refcount
error, "bool_dealloc", under a fast token stream.) ``cancel`` is safe from the
UI thread at any time.

Signals:
    loaded(LoadReport): a model is ready.
    load_progress(float): how far a load has got (0 to 1); cancel() stops it.
    stream_event(object): a StreamEvent (Reasoning, Answer, Notice, Done) of the running turn.
    failed(object): an EngineError from a load or a turn.
    busy_changed(bool): work started / finished.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from app.backend.engine import Engine
from app.backend.errors import EngineError
from app.backend.protocol import GenerationRequest

log = logging.getLogger("qwendesk.ui.engine")
DRAIN_MS = 10

Post = Callable[[str, object], None]


class EngineBridge(QObject):
    loaded = Signal(object)
    load_progress = Signal(float)
    stream_event = Signal(object)
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, engine: Engine | None = None, executor: Executor | None = None) -> None:
        super().__init__()
        self.engine = engine or Engine()
        self._executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="qwendesk-engine")
        self._inbox: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_MS)
        self._timer.timeout.connect(self.drain)
        self._pending = 0
        self.model_path: str | None = None

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def load(self, model_path: str, **options: Any) -> None:
        def work(post: Post) -> None:
            report = self.engine.load(model_path, on_progress=lambda f: post("progress", f), **options)
            post("loaded", (model_path, report))

        self._submit(work)

    def generate(self, request: GenerationRequest) -> None:
        def work(post: Post) -> None:
            for ev in self.engine.generate(request):
                post("event", ev)

        self._submit(work)

    def cancel(self) -> None:
        self.engine.cancel()

    def shutdown(self) -> None:
        self.engine.cancel()
        self._executor.shutdown(wait=True)
        self._timer.stop()
        self.engine.close()

    def _submit(self, work: Callable[[Post], None]) -> None:
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        self._timer.start()

        def post(kind: str, payload: object) -> None:
            self._inbox.put((kind, payload))

        def run() -> None:
            try:
                work(post)
            except EngineError as exc:
                post("failed", exc)
            except Exception as exc:  # never let a bug end the worker thread silently
                log.exception("engine call failed")
                text = QCoreApplication.translate("EngineBridge", "Unexpected engine failure: {error}")
                post("failed", EngineError(text.format(error=f"{type(exc).__name__}: {exc}")))
            finally:
                post("done", None)

        self._executor.submit(run)

    def drain(self) -> None:
        """Deliver everything the worker thread has posted (main thread)."""
        while True:
            try:
                kind, payload = self._inbox.get_nowait()
            except queue.Empty:
                return
            if kind == "event":
                self.stream_event.emit(payload)
            elif kind == "progress":
                self.load_progress.emit(payload)
            elif kind == "loaded":
                assert isinstance(payload, tuple)
                self.model_path = str(payload[0])
                self.loaded.emit(payload[1])
            elif kind == "failed":
                self.failed.emit(payload)
            elif kind == "done":
                self._pending -= 1
                if self._pending == 0:
                    self._timer.stop()
                    self.busy_changed.emit(False)

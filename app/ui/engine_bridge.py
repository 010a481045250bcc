"""The engine, seen from Qt: one background thread, results as signals.

All engine calls (load, generate) run one at a time on a single-worker
executor, so the UI thread never blocks on llama.cpp; every event comes back
to the main thread through a queued signal. ``cancel`` is safe from the UI
thread at any time.

Signals:
    loaded(LoadReport): a model is ready.
    stream_event(object): a StreamEvent (Reasoning, Answer, Notice, Done) of the running turn.
    failed(object): an EngineError from a load or a turn.
    busy_changed(bool): work started / finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.backend.engine import Engine
from app.backend.errors import EngineError
from app.backend.protocol import GenerationRequest

log = logging.getLogger("qwendesk.ui.engine")


class EngineBridge(QObject):
    loaded = Signal(object)
    stream_event = Signal(object)
    failed = Signal(object)
    busy_changed = Signal(bool)
    _done = Signal()

    def __init__(self, engine: Engine | None = None, executor: Executor | None = None) -> None:
        super().__init__()
        self.engine = engine or Engine()
        self._executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="qwendesk-engine")
        self._pending = 0
        self.model_path: str | None = None
        self._done.connect(self._on_done)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def load(self, model_path: str, **options: Any) -> None:
        def work() -> None:
            report = self.engine.load(model_path, **options)
            self.model_path = model_path
            self.loaded.emit(report)

        self._submit(work)

    def generate(self, request: GenerationRequest) -> None:
        def work() -> None:
            for ev in self.engine.generate(request):
                self.stream_event.emit(ev)

        self._submit(work)

    def cancel(self) -> None:
        self.engine.cancel()

    def shutdown(self) -> None:
        self.engine.cancel()
        self._executor.shutdown(wait=True)
        self.engine.close()

    def _submit(self, work: Callable[[], None]) -> Future:
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)

        def run() -> None:
            try:
                work()
            except EngineError as exc:
                self.failed.emit(exc)
            except Exception as exc:  # never let a bug kill the worker thread silently
                log.exception("engine call failed")
                self.failed.emit(EngineError(f"Unexpected engine failure: {type(exc).__name__}: {exc}"))
            finally:
                self._done.emit()

        return self._executor.submit(run)

    def _on_done(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)

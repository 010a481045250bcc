"""The engine, seen from Qt: one background thread, results delivered on the main thread.

All engine calls (load, generate) run one at a time on a single-worker
executor, so the UI thread never blocks on llama.cpp; results reach the main
thread through app.ui.background. ``cancel`` is safe from the UI thread at any
time.

Signals:
    loaded(LoadReport): a model is ready.
    load_progress(float): how far a load has got (0 to 1); cancel() stops it.
    stream_event(object): a StreamEvent (Reasoning, Answer, Notice, Done) of the running turn.
    failed(object): an EngineError from a load or a turn.
    busy_changed(bool): work started / finished.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal

from app.backend.engine import Engine
from app.backend.errors import EngineError
from app.backend.protocol import GenerationRequest
from app.ui.background import BackgroundWorker, Post

log = logging.getLogger("qwendesk.ui.engine")
DRAIN_MS = 10


class EngineBridge(BackgroundWorker):
    loaded = Signal(object)
    load_progress = Signal(float)
    stream_event = Signal(object)
    failed = Signal(object)

    def __init__(self, engine: Engine | None = None, executor: Executor | None = None) -> None:
        super().__init__(
            executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="qwendesk-engine"), DRAIN_MS
        )
        self.engine = engine or Engine()
        self.model_path: str | None = None

    def load(self, model_path: str, options: Callable[[], dict[str, Any]] = dict) -> None:
        """Load in the background; ``options()`` (Engine.load's keyword arguments) runs there too."""

        def work(post: Post) -> None:
            kwargs = options()
            report = self.engine.load(model_path, on_progress=lambda f: post("progress", f), **kwargs)
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
        self._stop()
        self.engine.close()

    def _failure(self, exc: Exception) -> object:
        if isinstance(exc, EngineError):
            return exc
        log.exception("engine call failed")
        text = QCoreApplication.translate("EngineBridge", "Unexpected engine failure: {error}")
        return EngineError(text.format(error=f"{type(exc).__name__}: {exc}"))

    def _deliver(self, kind: str, payload: Any) -> None:
        if kind == "event":
            self.stream_event.emit(payload)
        elif kind == "progress":
            self.load_progress.emit(payload)
        elif kind == "loaded":
            self.model_path = str(payload[0])
            self.loaded.emit(payload[1])
        elif kind == "failed":
            self.failed.emit(payload)

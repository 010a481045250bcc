"""The engines, seen from Qt: one background thread, results delivered on the main thread.

Turns go to the local engine (llama.cpp in its worker process) or, once the
user connected one, to a remote OpenAI-compatible server; both stream the same
events. Engine calls (load, connect, generate) run one at a time on a
single-worker executor, so the UI thread never blocks; results reach the main
thread through app.ui.background. ``cancel`` is safe from the UI thread at any
time.

The local engine is a :class:`SharedEngine`: the local API server, when it is
switched on, uses the same loaded model in turn. The window takes the engine
only for its own loads and turns, and its Stop button cancels only its own
work (a call still waiting for the engine is dropped when its turn comes).

A turn may come with a ``prepare`` step that runs on the engine's thread right
before it answers, with the engine held (a turn with documents: its budget is
counted there with the model's tokenizer, for the model loaded by then); what it
returns besides the request reaches ``prepared`` on the main thread, before the
turn's events.

Signals:
    loaded(LoadReport): a local model is ready (turns go to it from now on).
    load_progress(float): how far a load has got (0 to 1); cancel() stops it.
    connected(ConnectReport): a remote server answered; turns go there from now on.
    prompt_progress(PromptProgress): the running turn's prompt is being read (done / total tokens,
        sent before the first batch and after each one); only for a long enough prompt.
    reasoning(str), answer(str): text of the running turn, as it streams.
    notice(Notice): something the engine wants the user to know during a turn.
    tool_card(ToolCard): a tool call of the running turn appeared or changed (app.chat.tool_turn).
    tool_always_allowed(str): the user chose "Always allow" for this tool (its exposed name).
    consent_requested(ConsentRequest): a call waits for the user's answer (app.ui.tool_consent).
    done(Done): the running turn ended (its counts and timings).
    failed(Exception): an EngineError from a load, a connection or a turn, or a DocumentError
        (the documents leave no room); both carry ``kind`` and ``message``.
    busy_changed(bool): work started / finished.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Signal

from app.backend.engine import Engine, LoadReport
from app.backend.errors import EngineError, LoadCancelledError
from app.backend.protocol import (
    Answer,
    Done,
    GenerationRequest,
    Notice,
    PromptProgress,
    Reasoning,
    StreamEvent,
    ToolCallRequest,
)
from app.backend.shared_engine import SharedEngine
from app.chat.tool_events import AlwaysAllowed, Decision, ToolCardEvent, ToolInfoLike
from app.chat.tool_turn import run_tool_turn
from app.documents.errors import DocumentError
from app.models.think_mode import ThinkMode
from app.ui.background import BackgroundWorker, Post
from app.ui.tool_consent import ConsentRequest, ToolTurnOptions

if TYPE_CHECKING:  # the HTTP client loads only when a server is connected, not at start-up
    from app.remote.engine import RemoteEngine

log = logging.getLogger("qwendesk.ui.engine")
# What ``failed`` carries: both say ``kind`` and ``message``.
Failure = EngineError | DocumentError
DRAIN_MS = 10
CANCELLED_BEFORE_START = Done(
    finish_reason="cancelled",
    prompt_tokens=0,
    evaluated_prompt_tokens=0,
    completion_tokens=0,
    reasoning_tokens=0,
    ttft_s=None,
    decode_tokens_per_s=None,
)


class EngineBridge(BackgroundWorker):
    loaded = Signal(LoadReport)
    load_progress = Signal(float)
    # A ConnectReport: named as object because its module (the HTTP client) costs ~0.2 s to import,
    # which the window does only when a server is connected.
    connected = Signal(object)
    prompt_progress = Signal(PromptProgress)
    reasoning = Signal(str)
    answer = Signal(str)
    notice = Signal(Notice)
    done = Signal(Done)
    failed = Signal(Exception)
    tool_card = Signal(object)  # a ToolCard (app.store.models)
    tool_always_allowed = Signal(str)
    consent_requested = Signal(object)  # a ConsentRequest

    def __init__(
        self,
        engine: Engine | None = None,
        executor: Executor | None = None,
        *,
        shared: SharedEngine | None = None,
    ) -> None:
        super().__init__(
            executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="qwendesk-engine"), DRAIN_MS
        )
        self.shared = shared or SharedEngine(engine)
        self.engine = self.shared.engine
        self.model_path: str | None = None  # the local model loaded
        self.remote: RemoteEngine | None = None  # when set, turns go to this server
        self._submitted = 0  # calls made so far (main thread)
        self._cancelled_upto = 0  # calls made before the last cancel(): dropped if not started
        self._dropped_asides: set[int] = set()  # write_aside calls cancelled (main thread adds)
        self._aside_lock = threading.Lock()  # guards _aside_running against cancel_aside
        self._aside_running: int | None = None
        self._stopped = threading.Event()  # set by cancel(): a call waiting for consent is denied

    # ------------------------------------------------------------- state

    @property
    def ready(self) -> bool:
        """Something can answer: a local model is loaded or a server is connected."""
        return self.remote is not None or self.model_path is not None

    @property
    def model_name(self) -> str | None:
        """What answers, for labels and the store: a remote model name or the local GGUF path."""
        if self.remote is not None:
            return self.remote.model
        return self.model_path

    @property
    def think_mode(self) -> ThinkMode:
        """How the model that answers thinks; a server's model is taken as hybrid (it cannot be read)."""
        return "hybrid" if self.remote is not None else self.engine.think_mode

    @property
    def remote_host(self) -> str | None:
        return self.remote.endpoint.host if self.remote is not None else None

    # -------------------------------------------------------------- calls

    def _next_call(self) -> int:
        self._submitted += 1
        return self._submitted

    def _dropped(self, call: int) -> bool:
        """cancel() came after this call was made but before it started."""
        return call <= self._cancelled_upto

    def load(self, model_path: str, options: Callable[[], dict[str, Any]] = dict) -> None:
        """Load in the background; ``options()`` (Engine.load's keyword arguments) runs there too."""
        call = self._next_call()

        def work(post: Post) -> None:
            with self.shared.use(self) as engine:
                if self._dropped(call):
                    raise LoadCancelledError(f"Loading {model_path} was cancelled.")
                kwargs = options()
                report = engine.load(model_path, on_progress=lambda f: post("progress", f), **kwargs)
            post("loaded", (model_path, report))

        self._submit(work)

    def connect_remote(self, make: Callable[[], RemoteEngine]) -> None:
        """Reach a server in the background (``make`` builds the RemoteEngine there); on success
        turns go to it. The local model stays loaded, so switching back is instant."""
        call = self._next_call()

        def work(post: Post) -> None:
            remote = make()
            try:
                if not self._dropped(call):
                    report = remote.connect()
                if self._dropped(call):  # cancelled while connecting: keep what answered before
                    raise LoadCancelledError(f"Connecting to {remote.endpoint.host} was cancelled.")
            except BaseException:
                remote.close()
                raise
            post("connected", (remote, report))

        self._submit(work)

    def use_local(self) -> None:
        """Turns go to the local model again (the server connection is closed)."""
        remote, self.remote = self.remote, None
        if remote is not None:
            self._submit(lambda _post: remote.close())

    def generate(
        self,
        request: GenerationRequest,
        prepare: Callable[[Engine | None], tuple[GenerationRequest, Any]] | None = None,
        prepared: Callable[[Any], None] | None = None,
        tools: ToolTurnOptions | None = None,
    ) -> None:
        """Run a turn. ``prepare(engine)`` (None for a server) runs first on the engine's thread and
        returns the request to send and a result that ``prepared`` gets on the main thread. With
        ``tools`` (and a host that has some) the turn may call them, asking the user first."""
        call = self._next_call()
        remote = self.remote
        self._stopped.clear()

        def stream(generate: Callable[[GenerationRequest], Iterator[StreamEvent]], final: GenerationRequest,
                   post: Post) -> Iterable[object]:  # fmt: skip
            if tools is None or not tools.host.tools():
                return generate(final)
            stopped = self._stopped.is_set

            def consent(tool_call: ToolCallRequest, info: ToolInfoLike | None) -> Decision:
                if tools.auto_allow(tool_call, info):
                    return "once"
                asked = ConsentRequest(tool_call, info)
                post("consent", asked)
                return asked.wait(stopped)

            return run_tool_turn(
                generate, final, tools.host, consent, max_rounds=tools.max_rounds, cancelled=stopped,
                always_allowed=tools.always_allowed,
            )  # fmt: skip

        def ready(engine: Engine | None, post: Post) -> GenerationRequest:
            if prepare is None:
                return request
            final, result = prepare(engine)
            if prepared is not None:
                post("prepared", (prepared, result))
            return final

        def work(post: Post) -> None:
            if remote is not None:
                if self._dropped(call):
                    post("event", CANCELLED_BEFORE_START)
                    return
                for ev in stream(remote.generate, ready(None, post), post):
                    post("event", ev)
                return
            with self.shared.use(self) as engine:
                if self._dropped(call):
                    post("event", CANCELLED_BEFORE_START)
                    return
                for ev in stream(engine.generate, ready(engine, post), post):
                    post("event", ev)

        self._submit(work)

    def write_aside(self, request: GenerationRequest, done: Callable[[str | None], None]) -> int:
        """A short generation beside the conversation (a title): its answer text reaches ``done`` on
        the main thread, None if it failed or was cancelled. It never emits a turn's events nor
        ``failed``; returns the call to give cancel_aside."""
        call = self._next_call()
        remote = self.remote

        def generate(events: Iterable[StreamEvent]) -> str | None:
            parts: list[str] = []
            for ev in events:
                if isinstance(ev, Answer):
                    parts.append(ev.text)
                elif isinstance(ev, Done) and ev.finish_reason != "cancelled":
                    return "".join(parts)
            return None

        def work(post: Post) -> None:
            text = None
            try:
                if remote is not None:
                    if not self._aside_dropped(call):
                        with self._aside(call):
                            text = generate(remote.generate(request))
                else:
                    with self.shared.use(self) as engine:
                        if not self._aside_dropped(call):
                            with self._aside(call):
                                text = generate(engine.generate(request))
            except Exception:  # a title is not worth an error: the conversation keeps its first one
                log.warning("a side generation failed", exc_info=True)
            post("aside", (done, None if self._aside_dropped(call) else text))

        self._submit(work)
        return call

    def housekeeping(self, work: Callable[[Engine], object]) -> None:
        """Run ``work(engine)`` on the engine's thread, after the calls made before it and before
        those made after (files of deleted conversations at start-up); it is not a turn: no signal,
        and a failure is only logged."""

        def run() -> None:
            try:
                work(self.engine)
            except Exception:
                log.warning("engine housekeeping failed", exc_info=True)

        self._executor.submit(run)

    def cancel_aside(self, call: int) -> None:
        """Drop a write_aside call, or stop it if it runs; nothing else is touched."""
        self._dropped_asides.add(call)
        with self._aside_lock:
            if self._aside_running == call:
                if self.remote is not None:
                    self.remote.cancel()
                self.shared.cancel(self)

    def _aside_dropped(self, call: int) -> bool:
        return call in self._dropped_asides or self._dropped(call)

    @contextmanager
    def _aside(self, call: int) -> Iterator[None]:
        """Marks ``call`` as the one running, so cancel_aside stops it and nothing after it."""
        with self._aside_lock:
            self._aside_running = call
        try:
            yield
        finally:
            with self._aside_lock:
                self._aside_running = None

    def cancel(self) -> None:
        """Stop the running call and drop the ones waiting (their turn ends as cancelled)."""
        self._cancelled_upto = self._submitted
        self._stopped.set()
        if self.remote is not None:
            self.remote.cancel()
        self.shared.cancel(self)

    def shutdown(self) -> None:
        self.cancel()
        self._stop()
        if self.remote is not None:
            self.remote.close()
            self.remote = None
        self.shared.close()

    def _failure(self, exc: Exception) -> Failure:
        if isinstance(exc, (EngineError, DocumentError)):  # DocumentError: no room for the documents
            return exc
        log.exception("engine call failed")
        text = QCoreApplication.translate("EngineBridge", "Unexpected engine failure: {error}")
        return EngineError(text.format(error=f"{type(exc).__name__}: {exc}"))

    def _deliver(self, kind: str, payload: Any) -> None:
        if kind == "event":
            self._emit_event(payload)
        elif kind in ("prepared", "aside"):
            callback, result = payload
            callback(result)
        elif kind == "consent":
            self.consent_requested.emit(payload)
        elif kind == "progress":
            self.load_progress.emit(payload)
        elif kind == "loaded":
            self.model_path = str(payload[0])
            self.use_local()
            self.loaded.emit(payload[1])
        elif kind == "connected":
            remote, report = payload
            old, self.remote = self.remote, remote
            if old is not None and old is not remote:
                self._submit(lambda _post: old.close())
            self.connected.emit(report)
        elif kind == "failed":
            self.failed.emit(payload)

    def _emit_event(self, ev: object) -> None:
        if isinstance(ev, Reasoning):
            self.reasoning.emit(ev.text)
        elif isinstance(ev, Answer):
            self.answer.emit(ev.text)
        elif isinstance(ev, PromptProgress):
            self.prompt_progress.emit(ev)
        elif isinstance(ev, Notice):
            self.notice.emit(ev)
        elif isinstance(ev, Done):
            self.done.emit(ev)
        elif isinstance(ev, ToolCardEvent):
            self.tool_card.emit(ev.card)
        elif isinstance(ev, AlwaysAllowed):
            self.tool_always_allowed.emit(ev.tool)

"""The engine: a client for the llama.cpp worker process.

One ``Engine`` owns one worker at a time. The worker holds the model and its KV cache, and keeps each
conversation's (``app.backend.kept_states``), so follow-ups only evaluate what changed. If the worker
dies, the caller gets a :class:`WorkerCrashedError` naming the signal and the stage, and the next
request starts a new worker and reloads the model.

Self-healing: natively built llama-cpp-python 0.3.36 segfaults in ``ggml_backend_amx_mul_mat`` on the
first decode of a quantized GGUF on AMX CPUs (llama.cpp #20824). When a worker crashes in the first
evaluation after a load (the load's speed measurement or the first turn), the engine reloads once with
``use_extra_bufts = false``, remembers that for this machine, and reports a notice, not an error.

Threading: one thread drives ``load``/``generate``/``count_tokens``; ``cancel`` may be called from any
thread or a signal handler. What is loaded (:attr:`Engine.loaded_model`) is one immutable snapshot,
replaced in a single assignment, so other threads (the API server's ``/v1/models``) may read it at
any time and never see one model's file with another's plan.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from typing import Any, ClassVar

from app.backend import errors
from app.backend.amx_heal import AMX_NOTICE, looks_like_amx_crash
from app.backend.chat_template import ChatTemplate, prompt_opens_reasoning
from app.backend.kept_state_files import KeptStateFiles
from app.backend.load_notices import load_notices
from app.backend.machine_state import MachineState
from app.backend.prompt_speed import PromptSpeed, attention_ratio, speed_key
from app.backend.protocol import (
    CountTokensCommand,
    Done,
    Failed,
    GenerateCommand,
    GenerationRequest,
    Hello,
    Loaded,
    LoadPlanCommand,
    LoadProgress,
    Notice,
    ShutdownCommand,
    Stage,
    StateKeeping,
    StreamEvent,
    TokenCounts,
    UnloadCommand,
    Unloaded,
)
from app.backend.request_checks import check_request, refuse_what_cannot_fit
from app.backend.tool_calls import first_call_number, with_tool_calls
from app.backend.worker import worker_main
from app.models.gguf_file import GGUFInfo, read_gguf_info
from app.models.load_plan import LoadPlan, make_plan
from app.models.think_mode import ThinkMode, effective_thinking, think_mode
from app.paths import data_dir

log = logging.getLogger("qwendesk.engine")
KEPT_STATES_DIR = "kv-cache"  # in the data dir: conversations' KV cache (app.backend.kept_states)
MEASURE_TOKENS = 64  # read once per model and plan on a machine that has not run it: its prompt speed

# The Qwen3 technical report's mechanism: when the budget is reached, insert an
# instruction to stop thinking, close the block, and let the model answer.
BUDGET_MESSAGE = (
    "\n\nConsidering the limited time by the user, I have to give the solution "
    "based on the thinking directly now.\n</think>\n\n"
)


@dataclass(frozen=True)
class LoadedModel:
    """What the engine has loaded, all of a piece: replaced whole, never changed in place."""

    info: GGUFInfo
    plan: LoadPlan
    template: ChatTemplate
    loaded: Loaded
    think_mode: ThinkMode = "hybrid"


@dataclass
class LoadReport:
    """What ``Engine.load`` did: the plan used and anything worth telling the user."""

    info: GGUFInfo
    plan: LoadPlan
    loaded: Loaded
    notices: list[Notice] = field(default_factory=list)
    think_mode: ThinkMode = "hybrid"  # hybrid, never (Instruct-2507) or always (Thinking-2507)


class Engine:
    """Runs Qwen3 GGUFs in a crash-isolated worker process."""

    # Tests only: the fault every worker started from now on injects (app.backend.worker). A test
    # harness sets it in its own process; nothing the app reads from outside can.
    injected_fault: ClassVar[str] = ""

    def __init__(
        self,
        *,
        state: MachineState | None = None,
        keeping: StateKeeping | None = None,
        fault: str | None = None,
    ) -> None:
        self._mp = mp.get_context("spawn")
        # Where conversations' KV cache is kept between turns (the window sets it from its settings).
        self.keeping = (
            keeping if keeping is not None else StateKeeping(directory=str(data_dir() / KEPT_STATES_DIR))
        )
        self._kept_files = KeptStateFiles()
        self._untold: Notice | None = None  # what went wrong while nobody listened (_drain_after_cancel)
        self._fault = fault  # None: Engine.injected_fault when each worker starts
        self.prompt_speed: PromptSpeed | None = None  # the loaded model's, on this machine
        self._proc: Any = None
        self._conn: Connection | None = None
        self._cancel = self._mp.RawValue(ctypes.c_bool, False)
        self._stage = self._mp.RawValue(ctypes.c_int, int(Stage.IDLE))
        self.state = state or MachineState.default()
        self.hello: Hello | None = None
        self._model: LoadedModel | None = None  # the snapshot: replaced whole, read without a lock
        self._worker_plan: LoadPlan | None = None  # the plan the worker has or is loading (crash reports)
        self._worker_has_model = False
        self._turns_since_load = 0

    # -------------------------------------------------------------- state

    @property
    def loaded_model(self) -> LoadedModel | None:
        """What is loaded now (None while nothing is, a load included): read it once, use its fields."""
        return self._model

    @property
    def info(self) -> GGUFInfo | None:
        model = self._model
        return model.info if model is not None else None

    @property
    def plan(self) -> LoadPlan | None:
        model = self._model
        return model.plan if model is not None else None

    @property
    def template(self) -> ChatTemplate | None:
        model = self._model
        return model.template if model is not None else None

    @property
    def loaded(self) -> Loaded | None:
        model = self._model
        return model.loaded if model is not None else None

    @property
    def think_mode(self) -> ThinkMode:
        model = self._model
        return model.think_mode if model is not None else "hybrid"

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def worker_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    def capabilities(self) -> Hello:
        """What the llama.cpp build can do (starts the worker if needed)."""
        self._ensure_worker()
        assert self.hello is not None
        return self.hello

    def close(self) -> None:
        """Stop the worker (politely, then firmly)."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        self._worker_has_model = False
        if proc is None:
            return
        try:
            if conn is not None and proc.is_alive():
                conn.send(ShutdownCommand())
            proc.join(timeout=5)
        except (OSError, ValueError):
            pass
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)
        if conn is not None:
            conn.close()

    def kill(self) -> None:
        """End the worker now, whatever it is doing (a stuck call, a load): the next request starts
        a new one. For quitting; a caller blocked on the worker then gets WorkerCrashedError."""
        proc = self._proc
        if proc is not None and proc.is_alive():
            proc.kill()

    def cancel(self) -> None:
        """Stop the current generation as soon as possible; the partial answer is kept."""
        self._cancel.value = True

    # ---------------------------------------------------------------- load

    def load(
        self,
        model_path: str,
        *,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        n_gpu_layers: int | None = None,
        flash_attn: bool | None = None,
        kv_cache_type: str = "f16",
        on_progress: Callable[[float], None] | None = None,
    ) -> LoadReport:
        """Validate the GGUF, plan the load (YaRN only if needed) and load it in the worker.

        ``on_progress`` gets llama.cpp's loading progress (0 to 1); ``cancel()`` stops a
        load in progress (LoadCancelledError).
        """
        info = read_gguf_info(model_path)
        template = ChatTemplate(
            info.chat_template, origin=str(info.path), bos_token=info.bos_token, eos_token=info.eos_token
        )
        hello = self.capabilities()
        plan = make_plan(
            info,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_gpu_layers=n_gpu_layers,
            flash_attn=flash_attn,
            kv_cache_type=kv_cache_type,
            gpu_offload_supported=hello.supports_gpu_offload,
            use_extra_bufts=not self.state.extra_bufts_off(),
        )
        mode = think_mode(info, template)
        notices = load_notices(info, plan, template, mode, gpu_asked=bool(n_gpu_layers), hello=hello)
        # The worker drops the previous model before loading this one: nothing is loaded from
        # here until this load succeeds (and nothing after it fails).
        self._model = None
        self.prompt_speed = None
        speed = self.state.prompt_speed(speed_key(plan))
        measure = 0 if speed is not None else MEASURE_TOKENS
        try:
            loaded = self._load_plan(plan, on_progress, measure)
        except errors.WorkerCrashedError as crash:  # the measurement is the first evaluation (#20824)
            if not (measure and self._looks_like_amx_crash(crash, True, plan)):
                raise
            log.warning("worker crashed on its first evaluation; reloading with use_extra_bufts=false")
            plan = plan.with_extra_bufts(False)
            loaded = self._load_plan(plan, on_progress, measure)
            self.state.remember_extra_bufts_off("worker crashed on first decode; retry worked")
            notices.append(Notice(AMX_NOTICE, code="amx_fallback"))
        if loaded.measured is not None and speed is None:
            tokens, seconds = loaded.measured
            speed = PromptSpeed(a=seconds / max(1, tokens), ratio=attention_ratio(info))
            self.state.remember_prompt_speed(speed_key(plan), speed)
        self.prompt_speed = speed
        self._model = LoadedModel(info=info, plan=plan, template=template, loaded=loaded, think_mode=mode)
        return LoadReport(info=info, plan=plan, loaded=loaded, notices=notices, think_mode=mode)

    def _load_plan(
        self, plan: LoadPlan, on_progress: Callable[[float], None] | None = None, measure: int = 0
    ) -> Loaded:
        self._ensure_worker()
        self._worker_plan = plan
        self._worker_has_model = False
        self._cancel.value = False
        self._send(LoadPlanCommand(plan, measure_tokens=measure))
        for msg in self._receive():
            if isinstance(msg, LoadProgress):
                if on_progress is not None:
                    on_progress(msg.fraction)
            elif isinstance(msg, Loaded):
                self._worker_has_model = True
                self._turns_since_load = 0
                return msg
        raise errors.EngineError("The engine worker ended the load without an answer.")

    def unload(self) -> None:
        """Free the model's memory; the worker stays up."""
        self._model = None
        if self._worker_has_model and self._alive():
            self._send(UnloadCommand())
            for msg in self._receive():
                if isinstance(msg, Unloaded):
                    break
        self._worker_has_model = False

    # ------------------------------------------------------------ generate

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        """Stream one assistant turn: Reasoning/Answer/Notice events, then Done. With ``request.tools``,
        calls in the answer come as ToolCall events and such a turn ends with Done("tool_calls").

        Raises an :class:`EngineError` subclass on failure. A ``cancel()`` made any time
        from the call on — before the first token included — ends the turn as cancelled;
        the flag is cleared when the turn ends, not when it starts.
        """
        try:
            if request.tools:  # the answer's calls become ToolCall events; without tools nothing changes
                turn = self._generate(request)
                try:
                    yield from with_tool_calls(turn, first_call_number(request.messages))
                finally:
                    turn.close()  # a caller that stops listening stops the worker at once
            else:
                yield from self._generate(request)
        finally:
            self._cancel.value = False

    def clear_cancel(self) -> None:
        """Forget a cancel that came too late to stop anything (SharedEngine, between owners)."""
        self._cancel.value = False

    def _generate(self, request: GenerationRequest) -> Generator[StreamEvent, None, None]:
        model = self._loaded_or_raise()
        cmd = self._command_for(request, model)
        if self._untold is not None:  # a failure after the last caller had stopped listening
            yield self._untold
            self._untold = None
        if self._proc is not None and not self._alive():  # died while idle (e.g. the OOM killer)
            gone = self._crashed()
            yield Notice(f"{gone.summary} Restarting it.", code="engine_restarted")
        retried = False
        while True:
            model = self._reloaded(model)  # a crashed worker is replaced on the next request
            first_turn = self._turns_since_load == 0
            cmd = replace(cmd, forget=self._kept_files.take_forgotten())
            self._send(cmd)
            produced = finished = False
            try:
                for msg in self._receive():
                    if isinstance(msg, Done):
                        finished = True
                        self._turns_since_load += 1
                        self._learn(msg, model.plan)
                        if retried:
                            self.state.remember_extra_bufts_off(
                                "worker crashed on first decode; retry worked"
                            )
                        yield msg
                        return
                    produced = True
                    yield msg
            except errors.WorkerCrashedError as crash:
                finished = True
                if retried or produced or not self._looks_like_amx_crash(crash, first_turn, model.plan):
                    raise
                retried = True
                log.warning("worker crashed on first decode; retrying with use_extra_bufts=false (#20824)")
                model = replace(model, plan=model.plan.with_extra_bufts(False))  # published once reloaded
                yield Notice(AMX_NOTICE, code="amx_fallback")
            except errors.EngineError:
                finished = True
                raise
            finally:
                if not finished:  # the caller stopped listening: stop the worker, drop its tail
                    self._drain_after_cancel()

    def _drain_after_cancel(self) -> None:
        """The caller stopped listening: stop the worker's turn and read it to its end. Nobody waits
        for an error now, so a failure is logged and told with the next turn."""
        self.cancel()
        try:
            for msg in self._receive():
                if isinstance(msg, Done):
                    self._turns_since_load += 1
                    return
        except errors.EngineError as exc:
            log.warning("the engine failed while a stopped turn ended: %s", exc.message)
            self._untold = Notice(
                f"While the last answer was stopped: {exc.message}", code="engine_restarted"
            )

    def _looks_like_amx_crash(
        self, crash: errors.WorkerCrashedError, first_evaluation: bool, plan: LoadPlan
    ) -> bool:
        return looks_like_amx_crash(
            crash, first_evaluation=first_evaluation, cancelled=self._cancel.value, plan=plan
        )

    def _loaded_or_raise(self) -> LoadedModel:
        model = self._model
        if model is None:
            raise errors.NoModelError("No model is loaded: choose a model first.")
        return model

    def _reloaded(self, model: LoadedModel) -> LoadedModel:
        """``model`` in the worker: loaded again (and published) if the worker lost it in a crash."""
        if self._worker_has_model:
            return model
        model = replace(model, loaded=self._load_plan(model.plan))
        self._model = model
        return model

    def _command_for(self, request: GenerationRequest, model: LoadedModel | None = None) -> GenerateCommand:
        model = model or self._loaded_or_raise()
        thinking = effective_thinking(model.think_mode, request.enable_thinking)
        if thinking != request.enable_thinking:  # a one-mode model: its mode's preset and budget
            request = replace(request, enable_thinking=thinking)
        sampling, budget = check_request(request)
        refuse_what_cannot_fit(request, model.loaded.n_ctx, model.loaded.max_token_bytes)
        pieces = model.template.render_pieces(
            request.messages, enable_thinking=request.enable_thinking, tools=request.tools
        )
        return GenerateCommand(
            pieces=pieces.pieces,
            sampling=sampling,
            max_tokens=request.max_tokens,
            thinking_budget=budget,
            budget_message=BUDGET_MESSAGE,
            starts_in_reasoning=prompt_opens_reasoning(pieces.text),
            cache_key=request.cache_key,
            keeping=self.keeping,
            keep_generated=bool(request.tools),
        )

    # ------------------------------------------------------- prompt speed

    def _learn(self, done: Done, plan: LoadPlan) -> None:
        """A turn's prompt reading refines this machine's prompt speed for the model."""
        speed = self.prompt_speed
        learned = speed.after(done) if speed is not None else None
        if learned is not None and learned is not speed:
            self.prompt_speed = learned
            self.state.remember_prompt_speed(speed_key(plan), learned)

    def reading_seconds(self, tokens: int, start: int = 0) -> float | None:
        """About how long the loaded model takes here to read ``tokens`` more prompt tokens after
        ``start`` (None: not known yet)."""
        speed = self.prompt_speed
        return None if speed is None else speed.seconds(tokens, start)

    # -------------------------------------------------------- kept states

    def forget_state(self, key: str) -> None:
        """Delete a conversation's kept KV state (it was deleted): its file now, from any thread; the
        worker's copy in memory with the next request."""
        self._kept_files.forget(self.keeping, key)

    def prune_states(self, keep: Iterable[str]) -> int:
        """Delete kept conversation states whose key is not in ``keep`` (conversations deleted while
        the engine could not hear of it); returns how many went."""
        return self._kept_files.prune(self.keeping, keep)

    def kept_states_usage(self) -> tuple[int, int]:
        """(files, bytes) of the kept states on disk."""
        return self._kept_files.usage(self.keeping)

    # ------------------------------------------------------------- tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text with the loaded model's tokenizer, as plain text (a file's
        "<|im_end|>" counts as the characters it is): one round trip to the worker for all."""
        return self._count(CountTokensCommand(texts=tuple(texts)))

    def count_prompt(self, request: GenerationRequest) -> int:
        """The exact prompt length of ``request``: rendered and tokenized as ``generate`` would."""
        cmd = self._command_for(request)
        return self._count(CountTokensCommand(prompts=(cmd.pieces,)))[0]

    def _count(self, cmd: CountTokensCommand) -> list[int]:
        model = self._loaded_or_raise()
        if not cmd.texts and not cmd.prompts:
            return []
        if self._proc is not None and not self._alive():  # died while idle: start again
            log.warning("%s Restarting it.", self._crashed().summary)
        self._reloaded(model)
        self._send(cmd)
        for msg in self._receive():
            if isinstance(msg, TokenCounts):
                return list(msg.counts)
        raise errors.EngineError("The engine worker ended the count without an answer.")

    # -------------------------------------------------------------- process

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def _ensure_worker(self) -> None:
        if self._alive():
            return
        self.close()
        parent, child = self._mp.Pipe(duplex=True)
        self._stage.value = int(Stage.STARTING)
        proc = self._mp.Process(
            target=worker_main,
            args=(
                child,
                self._cancel,
                self._stage,
                Engine.injected_fault if self._fault is None else self._fault,
            ),
            name="qwendesk-engine",
            daemon=True,
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        self._worker_has_model = False
        for msg in self._receive():
            if isinstance(msg, Hello):
                self.hello = msg
                log.info("engine worker %s up: llama-cpp-python %s", proc.pid, msg.llama_cpp_version)
                return

    def _send(self, cmd: object) -> None:
        assert self._conn is not None
        try:
            self._conn.send(cmd)
        except (BrokenPipeError, ConnectionResetError, OSError):
            raise self._crashed() from None

    def _receive(self) -> Iterator[Any]:
        """Messages from the worker until the caller stops; a dead worker raises."""
        conn, proc = self._conn, self._proc
        assert conn is not None and proc is not None
        while True:
            ready = wait([conn, proc.sentinel])
            if conn in ready:
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    raise self._crashed() from None
                if isinstance(msg, Failed):
                    raise errors.from_worker(msg.kind, msg.message, msg.data)
                yield msg
            elif not conn.poll():
                raise self._crashed()

    def _crashed(self) -> errors.WorkerCrashedError:
        proc = self._proc
        if proc is not None:
            proc.join(timeout=5)
        stage = Stage(self._stage.value).label
        exitcode = proc.exitcode if proc is not None else None
        self.close()
        model = self._worker_plan.model_path if self._worker_plan else None
        log.error("engine worker died (exit code %s) during %s", exitcode, stage)
        return errors.WorkerCrashedError(exitcode, stage, model)

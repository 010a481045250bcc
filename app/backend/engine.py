"""The engine: a client for the llama.cpp worker process.

One ``Engine`` owns one worker at a time. The worker holds the model and its
KV cache, so follow-up turns only evaluate what changed. If the worker dies,
the caller gets a :class:`WorkerCrashedError` naming the signal and the stage,
and the next request starts a new worker and reloads the model.

Self-healing: llama-cpp-python 0.3.36 built natively segfaults in
``ggml_backend_amx_mul_mat`` on the first decode of a quantized GGUF on AMX
CPUs (https://github.com/ggml-org/llama.cpp/issues/20824). When a worker
crashes in the first evaluation after a load, the engine reloads once with
``use_extra_bufts = false``, remembers that for this machine, and reports a
notice instead of an error.

Threading: one thread drives ``load``/``generate``; ``cancel`` may be called
from any thread or a signal handler.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from app.backend import errors
from app.backend.chat_template import ChatTemplate, prompt_opens_reasoning
from app.backend.machine_state import MachineState
from app.backend.protocol import (
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
    StreamEvent,
    UnloadCommand,
    Unloaded,
)
from app.backend.request_checks import check_request
from app.backend.worker import worker_main
from app.models.gguf_file import GGUFInfo, read_gguf_info
from app.models.load_plan import LoadPlan, make_plan
from app.models.think_mode import ThinkMode, effective_thinking, think_mode
from app.models.think_mode import describe as describe_think_mode

log = logging.getLogger("qwendesk.engine")

# The Qwen3 technical report's mechanism: when the budget is reached, insert an
# instruction to stop thinking, close the block, and let the model answer.
BUDGET_MESSAGE = (
    "\n\nConsidering the limited time by the user, I have to give the solution "
    "based on the thinking directly now.\n</think>\n\n"
)
CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGABRT, signal.SIGFPE}
_FAILED_KINDS: dict[str, type[errors.EngineError]] = {
    cls.kind: cls
    for cls in (
        errors.LoadFailedError,
        errors.LoadCancelledError,
        errors.NoModelError,
        errors.InvalidRequestError,
        errors.EngineError,
    )
}


def _failure(msg: Failed) -> errors.EngineError:
    if msg.kind == errors.ContextFullError.kind:
        return errors.ContextFullError(msg.message, **msg.data)
    return _FAILED_KINDS.get(msg.kind, errors.EngineError)(msg.message)


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

    def __init__(self, *, state: MachineState | None = None) -> None:
        self._mp = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None
        self._cancel = self._mp.RawValue(ctypes.c_bool, False)
        self._stage = self._mp.RawValue(ctypes.c_int, int(Stage.IDLE))
        self.state = state or MachineState.default()
        self.hello: Hello | None = None
        self.info: GGUFInfo | None = None
        self.plan: LoadPlan | None = None
        self.template: ChatTemplate | None = None
        self.loaded: Loaded | None = None
        self.think_mode: ThinkMode = "hybrid"
        self._worker_has_model = False
        self._turns_since_load = 0

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
        notices = []
        if plan.yarn_factor:
            notices.append(
                Notice(
                    f"Context {plan.n_ctx:,} is beyond the native {plan.native_ctx:,}: "
                    f"YaRN rope scaling ×{plan.yarn_factor} is on.",
                    code="yarn",
                )
            )
        if n_gpu_layers and not hello.supports_gpu_offload:
            notices.append(
                Notice("This llama.cpp build has no GPU support: running on the CPU.", code="no_gpu")
            )
        if template.builtin:
            notices.append(
                Notice(
                    f"{info.path.name} has no chat template: using the built-in Qwen3 one.", code="template"
                )
            )
        if not info.is_qwen3:
            notices.append(
                Notice(f"{info.architecture} is not Qwen3: think control may not apply.", code="not_qwen3")
            )
        mode = think_mode(info, template)
        if mode != "hybrid":
            notices.append(Notice(describe_think_mode(mode), code=f"think_{mode}"))
        self.info, self.template, self.think_mode = info, template, mode
        try:
            loaded = self._load_plan(plan, on_progress)
        except errors.EngineError:
            # The worker dropped the previous model before trying this one.
            self.plan = self.info = self.template = self.loaded = None
            self.think_mode = "hybrid"
            raise
        return LoadReport(info=info, plan=plan, loaded=loaded, notices=notices, think_mode=mode)

    def _load_plan(self, plan: LoadPlan, on_progress: Callable[[float], None] | None = None) -> Loaded:
        self._ensure_worker()
        self.plan = plan
        self._worker_has_model = False
        self._cancel.value = False
        self._send(LoadPlanCommand(plan))
        for msg in self._receive():
            if isinstance(msg, LoadProgress):
                if on_progress is not None:
                    on_progress(msg.fraction)
            elif isinstance(msg, Loaded):
                self.loaded = msg
                self._worker_has_model = True
                self._turns_since_load = 0
                return msg
        raise errors.EngineError("The engine worker ended the load without an answer.")

    def unload(self) -> None:
        """Free the model's memory; the worker stays up."""
        self.plan = self.info = self.template = self.loaded = None
        self.think_mode = "hybrid"
        if self._worker_has_model and self._alive():
            self._send(UnloadCommand())
            for msg in self._receive():
                if isinstance(msg, Unloaded):
                    break
        self._worker_has_model = False

    # ------------------------------------------------------------ generate

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        """Stream one assistant turn: Reasoning/Answer/Notice events, then Done.

        Raises an :class:`EngineError` subclass on failure. A ``cancel()`` made any time
        from the call on — before the first token included — ends the turn as cancelled;
        the flag is cleared when the turn ends, not when it starts.
        """
        try:
            yield from self._generate(request)
        finally:
            self._cancel.value = False

    def clear_cancel(self) -> None:
        """Forget a cancel that came too late to stop anything (SharedEngine, between owners)."""
        self._cancel.value = False

    def _generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        if self.plan is None or self.template is None:
            raise errors.NoModelError("No model is loaded: choose a model first.")
        cmd = self._command_for(request)
        if self._proc is not None and not self._alive():  # died while idle (e.g. the OOM killer)
            gone = self._crashed()
            yield Notice(f"{gone.summary} Restarting it.", code="engine_restarted")
        retried = False
        while True:
            if not self._worker_has_model:  # a crashed worker is replaced on the next request
                self._load_plan(self.plan)
            first_turn = self._turns_since_load == 0
            self._send(cmd)
            produced = finished = False
            try:
                for msg in self._receive():
                    if isinstance(msg, Done):
                        finished = True
                        self._turns_since_load += 1
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
                if retried or produced or not self._looks_like_amx_crash(crash, first_turn):
                    raise
                retried = True
                log.warning("worker crashed on first decode; retrying with use_extra_bufts=false (#20824)")
                self.plan = self.plan.with_extra_bufts(False)
                yield Notice(
                    "llama.cpp crashed on this CPU on its first evaluation (a known bug with AMX "
                    "CPUs, llama.cpp #20824). QwenDesk reloaded the model with extra buffer types off "
                    "(use_extra_bufts=false) and will use that on this machine from now on.",
                    code="amx_fallback",
                )
            except errors.EngineError:
                finished = True
                raise
            finally:
                if not finished:  # the caller stopped listening: stop the worker, drop its tail
                    self._drain_after_cancel()

    def _drain_after_cancel(self) -> None:
        self.cancel()
        try:
            for msg in self._receive():
                if isinstance(msg, Done):
                    self._turns_since_load += 1
                    return
        except errors.EngineError:
            pass

    def _looks_like_amx_crash(self, crash: errors.WorkerCrashedError, first_turn: bool) -> bool:
        return (
            first_turn
            and not self._cancel.value
            and self.plan is not None
            and self.plan.use_extra_bufts
            and crash.stage in (Stage.PROMPT_EVAL.label, Stage.DECODING.label)
            and crash.signal in CRASH_SIGNALS
        )

    def _command_for(self, request: GenerationRequest) -> GenerateCommand:
        assert self.template is not None
        thinking = effective_thinking(self.think_mode, request.enable_thinking)
        if thinking != request.enable_thinking:  # a one-mode model: its mode's preset and budget
            request = replace(request, enable_thinking=thinking)
        sampling, budget = check_request(request)
        prompt = self.template.render(request.messages, enable_thinking=request.enable_thinking)
        return GenerateCommand(
            prompt=prompt,
            sampling=sampling,
            max_tokens=request.max_tokens,
            thinking_budget=budget,
            budget_message=BUDGET_MESSAGE,
            starts_in_reasoning=prompt_opens_reasoning(prompt),
        )

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
            target=worker_main, args=(child, self._cancel, self._stage), name="qwendesk-engine", daemon=True
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
                    raise _failure(msg)
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
        model = self.plan.model_path if self.plan else None
        log.error("engine worker died (exit code %s) during %s", exitcode, stage)
        return errors.WorkerCrashedError(exitcode, stage, model)

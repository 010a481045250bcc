"""The engine's worker process: the only place llama.cpp runs.

A llama.cpp crash (SIGSEGV in a kernel, an abort on a bad tensor, the OOM
killer) ends this process and nothing else. The parent learns what happened
from the process's exit code and from the stage this process wrote to shared
memory before each step.

Fault injection for tests: ``Engine(fault=…)`` (or ``Engine.injected_fault``, which a test harness
sets in its own process) hands a fault to the worker it starts. Nothing the shipped app reads — no
environment variable, file or setting — reaches it. ``amx-first-decode`` dies with SIGSEGV inside the
first llama_decode after a load unless extra buffer types are off (the AMX crash, llama.cpp #20824);
``segv-first-decode`` does the same whatever the setting; ``segv-load`` dies while loading;
``slow-load`` makes loading take a while (to cancel it); ``kill-after:N`` is SIGKILLed after N
generated tokens; ``stuck-generate`` never answers a generation (as a worker lost in llama.cpp,
which reads and writes nothing).
"""

from __future__ import annotations

import codecs
import collections
import ctypes
import logging
import os
import random
import signal
import time
from multiprocessing.connection import Connection
from typing import Any

from app.backend.context_states import read_prompt, restore_state, take_state
from app.backend.kept_states import Found, KeptStates, StateWriter, common_prefix, identity
from app.backend.lifeline import die_with_parent
from app.backend.prompt_tokens import PromptTokenizer, TokenizingCancelled
from app.backend.protocol import (
    Answer,
    CountTokensCommand,
    Done,
    Failed,
    GenerateCommand,
    Hello,
    Loaded,
    LoadPlanCommand,
    LoadProgress,
    Pieces,
    Reasoning,
    ShutdownCommand,
    Stage,
    TokenCounts,
    UnloadCommand,
    Unloaded,
)
from app.backend.think_split import ANSWER, CLOSE_TAG, OPEN_TAG, ThinkSplitter
from app.models.load_plan import KV_CACHE_TYPES, LoadPlan

log = logging.getLogger("qwendesk.worker")
WRITES_ON_EXIT_S = 4.0  # kept states still being written when the app quits get this long (Engine waits 5)


def worker_main(conn: Connection, cancel_flag: Any, stage: Any, fault: str = "") -> None:
    """Process entry point (spawn start method)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent()  # even while llama.cpp computes and nobody reads the pipe
    os.dup2(2, 1)  # llama.cpp must never write to the caller's stdout (--json)
    stage.value = Stage.STARTING
    try:
        import llama_cpp
    except Exception as exc:  # a broken install is a clear error, not a crash
        conn.send(Failed("engine", f"llama-cpp-python cannot be loaded: {type(exc).__name__}: {exc}"))
        return

    logging.basicConfig(level=logging.WARNING, format="qwendesk worker: %(message)s")
    worker = Worker(conn, cancel_flag, stage, llama_cpp, fault)
    conn.send(
        Hello(
            llama_cpp_version=llama_cpp.__version__,
            supports_gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()),
            system_info=llama_cpp.llama_print_system_info().decode(errors="replace"),
        )
    )
    stage.value = Stage.IDLE
    worker.serve()


def rope_kwargs(plan: LoadPlan, lc: Any) -> dict[str, Any]:
    """Rope scaling named explicitly: YaRN when the plan needs it, otherwise none — also for a
    GGUF whose metadata turns YaRN on, which llama.cpp would otherwise apply to every context."""
    if plan.yarn_factor:
        return dict(
            rope_scaling_type=lc.LLAMA_ROPE_SCALING_TYPE_YARN,
            rope_freq_scale=plan.rope_freq_scale,
            yarn_orig_ctx=plan.yarn_orig_ctx,
        )
    return dict(rope_scaling_type=lc.LLAMA_ROPE_SCALING_TYPE_NONE)


class Worker:
    """Owns one ``llama_cpp.Llama`` and serves commands one at a time."""

    def __init__(
        self, conn: Connection, cancel_flag: Any, stage: Any, llama_cpp: Any, fault: str = ""
    ) -> None:
        self.conn = conn
        self.cancel_flag = cancel_flag
        self.stage = stage
        self.lc = llama_cpp
        self.llm: Any = None
        self.plan: LoadPlan | None = None
        self.fault = fault
        self.first_decode_pending = False
        self.stop_ids: set[int] = set()
        self.think_ids: dict[int, str] = {}
        self.recent_log: collections.deque[str] = collections.deque(maxlen=20)
        # Keep ctypes callbacks referenced for as long as llama.cpp may call them.
        self._log_cb = llama_cpp.llama_log_callback(self._on_log)
        llama_cpp.llama_log_set(self._log_cb, ctypes.c_void_p(0))
        self._abort_cb = llama_cpp.ggml_abort_callback(self._on_abort_check)
        self._no_abort_cb = llama_cpp.ggml_abort_callback()  # NULL: llama.cpp polls nothing
        self._progress_cb = llama_cpp.llama_progress_callback(self._on_load_progress)
        self._last_progress = -1.0
        self.writer = StateWriter()
        self.kept: KeptStates | None = None  # the loaded model's kept states
        self._measure_tokens = 0
        self._last_kept: tuple[str | None, tuple[int, ...]] | None = None

    # ------------------------------------------------------------------ loop

    def serve(self) -> None:
        while True:
            try:
                cmd = self.conn.recv()
            except (EOFError, OSError):
                return  # parent went away
            if isinstance(cmd, ShutdownCommand):
                self._unload()
                if not self.writer.wait(WRITES_ON_EXIT_S):
                    log.warning("a kept state was still being written at exit; it is dropped")
                return
            try:
                if isinstance(cmd, LoadPlanCommand):
                    self._measure_tokens = cmd.measure_tokens
                    self._load(cmd.plan)  # type: ignore[arg-type]
                elif isinstance(cmd, GenerateCommand):
                    self._generate(cmd)
                elif isinstance(cmd, CountTokensCommand):
                    self._count(cmd)
                elif isinstance(cmd, UnloadCommand):
                    self._unload()
                    self._reply(Unloaded())
            except (BrokenPipeError, EOFError, ConnectionResetError):
                return  # the app went away (closed or killed): nobody to answer
            except Exception as exc:  # a bug here must not look like a llama.cpp crash
                log.exception("engine worker failed")
                self._reply(Failed("engine", f"The engine failed: {type(exc).__name__}: {exc}"))

    def _reply(self, msg: object) -> None:
        """The last message of a command: the worker is idle again from here."""
        self.stage.value = Stage.IDLE
        self.conn.send(msg)

    # -------------------------------------------------------------- llama.cpp

    def _on_log(self, level: int, text: bytes, _user: Any) -> None:
        msg = text.decode("utf-8", errors="replace").rstrip()
        if msg and level in (2, 3):  # WARN, ERROR
            self.recent_log.append(msg)

    def _on_abort_check(self, _data: Any) -> bool:
        """Called by ggml between graph nodes; True aborts llama_decode (cancel)."""
        if self.first_decode_pending:
            self.first_decode_pending = False
            if self.fault == "segv-first-decode" or (
                self.fault == "amx-first-decode" and self.plan is not None and self.plan.use_extra_bufts
            ):
                os.kill(os.getpid(), signal.SIGSEGV)
        return bool(self.cancel_flag.value)

    def _on_load_progress(self, fraction: float, _data: Any) -> bool:
        """llama.cpp reports loading progress; returning False cancels the load."""
        if fraction - self._last_progress >= 0.01 or fraction >= 1.0:
            self._last_progress = fraction
            self.conn.send(LoadProgress(float(fraction)))
            if self.fault == "slow-load":
                time.sleep(0.05)
        return not self.cancel_flag.value

    def _arm_abort(self, on: bool) -> None:
        """Let llama.cpp poll for cancel inside llama_decode, during prompt evaluation.

        The poll is a Python call per graph node; while decoding single tokens
        it would cost a few percent of speed, and cancel is checked between
        tokens anyway, so it is switched off then.
        """
        self.lc.llama_set_abort_callback(self.llm._ctx.ctx, self._abort_cb if on else self._no_abort_cb, None)

    def _load(self, plan: LoadPlan) -> None:
        self._unload()
        self.stage.value = Stage.LOADING
        if self.fault == "segv-load":
            os.kill(os.getpid(), signal.SIGSEGV)
        lc = self.lc
        # llama.py calls llama_cpp.llama_cpp.llama_model_default_params(): the submodule's
        # name is the one to patch (the package re-export is a different binding).
        bindings = lc.llama_cpp
        started = time.perf_counter()
        self.recent_log.clear()
        self._last_progress = -1.0
        original_defaults = bindings.llama_model_default_params

        def model_params() -> Any:
            params = original_defaults()
            params.use_extra_bufts = plan.use_extra_bufts  # llama.cpp #20824 workaround when False
            params.progress_callback = self._progress_cb
            return params

        kv_type = KV_CACHE_TYPES[plan.kv_cache_type]
        kwargs: dict[str, Any] = dict(
            model_path=plan.model_path,
            n_ctx=plan.n_ctx,
            n_threads=plan.n_threads,
            n_threads_batch=plan.n_threads,
            n_gpu_layers=plan.n_gpu_layers,
            flash_attn=plan.flash_attn,
            type_k=kv_type,
            type_v=kv_type,
            verbose=False,
        )
        kwargs.update(rope_kwargs(plan, lc))
        # The Llama class has no argument for use_extra_bufts: patch the default
        # params it starts from, in this process only, for this one call.
        bindings.llama_model_default_params = model_params
        try:
            llm = lc.Llama(**kwargs)
        except Exception as exc:
            if self.cancel_flag.value:
                self._reply(Failed("load_cancelled", f"Loading {plan.model_path} was cancelled."))
                return
            detail = "; ".join(self.recent_log) or str(exc)
            self._reply(Failed("load_failed", f"llama.cpp could not load {plan.model_path}: {detail}"))
            return
        finally:
            bindings.llama_model_default_params = original_defaults
        self.llm = llm
        self.plan = plan
        self.first_decode_pending = True
        self._index_special_tokens()
        self.tokens = PromptTokenizer(llm, self.lc, should_stop=lambda: bool(self.cancel_flag.value))
        try:
            self.kept = KeptStates(identity(plan, self.lc.__version__), self.writer)
        except OSError as exc:
            log.warning("kept states are off for this model: %s", exc)
        self._last_kept = None
        measured = self._measure(self._measure_tokens) if self._measure_tokens else None
        self._reply(
            Loaded(
                n_ctx=llm.n_ctx(),
                n_vocab=llm.n_vocab(),
                think_open_id=self._single_token(OPEN_TAG),
                think_close_id=self._single_token(CLOSE_TAG),
                load_s=time.perf_counter() - started,
                use_extra_bufts=bool(llm.model_params.use_extra_bufts),
                max_token_bytes=self.tokens.max_token_bytes,
                measured=measured,
            )
        )

    def _measure(self, n: int) -> tuple[int, float] | None:
        """This machine's prompt speed for the model and plan: ``n`` ordinary tokens read from an empty
        context, twice, after a few to warm up (the first evaluation allocates and builds what every
        later one reuses); the faster time counts, since anything else running only slows one down.
        The engine learns from real turns after this. Cancel stops it."""
        llm = self.llm
        n = min(n, llm.n_ctx() - 1, llm.n_batch)
        first = range(min(llm.n_vocab(), 4096))
        ordinary = [t for t in first if t not in self.think_ids and not self.is_eog(t)]
        if n <= 0 or not ordinary:
            return None
        tokens = [ordinary[(i * 7919) % len(ordinary)] for i in range(n)]
        self.stage.value = Stage.PROMPT_EVAL  # the first evaluation: where llama.cpp #20824 crashes
        self._arm_abort(True)
        times = []
        try:
            for run in (tokens[:8], tokens, tokens):
                llm.reset()
                llm._ctx.kv_cache_clear()
                started = time.perf_counter()
                llm.eval(run)
                times.append(time.perf_counter() - started)
        except RuntimeError:
            return None
        finally:
            self._arm_abort(False)
            llm.reset()
            llm._ctx.kv_cache_clear()
            self.stage.value = Stage.LOADING
        return n, min(times[1:])

    def _single_token(self, text: str) -> int | None:
        ids = self.llm.tokenize(text.encode(), add_bos=False, special=True)
        return ids[0] if len(ids) == 1 else None

    def _index_special_tokens(self) -> None:
        """Think tags by id (Qwen3: 151667/151668), found by text for any vocabulary."""
        self.think_ids = {}
        for tag in (OPEN_TAG, CLOSE_TAG):
            tid = self._single_token(tag)
            if tid is not None:
                self.think_ids[tid] = tag
        self.stop_ids = set()
        start = self._single_token("<|im_start|>")
        if start is not None:
            self.stop_ids.add(start)  # never let the model write the user's next turn
        vocab = self.vocab = self.llm._model.vocab
        self.pieces: dict[int, bytes] = {}
        self.is_eog = lambda tok: tok in self.stop_ids or bool(self.lc.llama_vocab_is_eog(vocab, tok))
        self.add_bos = bool(self.llm._model.add_bos_token())

    def _piece(self, tok: int) -> bytes:
        """A token's bytes, cached. llama-cpp-python's detokenize uses a 32-byte buffer and
        silently drops longer tokens (long runs of spaces or symbols exist in Qwen's vocabulary)."""
        piece = self.pieces.get(tok)
        if piece is None:
            size = 64
            buf = ctypes.create_string_buffer(size)
            n = self.lc.llama_token_to_piece(self.vocab, tok, buf, size, 0, False)
            if n < 0:  # -n is the size it needs
                size = -n
                buf = ctypes.create_string_buffer(size)
                n = self.lc.llama_token_to_piece(self.vocab, tok, buf, size, 0, False)
            piece = buf.raw[: max(n, 0)]
            self.pieces[tok] = piece
        return piece

    def _unload(self) -> None:
        if self.llm is not None:
            self.llm.close()
            self.llm = None
            self.plan = None
            self.kept = None

    # ------------------------------------------------------------- counting

    def _prompt_tokens(self, pieces: Pieces, limit: int | None = None) -> list[int]:
        """A rendered chat prompt as generation feeds it to llama.cpp: only the template's pieces
        may hold control tokens (``app.backend.prompt_tokens``)."""
        llm = self.llm
        text = "".join(t for _, t in pieces[:1])
        add_bos = self.add_bos and not text.startswith(
            llm.detokenize([llm.token_bos()], special=True).decode(errors="ignore") or "\0"
        )
        return self.tokens.prompt(pieces, add_bos=add_bos, limit=limit)

    def _count(self, cmd: CountTokensCommand) -> None:
        if self.llm is None:
            self._reply(Failed("no_model", "No model is loaded."))
            return
        # plain text: "<|im_end|>" in a file is characters, never the control token
        try:
            counts = tuple(len(self.tokens.plain(text)) for text in cmd.texts)
            counts += tuple(len(self._prompt_tokens(pieces)) for pieces in cmd.prompts)
        except TokenizingCancelled:
            self._reply(Failed("cancelled", "Counting tokens was cancelled."))
            return
        self._reply(TokenCounts(counts))

    # ------------------------------------------------------------- generation

    def _generate(self, cmd: GenerateCommand) -> None:
        llm = self.llm
        if llm is None:
            self._reply(Failed("no_model", "No model is loaded."))
            return
        t0 = time.perf_counter()
        n_ctx = llm.n_ctx()
        # Counted exactly up to 4× the context (enough to offer the context that would hold it),
        # then no further: a huge prompt costs no more than that.
        prompt = self._prompt_tokens(cmd.pieces, limit=4 * n_ctx)
        if len(prompt) >= n_ctx:
            size = f"at least {len(prompt):,}" if len(prompt) > 4 * n_ctx else f"{len(prompt):,}"
            self._reply(
                Failed(
                    "context_full",
                    f"The conversation is {size} tokens but the loaded context holds {n_ctx:,}. "
                    "Start a new conversation, shorten it, or reload with a longer context.",
                    {"prompt_tokens": len(prompt), "n_ctx": n_ctx},
                )
            )
            return
        restored_from = ""
        restored = 0
        kept = self.kept
        if kept is not None:
            kept.configure(cmd.keeping, cmd.forget)
            found = kept.find(cmd.cache_key, prompt, common_prefix(llm._input_ids.tolist(), prompt))
            if found is not None and self._restore(kept, found):
                restored_from, restored = found.source, found.shared
        reused = common_prefix(llm._input_ids.tolist(), prompt)
        if reused == len(prompt):
            reused -= 1  # llama-cpp-python replays one token to refresh the logits
        s = cmd.sampling
        llm.set_seed(s.seed if s.seed is not None else random.randrange(2**32 - 1))

        splitter = ThinkSplitter(in_reasoning=cmd.starts_in_reasoning)
        utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        context = list(prompt)
        completion = reasoning = 0
        finish: str | None = None
        budget_hit = False
        t_first: float | None = None
        t_last = t0
        kill_after = int(self.fault.split(":")[1]) if self.fault.startswith("kill-after:") else None
        while self.fault == "stuck-generate":
            time.sleep(0.05)

        self.stage.value = Stage.PROMPT_EVAL
        self._arm_abort(True)
        t_eval = time.perf_counter()
        finish = read_prompt(llm, prompt, reused, self.conn.send, lambda: bool(self.cancel_flag.value))
        while finish is None:
            gen = llm.generate(
                context,
                top_k=s.top_k,
                top_p=s.top_p,
                min_p=s.min_p,
                temp=s.temperature,
                presence_penalty=s.presence_penalty,
                repeat_penalty=1.0,
            )
            round_tokens: list[int] = []
            restart_with: list[int] | None = None
            try:
                for tok in gen:
                    t_last = time.perf_counter()
                    if t_first is None:
                        t_first = t_last
                        self.stage.value = Stage.DECODING
                        self._arm_abort(False)
                    if self.cancel_flag.value:
                        finish = "cancelled"
                        break
                    if self.is_eog(tok):
                        finish = "stop"
                        break
                    round_tokens.append(tok)
                    completion += 1
                    if kill_after is not None and completion >= kill_after:
                        os.kill(os.getpid(), signal.SIGKILL)
                    tag = self.think_ids.get(tok)
                    text = tag if tag is not None else utf8.decode(self._piece(tok))
                    was_reasoning = splitter.in_reasoning
                    self._send_segments(splitter.feed(text))
                    if was_reasoning and splitter.in_reasoning:
                        reasoning += 1
                    if cmd.max_tokens is not None and completion >= cmd.max_tokens:
                        finish = "length"
                        break
                    if llm.n_tokens + 1 >= n_ctx:
                        finish = "length"
                        break
                    if (
                        cmd.thinking_budget is not None
                        and not budget_hit
                        and splitter.in_reasoning
                        and reasoning >= cmd.thinking_budget
                    ):
                        budget_hit = True
                        inject = llm.tokenize(cmd.budget_message.encode(), add_bos=False, special=True)
                        if len(context) + len(round_tokens) + len(inject) < n_ctx:
                            restart_with = context + round_tokens + inject
                            break
            except RuntimeError as exc:  # llama_decode failed: aborted (cancel) or a real error
                if self.cancel_flag.value:
                    finish = "cancelled"
                else:
                    self._reply(Failed("engine", f"llama.cpp failed while generating: {exc}"))
                    return
            finally:
                gen.close()
            if restart_with is not None:
                context = restart_with
                self._send_segments(splitter.feed(utf8.decode(b"", final=True) + CLOSE_TAG))
                self.stage.value = Stage.PROMPT_EVAL
                self._arm_abort(True)
                continue
            if finish is None:
                finish = "stop"
        self._send_segments(splitter.feed(utf8.decode(b"", final=True)) + splitter.flush())
        if budget_hit and finish == "stop":
            finish = "budget"
        decode_tps = None
        if t_first is not None and completion > 1 and t_last > t_first:
            decode_tps = (completion - 1) / (t_last - t_first)
        self._reply(
            Done(
                finish_reason=finish,
                prompt_tokens=len(prompt),
                evaluated_prompt_tokens=len(prompt) - reused,
                completion_tokens=completion,
                reasoning_tokens=reasoning,
                ttft_s=None if t_first is None else t_first - t0,
                decode_tokens_per_s=decode_tps,
                thinking_budget_hit=budget_hit,
                thought=splitter.thought,
                reasoning_unclosed=splitter.in_reasoning,
                prompt_eval_s=None if t_first is None else t_first - t_eval,
                restored_tokens=restored,
                restored_from=restored_from,
            )
        )
        self._keep_state(cmd, len(prompt))

    # ------------------------------------------------------------ kept states

    def _restore(self, kept: KeptStates, found: Found) -> bool:
        """Put a kept state into the context; False (and the context empty) when it cannot be used."""
        data = kept.load(found)
        if data is None:
            return False
        if not restore_state(self.llm, self.lc, found.kept.tokens, data):
            log.warning("kept state %s refused by llama.cpp; the prompt is read again", found.kept.name)
            kept.drop(found)
            return False
        self._last_kept = None
        return True

    def _keep_state(self, cmd: GenerateCommand, prompt_len: int) -> None:
        """After the answer is out: the context's state, kept for the next time this prompt comes back.
        Generated tokens are kept only for a tool round; otherwise the next prompt holds the answer
        in another form (without its reasoning) and they would be re-read anyway."""
        kept, llm = self.kept, self.llm
        if kept is None or not cmd.keeping.enabled or llm is None:
            return
        n = llm.n_tokens if cmd.keep_generated else min(llm.n_tokens, prompt_len)
        if n < llm.n_tokens:  # what is kept is what the context holds from now on
            llm._ctx.kv_cache_seq_rm(-1, n, -1)
            llm.n_tokens = n
        tokens = tuple(llm.input_ids[:n].tolist())
        if n == 0 or self._last_kept == (cmd.cache_key, tokens):
            return  # nothing, or the same state again (an answer regenerated): kept already
        data = take_state(llm, self.lc, None if cmd.keeping.directory else cmd.keeping.ram_bytes)
        if data is not None:
            kept.keep(cmd.cache_key, tokens, data)
            self._last_kept = (cmd.cache_key, tokens)

    def _send_segments(self, segments: list[tuple[str, str]]) -> None:
        for channel, text in segments:
            self.conn.send(Answer(text) if channel == ANSWER else Reasoning(text))

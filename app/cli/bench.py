"""``qwendesk bench engine``: is the worker + protocol as fast as raw llama-cpp-python?

Measured in one run, on one GGUF, same threads, context and sampling:
1. decode tokens/s streamed through the engine (worker process, pipe, events),
   timed at the caller, ÷ the same from a raw llama-cpp-python
   ``create_completion(stream=True)`` loop (run in its own process too, so a
   llama.cpp crash cannot take the benchmark down). Target ≥ 0.97.
2. prompt tokens evaluated on turn 5 of a conversation vs. that turn's full
   prompt (KV-cache prefix reuse across turns).
Without ``--model`` a random F16 model of Qwen3-0.6B's shape is generated.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.backend.chat_template import ChatTemplate
from app.backend.engine import Engine
from app.backend.errors import EngineError
from app.backend.machine_state import MachineState
from app.backend.protocol import Answer, ChatMessage, Done, GenerationRequest, Reasoning, Sampling
from app.backend.sampling import NON_THINKING_PRESET as PRESET
from app.models.gguf_file import read_gguf_info

MARK_BEGIN = "<!-- bench:engine -->"
MARK_END = "<!-- /bench:engine -->"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("bench", help="benchmarks", description="Measure QwenDesk against a baseline.")
    which = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    e = which.add_parser("engine", help="engine overhead and multi-turn reuse")
    e.add_argument("--model", metavar="PATH", help="GGUF to use (default: generate a 28×1024 F16 model)")
    e.add_argument("--tokens", type=int, default=128, help="tokens decoded per run (default 128)")
    e.add_argument("--runs", type=int, default=8, help="alternating runs of each side (default 8)")
    e.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    e.add_argument("--ctx", type=int, default=4096)
    e.add_argument("--write", metavar="FILE", help="update the engine section of this markdown file")
    e.set_defaults(run=run_engine)


def _raw_decode(model: str, threads: int, n_ctx: int, prompt: str, n_tokens: int, conn: Any) -> None:
    """Baseline, in a child process: plain llama-cpp-python streaming."""
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=model, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    while True:
        if conn.recv() is None:
            return
        stamps = []
        for _chunk in llm.create_completion(
            prompt,
            max_tokens=n_tokens,
            stream=True,
            temperature=PRESET.temperature,
            top_p=PRESET.top_p,
            top_k=PRESET.top_k,
            min_p=PRESET.min_p,
            repeat_penalty=1.0,
        ):
            stamps.append(time.perf_counter())
        conn.send(stamps)


def _rate(stamps: list[float]) -> float:
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0


def _engine_decode(engine: Engine, request: GenerationRequest) -> tuple[float, float]:
    """(tokens/s seen by the caller, tokens/s the worker measured itself) for one run."""
    stamps: list[float] = []
    done: Done | None = None
    for ev in engine.generate(request):
        if isinstance(ev, (Answer, Reasoning)):
            stamps.append(time.perf_counter())
        elif isinstance(ev, Done):
            done = ev
    assert done is not None
    return _rate(stamps), done.decode_tokens_per_s or 0.0


def run_engine(args: argparse.Namespace) -> int:
    try:
        return _run_engine(args)
    except EngineError as exc:
        print(f"qwendesk: error: {exc.message}", file=sys.stderr)
        return 1


def _run_engine(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="qwendesk-bench-") as tmp:
        model = args.model
        if model is None:
            from app.models.synthetic import write_benchmark_gguf

            print("generating a 28-layer × 1024 F16 model …", flush=True)
            model = str(write_benchmark_gguf(Path(tmp) / "bench.gguf"))
        info = read_gguf_info(model)
        template = ChatTemplate(info.chat_template, origin=model)
        question = ChatMessage("user", "Write a long story about the sea.")
        prompt = template.render([question], enable_thinking=False)
        request = GenerationRequest(
            messages=(question,),
            enable_thinking=False,
            max_tokens=args.tokens,
            sampling=Sampling(seed=1),
        )
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        raw = ctx.Process(
            target=_raw_decode, args=(model, args.threads, args.ctx, prompt, args.tokens, child)
        )
        raw.start()
        engine = Engine(state=MachineState(Path(tmp) / "state.json"))
        engine_rates: list[float] = []
        worker_rates: list[float] = []
        raw_rates: list[float] = []
        try:
            engine.load(model, n_ctx=args.ctx, n_threads=args.threads)
            _engine_decode(engine, request)  # warm-up both sides
            parent.send(True)
            parent.recv()
            for i in range(args.runs):
                parent.send(True)
                raw_rates.append(_rate(parent.recv()))
                rate, inside = _engine_decode(engine, request)
                engine_rates.append(rate)
                worker_rates.append(inside)
                print(
                    f"run {i + 1}: raw {raw_rates[-1]:.2f} tok/s, engine {rate:.2f} tok/s "
                    f"(worker's own count {inside:.2f})",
                    flush=True,
                )
            parent.send(None)
            raw.join(timeout=30)
            turns = _multi_turn(engine)
            cancel_s = [_cancel_latency(engine) for _ in range(3)]
        finally:
            engine.close()
            if raw.is_alive():
                raw.kill()
    raw_med, eng_med = statistics.median(raw_rates), statistics.median(engine_rates)
    # This machine's speed drifts by several percent between runs; the ratio of
    # each adjacent (raw, engine) pair cancels the drift better than a ratio of medians.
    ratio = statistics.median(e / r for e, r in zip(engine_rates, raw_rates))
    protocol = statistics.median(e / w for e, w in zip(engine_rates, worker_rates))
    evaluated, full = turns[-1]
    lines = [
        MARK_BEGIN,
        "## Engine: worker + protocol overhead, and multi-turn reuse",
        "",
        f"Command: `qwendesk bench engine --tokens {args.tokens} --runs {args.runs} --threads {args.threads}"
        f" --ctx {args.ctx}" + (f" --model {args.model}" if args.model else "") + "`",
        "",
        f"Model: {info.name or Path(model).name} ({info.block_count} layers × {info.embedding_length}, "
        f"{info.tensor_bytes / 2**20:,.0f} MiB of weights); {args.threads} threads; "
        f"non-thinking preset sampling; {args.tokens} tokens per run; "
        f"{args.runs} alternating runs of each side.",
        "",
        "Per-run decode tokens/s, raw / engine: "
        + ", ".join(f"{r:.2f} / {e:.2f}" for r, e in zip(raw_rates, engine_rates)),
        "",
        "| measure | raw llama-cpp-python | QwenDesk engine | ratio |",
        "|---|---|---|---|",
        f"| decode tokens/s (medians; ratio: median of paired runs) | {raw_med:.2f} | {eng_med:.2f} "
        f"| **{ratio:.3f}** (target ≥ 0.97) |",
        f"| decode tokens/s seen by the caller ÷ counted inside the worker | | | {protocol:.3f} |",
        f"| turn-5 prompt tokens evaluated | {full} (full prompt) | {evaluated} "
        f"| **{evaluated / full:.3f}** |",
        f"| cancel during prompt evaluation → done event | | {max(cancel_s) * 1000:.1f} ms (worst of 3) "
        "| target ≤ 500 ms |",
        "",
        "Per-turn prompt tokens (evaluated / full): "
        + ", ".join(f"turn {i + 1}: {e}/{f}" for i, (e, f) in enumerate(turns)),
        MARK_END,
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section(Path(args.write), report)
    return 0


def _multi_turn(engine: Engine) -> list[tuple[int, int]]:
    """Five turns of one conversation: (evaluated, full) prompt tokens per turn."""
    messages: list[ChatMessage] = []
    out = []
    for i in range(5):
        messages.append(ChatMessage("user", f"Question {i + 1}: tell me more about the tide and the moon."))
        answer = []
        for ev in engine.generate(
            GenerationRequest(messages=tuple(messages), enable_thinking=False, max_tokens=32)
        ):
            if isinstance(ev, Answer):
                answer.append(ev.text)
            elif isinstance(ev, Done):
                out.append((ev.evaluated_prompt_tokens, ev.prompt_tokens))
        messages.append(ChatMessage("assistant", "".join(answer)))
    return out


def _cancel_latency(engine: Engine) -> float:
    """Seconds from cancel() to the done event, cancelling 0.5 s into a long prompt evaluation."""
    import threading

    stamp: list[float] = []

    def cancel() -> None:
        stamp.append(time.perf_counter())
        engine.cancel()

    question = ChatMessage("user", f"{time.time()} " + "the quick brown fox jumps over the lazy dog " * 60)
    timer = threading.Timer(0.5, cancel)
    timer.start()
    for ev in engine.generate(GenerationRequest(messages=(question,), enable_thinking=False, max_tokens=8)):
        if isinstance(ev, Done):
            if ev.finish_reason != "cancelled":
                raise RuntimeError("the prompt was evaluated before the cancel: make it longer")
            return time.perf_counter() - stamp[0]
    raise RuntimeError("no done event")


def write_section(path: Path, section: str, begin: str = MARK_BEGIN, end: str = MARK_END) -> None:
    """Replace the part of a markdown file between ``begin`` and ``end`` (or append it)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")

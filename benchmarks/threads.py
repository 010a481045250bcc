"""Engine threads: decode and prompt speed per thread count, and the window at full threads.

    .venv/bin/python benchmarks/threads.py [--rounds 4] [--tokens 96] [--out docs/benchmarks.md]
    .venv/bin/python benchmarks/threads.py --quick     # CI: a small model, one round, no file

1. One ``Engine`` per thread count (1 up to the logical cores), all loaded with the same GGUF (the
   benchmark-shaped random Qwen3 that ``qwendesk bench engine`` generates, or ``--model``), asked in
   alternating rounds for the same turn: a ~500-token prompt that starts with a fresh nonce (so every
   round evaluates all of it) and ``--tokens`` decoded tokens. Prompt tokens/s = tokens evaluated ÷ the
   worker's own time to the first token; decode tokens/s = the worker's own count. Baseline: 1 thread;
   the ratio is the median of the per-round ratios (this machine's speed drifts between runs).
2. The chat window (offscreen, real ``MainWindow``) streaming the same model's answer to a short question
   with the engine at 1 thread and at the default (the physical cores): a 5 ms ``QTimer`` on the main
   thread records how late each tick fires — the stall a person would feel while the engine takes every
   core — from the send for ``--seconds``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.backend.engine import Engine
from app.backend.machine_state import MachineState
from app.backend.protocol import ChatMessage, Done, GenerationRequest, Sampling
from app.cli.bench import write_section
from app.models.gguf_file import read_gguf_info
from app.models.load_plan import default_threads

MARK_BEGIN = "<!-- bench:threads -->"
MARK_END = "<!-- /bench:threads -->"
TEXT = "the tide comes in over the sand and the moon pulls the sea back out again " * 7  # ~530 tokens


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown CPU"


def thread_counts() -> list[int]:
    logical = os.cpu_count() or 1
    return sorted({1, default_threads(), logical})


def turn(engine: Engine, nonce: int, tokens: int) -> Done:
    question = ChatMessage("user", f"{str(nonce).zfill(6)[::-1]} {TEXT}")
    request = GenerationRequest(
        (question,), enable_thinking=False, max_tokens=tokens, sampling=Sampling(seed=1)
    )
    done = None
    for ev in engine.generate(request):
        if isinstance(ev, Done):
            done = ev
    assert done is not None and done.ttft_s and done.decode_tokens_per_s
    return done


def engine_speeds(
    model: str, counts: list[int], rounds: int, tokens: int, tmp: Path
) -> dict[int, list[Done]]:
    engines = {}
    try:
        for n in counts:
            engines[n] = Engine(state=MachineState(tmp / f"state-{n}.json"))
            engines[n].load(model, n_ctx=2048, n_threads=n)
            turn(engines[n], 0, 8)  # warm-up
        runs: dict[int, list[Done]] = {n: [] for n in counts}
        nonce = 1
        for r in range(rounds):
            for n in counts if r % 2 == 0 else reversed(counts):
                done = turn(engines[n], nonce, tokens)
                nonce += 1
                runs[n].append(done)
                print(
                    f"round {r + 1}, {n} threads: prompt {prompt_rate(done):.1f} tok/s, "
                    f"decode {done.decode_tokens_per_s:.1f} tok/s",
                    flush=True,
                )
        return runs
    finally:
        for e in engines.values():
            e.close()


def prompt_rate(done: Done) -> float:
    return done.evaluated_prompt_tokens / (done.ttft_s or 1.0)


def window_stalls(model: str, threads: int, seconds: float) -> tuple[float, float, float, int]:
    """:func:`measure_window` in a process of its own (a fresh window, data dir and QApplication)."""
    import json
    import subprocess

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env["QWENDESK_HOME"] = tempfile.mkdtemp(prefix="qwendesk-window-")
    cmd = [sys.executable, __file__, "--window", model, str(threads), str(seconds)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"the window measurement failed:\n{out.stderr[-3000:]}")
    p50, p99, worst, chars = json.loads(out.stdout.strip().splitlines()[-1])
    return p50, p99, worst, chars


def measure_window(model: str, threads: int, seconds: float) -> tuple[float, float, float, int]:
    """(p50, p99, max) lateness of a 5 ms main-thread timer in ms while the window streams, and the
    answer's length in characters."""
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from app.models.load_options import LoadOptions
    from app.ui.app import build_window

    window = build_window(None)
    app = QApplication.instance()
    assert app is not None
    window.settings.set_load_options(model, LoadOptions(n_ctx=2048, n_threads=threads))
    window.show()
    window.controller.load_model(model)
    deadline = time.monotonic() + 120
    while (window.controller.model_loading or window.bridge.busy) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    lateness: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(5)
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        lateness.append(max(0.0, now - last[0] - 5.0))
        last[0] = now

    timer.timeout.connect(tick)
    window.controller.send("Tell me a long story about the sea.")  # short: the time goes to decoding
    while not window.controller.answering:
        app.processEvents()
    clock.start()
    timer.start()
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at and window.controller.answering:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    window.controller.stop()
    while window.controller.answering:
        app.processEvents()
    chars = len(window.view.widgets[-1].answer.toPlainText())
    if chars == 0:
        message = window.store.messages(window.controller.conversation.id)[-1]
        raise RuntimeError(f"nothing streamed in {seconds} s: {message.status} {message.error or ''}")
    window.close()
    window.bridge.shutdown()
    lateness.sort()
    return (
        statistics.median(lateness),
        lateness[int(0.99 * (len(lateness) - 1))],
        lateness[-1],
        chars,
    )


def main() -> int:
    if sys.argv[1:2] == ["--window"]:  # the child of window_stalls
        import json

        model, threads, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        print(json.dumps(measure_window(model, threads, seconds)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", metavar="PATH")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--seconds", type=float, default=8.0, help="window streaming time per setting")
    parser.add_argument("--out", metavar="FILE", help="update the threads section of this markdown file")
    parser.add_argument("--quick", action="store_true", help="a small model, one round (CI: it still runs)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.tokens, args.seconds = 1, 16, 1.0
    with tempfile.TemporaryDirectory(prefix="qwendesk-threads-") as tmp:
        os.environ["QWENDESK_HOME"] = str(Path(tmp) / "home")
        model = args.model
        if model is None:
            from app.models.synthetic import write_benchmark_gguf

            shape = {"n_layers": 2, "n_embd": 256, "n_ff": 512, "n_words": 500} if args.quick else {}
            model = str(write_benchmark_gguf(Path(tmp) / "bench.gguf", **shape))
        info = read_gguf_info(model)
        counts = thread_counts()
        runs = engine_speeds(model, counts, args.rounds, args.tokens, Path(tmp))
        window = {n: window_stalls(model, n, args.seconds) for n in sorted({1, default_threads()})}
    base = runs[1]
    rows = []
    for n in counts:
        prompt = statistics.median(prompt_rate(d) for d in runs[n])
        decode = statistics.median(d.decode_tokens_per_s or 0.0 for d in runs[n])
        p_ratio = statistics.median(prompt_rate(d) / prompt_rate(b) for d, b in zip(runs[n], base))
        d_ratio = statistics.median(
            (d.decode_tokens_per_s or 0.0) / (b.decode_tokens_per_s or 1.0) for d, b in zip(runs[n], base)
        )
        default = " (default)" if n == default_threads() else ""
        rows.append(f"| {n}{default} | {prompt:.1f} | **{p_ratio:.2f}** | {decode:.1f} | **{d_ratio:.2f}** |")
    stalls = [
        f"| {n}{' (default)' if n == default_threads() else ''} | {p50:.1f} | {p99:.1f} | {worst:.1f} | "
        f"{chars:,} |"
        for n, (p50, p99, worst, chars) in window.items()
    ]
    evaluated = runs[1][0].evaluated_prompt_tokens
    lines = [
        MARK_BEGIN,
        "## Engine threads: prompt and decode speed per thread count, and the window at full threads",
        "",
        f"Command: `.venv/bin/python benchmarks/threads.py --rounds {args.rounds} --tokens {args.tokens}"
        f" --seconds {args.seconds:g}" + (f" --model {args.model}" if args.model else "") + "`",
        "",
        f"Model: {info.name or Path(model).name} ({info.block_count} layers × {info.embedding_length}, "
        f"{info.tensor_bytes / 2**20:,.0f} MiB of weights); {cpu_name()}, {os.cpu_count()} logical CPUs, "
        f"{default_threads()} physical cores (the default); a {evaluated}-token prompt evaluated whole "
        f"and {args.tokens} tokens decoded per run; {args.rounds} alternating rounds. Ratios against "
        "1 thread, median of the per-round ratios.",
        "",
        "| threads | prompt tokens/s | × 1 thread | decode tokens/s | × 1 thread |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"The window streaming that model's answer for {args.seconds:g} s (offscreen, real MainWindow): how "
        "late a 5 ms timer on the main thread fires.",
        "",
        "| engine threads | lateness p50 ms | p99 ms | worst ms | answer characters streamed |",
        "|---|---|---|---|---|",
        *stalls,
        MARK_END,
    ]
    report = "\n".join(lines)
    print(report)
    if args.out:
        write_section(Path(args.out), report, MARK_BEGIN, MARK_END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

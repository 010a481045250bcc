"""The network paths against the engine itself: the local API server and the remote engine.

    .venv/bin/python benchmarks/api_paths.py [--runs 8] [--tokens 128] [--out docs/benchmarks.md]

One loaded model (the benchmark-shaped random Qwen3 that ``qwendesk bench engine`` generates, or
``--model``), one ``Engine``, and the same request on three paths, in alternating rounds:

1. *direct* (the baseline): ``Engine.generate``, timed where the caller sees the Answer events;
2. *openai → API server*: ``ApiServer`` on 127.0.0.1 (port 0) with a ``SharedEngine`` around that
   same engine, read with the ``openai`` client streaming (timestamps of the content deltas);
3. *RemoteEngine → API server*: ``app.remote.engine.RemoteEngine`` against that server, i.e. the
   whole round trip a user of a remote QwenDesk sees (its Answer events).

Per path: decode tokens/s (first to last piece of the answer), time to the first piece (from the
call), and the part of that time spent outside llama.cpp (the caller's TTFT minus the worker's own,
``Done.ttft_s``); medians, and against the direct path the median of the per-round ratios or
differences (this machine's speed drifts by several percent between runs; pairs cancel most of it).
Target: each network path keeps ≥ 0.95 of the direct decode speed and adds ≤ 50 ms outside llama.cpp.

Same work on every path: the same messages, non-thinking preset sampling with seed 1, and
``--tokens`` tokens (nothing can stop earlier: the model only writes words). The engine keeps its KV
cache between turns, so the user message starts with a nonce that differs from the previous run's in
its first token (a zero-padded run counter, reversed; digits are one token each): every run of every
path re-evaluates the prompt from the nonce on, the same number of tokens. The engine records each
turn's ``Done`` (prompt tokens, tokens evaluated, tokens generated, its own decode rate) on all three
paths, and the script stops if these differ between runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openai

from app.backend.engine import Engine
from app.backend.machine_state import MachineState
from app.backend.protocol import (
    Answer,
    ChatMessage,
    Done,
    GenerationRequest,
    Reasoning,
    Sampling,
    StreamEvent,
)
from app.backend.sampling import resolve
from app.backend.shared_engine import SharedEngine
from app.cli.bench import write_section
from app.models.gguf_file import read_gguf_info
from app.remote.endpoint import Endpoint
from app.remote.engine import RemoteEngine
from app.server import ApiServer

MARK_BEGIN, MARK_END = "<!-- bench:api -->", "<!-- /bench:api -->"
QUESTION = "Write a long story about the sea."
SEED = 1
TARGET_DECODE = 0.95  # each network path keeps ≥ this share of the direct decode speed
TARGET_TTFT_MS = 50.0  # and adds at most this much outside llama.cpp before the first piece


class RecordingEngine(Engine):
    """The engine, remembering each turn's ``Done`` whichever path asked for it."""

    def __init__(self, state: MachineState) -> None:
        super().__init__(state=state)
        self.dones: list[Done] = []

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        for ev in super().generate(request):
            if isinstance(ev, Done):
                self.dones.append(ev)
            yield ev


@dataclass(frozen=True)
class Run:
    pieces: int
    ttft_s: float
    decode_tps: float
    cpu_ms: float  # CPU time of this process (caller, server threads; not the worker) per piece
    text: str
    done: Done  # as the engine recorded it

    @property
    def outside_ms(self) -> float:
        """Time to the first piece not spent in the worker's own turn (which ``done.ttft_s`` covers)."""
        return (self.ttft_s - (self.done.ttft_s or 0.0)) * 1000


def _timed(start: float, cpu: float, stamps: list[float], text: list[str], engine: RecordingEngine) -> Run:
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    cpu_ms = (time.process_time() - cpu) * 1000 / max(1, len(stamps))
    return Run(len(stamps), stamps[0] - start, rate, cpu_ms, "".join(text), engine.dones[-1])


def direct(engine: RecordingEngine, request: GenerationRequest) -> Run:
    stamps: list[float] = []
    text: list[str] = []
    start, cpu = time.perf_counter(), time.process_time()
    for ev in engine.generate(request):
        if isinstance(ev, (Answer, Reasoning)):
            stamps.append(time.perf_counter())
            text.append(ev.text)
    return _timed(start, cpu, stamps, text, engine)


def via_openai(client: openai.OpenAI, model: str, engine: RecordingEngine, request: GenerationRequest) -> Run:
    s = resolve(request.sampling, request.enable_thinking)
    stamps: list[float] = []
    text: list[str] = []
    start, cpu = time.perf_counter(), time.process_time()
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": m.role, "content": m.content} for m in request.messages],
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=request.max_tokens,
        temperature=s.temperature,
        top_p=s.top_p,
        presence_penalty=s.presence_penalty,
        seed=s.seed,
        extra_body={
            "top_k": s.top_k,
            "min_p": s.min_p,
            "chat_template_kwargs": {"enable_thinking": request.enable_thinking},
        },
    )
    with stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                stamps.append(time.perf_counter())
                text.append(chunk.choices[0].delta.content)
    return _timed(start, cpu, stamps, text, engine)


def via_remote(remote: RemoteEngine, engine: RecordingEngine, request: GenerationRequest) -> Run:
    stamps: list[float] = []
    text: list[str] = []
    start, cpu = time.perf_counter(), time.process_time()
    for ev in remote.generate(request):
        if isinstance(ev, (Answer, Reasoning)):
            stamps.append(time.perf_counter())
            text.append(ev.text)
    return _timed(start, cpu, stamps, text, engine)


def request_for(nonce: str | None, tokens: int) -> GenerationRequest:
    content = QUESTION if nonce is None else f"{nonce}. {QUESTION}"
    return GenerationRequest(
        messages=(ChatMessage("user", content),),
        enable_thinking=False,
        max_tokens=tokens,
        sampling=Sampling(seed=SEED),
    )


def nonce(n: int) -> str:
    """Consecutive runs differ in the first character (so in the first token after the template's)."""
    return f"{n:04d}"[::-1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", metavar="PATH", help="GGUF to use (default: generate a 28×1024 F16 model)")
    parser.add_argument("--runs", type=int, default=8, help="alternating runs of each path (default 8)")
    parser.add_argument("--tokens", type=int, default=128, help="tokens decoded per run (default 128)")
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads (default 1)")
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--out", metavar="FILE", help="update the api section of this markdown file")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="qwendesk-bench-api-") as tmp_name:
        tmp = Path(tmp_name)
        model = args.model
        if model is None:
            from app.models.synthetic import write_benchmark_gguf

            print("generating a 28-layer × 1024 F16 model …", flush=True)
            model = str(write_benchmark_gguf(tmp / "bench.gguf"))
        info = read_gguf_info(model)
        engine = RecordingEngine(MachineState(tmp / "state.json"))
        shared = SharedEngine(engine)
        server = None
        client = None
        remote = None
        try:
            engine.load(model, n_ctx=args.ctx, n_threads=args.threads)
            server = ApiServer(shared, port=0)
            server.start()
            served = server.served_model()
            assert served is not None
            client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0, timeout=300)
            remote = RemoteEngine(Endpoint.from_url(server.url, preset="llama-server"))
            remote.connect()
            paths: dict[str, Callable[[GenerationRequest], Run]] = {
                "direct": lambda r: direct(engine, r),
                "server": lambda r: via_openai(client, served.id, engine, r),
                "remote": lambda r: via_remote(remote, engine, r),
            }
            # Warm-up (connections, imports) and a check that the sampling reaches the model alike:
            # the same prompt on each path must give the same answer.
            warm = {name: run(request_for(None, 16)).text for name, run in paths.items()}
            same_answer = len(set(warm.values())) == 1
            if not same_answer:
                print(f"warning: the warm-up answers differ between paths: {warm}", flush=True)
            runs: dict[str, list[Run]] = {name: [] for name in paths}
            order = list(paths)
            counter = 0
            for i in range(args.runs):
                for name in order[i % 3 :] + order[: i % 3]:  # each path goes first in turn
                    counter += 1
                    runs[name].append(paths[name](request_for(nonce(counter), args.tokens)))
                d, s, r = (runs[name][-1] for name in order)
                print(
                    f"round {i + 1}: decode tok/s direct {d.decode_tps:.2f}, server {s.decode_tps:.2f}, "
                    f"remote {r.decode_tps:.2f}; TTFT ms {d.ttft_s * 1000:.0f} / {s.ttft_s * 1000:.0f} / "
                    f"{r.ttft_s * 1000:.0f} (outside llama.cpp {d.outside_ms:.1f} / {s.outside_ms:.1f} / "
                    f"{r.outside_ms:.1f})",
                    flush=True,
                )
        finally:
            if remote is not None:
                remote.close()
            if client is not None:
                client.close()
            if server is not None:
                server.shutdown()
            shared.close()
    # The same work on every run of every path, or the comparison means nothing.
    every = [run for name in runs for run in runs[name]]
    shapes = {
        (
            run.done.prompt_tokens,
            run.done.evaluated_prompt_tokens,
            run.done.completion_tokens,
            run.pieces,
            run.done.finish_reason,
        )
        for run in every
    }
    if len(shapes) != 1:
        print(f"error: the runs did different work (prompt, evaluated, generated, pieces): {shapes}")
        return 1
    prompt_tokens, evaluated, generated, pieces, _finish = shapes.pop()
    report = _report(args, info, model, load, runs, prompt_tokens, evaluated, generated, pieces, same_answer)
    print(report)
    if args.out:
        write_section(Path(args.out), report, MARK_BEGIN, MARK_END)
    return 0


def _report(
    args: argparse.Namespace,
    info: object,
    model: str,
    load: float,
    runs: dict[str, list[Run]],
    prompt_tokens: int,
    evaluated: int,
    generated: int,
    pieces: int,
    same_answer: bool,
) -> str:
    base = runs["direct"]
    labels = {
        "direct": "`Engine.generate` (baseline)",
        "server": "`openai` client → local API server",
        "remote": "`RemoteEngine` → local API server",
    }
    short = {"server": "openai → server", "remote": "RemoteEngine → server"}
    rows = []
    verdicts = []
    for name, label in labels.items():
        mine = runs[name]
        tps = statistics.median(r.decode_tps for r in mine)
        inside = statistics.median(r.done.decode_tokens_per_s or 0.0 for r in mine)
        ttft = statistics.median(r.ttft_s for r in mine) * 1000
        outside = statistics.median(r.outside_ms for r in mine)
        cpu = statistics.median(r.cpu_ms for r in mine)
        if name == "direct":
            rows.append(
                f"| {label} | {tps:.2f} | 1 | {inside:.2f} | {cpu:.2f} | {ttft:.0f} | 1 | {outside:.1f} | |"
            )
            continue
        ratio = statistics.median(m.decode_tps / b.decode_tps for m, b in zip(mine, base))
        ttft_ratio = statistics.median(m.ttft_s / b.ttft_s for m, b in zip(mine, base))
        added = statistics.median(m.outside_ms - b.outside_ms for m, b in zip(mine, base))
        met = ratio >= TARGET_DECODE and added <= TARGET_TTFT_MS
        verdicts.append(f"{short[name]} {'met' if met else '**not met**'}")
        rows.append(
            f"| {label} | {tps:.2f} | **{ratio:.3f}** | {inside:.2f} | {cpu:.2f} | {ttft:.0f} "
            f"| {ttft_ratio:.2f} | {outside:.1f} | **{added:+.1f}** |"
        )

    def per_run(value: Callable[[Run], str]) -> str:
        return ", ".join(" / ".join(value(runs[name][i]) for name in labels) for i in range(len(base)))

    spread = (max(r.ttft_s for r in base) - min(r.ttft_s for r in base)) * 1000
    name = getattr(info, "name", None) or Path(model).name
    layers, width = getattr(info, "block_count", "?"), getattr(info, "embedding_length", "?")
    mib = getattr(info, "tensor_bytes", 0) / 2**20
    lines = [
        MARK_BEGIN,
        "## API paths: the local API server and the remote engine against the engine itself",
        "",
        f"Command: `.venv/bin/python benchmarks/api_paths.py --runs {args.runs} --tokens {args.tokens}"
        + (f" --threads {args.threads}" if args.threads != 1 else "")
        + (f" --ctx {args.ctx}" if args.ctx != 4096 else "")
        + (f" --model {args.model}" if args.model else "")
        + " --out docs/benchmarks.md`",
        "",
        f"Model: {name} ({layers} layers × {width}, {mib:,.0f} MiB of weights), loaded once; "
        f"{args.threads} thread{'s' if args.threads != 1 else ''}; "
        f"non-thinking preset sampling, seed {SEED}; "
        f"{args.tokens} tokens per run; {args.runs} rounds, one run of each path per round, each path "
        f"first in turn; {os.cpu_count()} cores (load average {load:.1f} at the start). "
        "*Direct*: `Engine.generate`, timed at the caller's Answer events. "
        "*openai → server*: QwenDesk's `ApiServer` on 127.0.0.1 with a `SharedEngine` around the same "
        "engine, read with the `openai` client streaming (content deltas). "
        "*RemoteEngine → server*: `RemoteEngine` (preset llama-server) against that server, its Answer "
        "events: what a user of a remote QwenDesk sees. Decode: first to last piece of the answer; TTFT: "
        "from the call to the first piece. Ratios and the added time are medians of the per-round "
        "paired values. "
        f"Same work everywhere (checked on every run): a {prompt_tokens}-token prompt of which "
        f"{evaluated} are evaluated, {generated} tokens generated, {pieces} pieces streamed. The engine "
        "keeps its KV cache between turns, so the message starts with a nonce whose first token differs "
        "from the previous run's: every run re-evaluates the prompt from there on instead of some runs "
        "finding it all cached. The same un-nonced prompt on each path "
        + ("gave the same answer" if same_answer else "did **not** give the same answer")
        + " (the sampling reaches the model alike).",
        "",
        "| path | decode tokens/s | ratio | worker's own decode tokens/s | app CPU per token (ms) "
        "| TTFT (ms) | TTFT ratio | TTFT outside llama.cpp (ms) | added outside llama.cpp (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Per-run decode tokens/s, direct / server / remote: " + per_run(lambda r: f"{r.decode_tps:.2f}"),
        "",
        "Per-run TTFT (ms), direct / server / remote: " + per_run(lambda r: f"{r.ttft_s * 1000:.0f}"),
        "",
        "Per-run TTFT outside llama.cpp (ms), direct / server / remote: "
        + per_run(lambda r: f"{r.outside_ms:.1f}"),
        "",
        f"Target: each network path keeps ≥ {TARGET_DECODE} of the direct decode speed and adds ≤ "
        f"{TARGET_TTFT_MS:.0f} ms outside llama.cpp before the first piece: {'; '.join(verdicts)}. "
        "TTFT is nearly all llama.cpp evaluating the prompt, whose run-to-run drift (the direct runs "
        f"alone spread over {spread:.0f} ms) shows in the TTFT ratio; *outside llama.cpp* separates the "
        "paths' own cost from it: the caller's TTFT minus the worker's own (which starts "
        "when the worker receives the turn and ends at its first token): template, pipe, events, and "
        "for the network paths the HTTP request, the server's parsing and its first chunk. The first "
        "request on a fresh client (imports, connection) is left to the warm-up. *App CPU per token*: "
        "CPU time of the benchmark's own process (the caller, and for the network paths the server's "
        "threads and the client; not the llama.cpp worker) over a run, per streamed piece: the work the "
        "path adds per token, on the core the worker's single thread does not use.",
        MARK_END,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""The local API server under a bounded load of hostile requests: do other clients still get answers?

    .venv/bin/python benchmarks/api_hostile.py [--requests 150] [--hostile 3] [--out docs/benchmarks.md]

One ``ApiServer`` on 127.0.0.1 (port 0) over the scripted test model (it answers "Hello! How can I
help?" in a few tokens, so a request's time is mostly the server's own). A *normal* client sends
``--requests`` chat completions (non-streaming, thinking off) and as many ``GET /v1/models`` on one
kept-alive connection, each timed; first alone (the baseline), then while ``--hostile`` threads
send, on fresh connections and as fast as they are answered, the requests of issue 13 point 6:
odd roles, non-finite numbers, 40 000-deep JSON, lone surrogates, NaN, a 70 KB request line,
``HTTP/9x``, garbage, a TLS hello, a body bigger than the context could hold (announced, not
sent), plus slow clients that trickle their headers and connections that send nothing. Everything
stays on loopback and stops with the normal client. The hostile answers are tallied by status; a
dropped connection or a 500 counts as a failure.

It also times keep-alive requests on one connection (``GET /health``, sequential) with the server's
``TCP_NODELAY`` and with it cleared on the accepted socket (what the server did before), since
Nagle's algorithm with the client's delayed ACK held each response back by about 40 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.backend.engine import Engine
from app.backend.machine_state import MachineState
from app.backend.shared_engine import SharedEngine
from app.cli.bench import write_section
from app.models.synthetic import write_scripted_gguf
from app.server import ApiServer
from app.server.http_server import ApiHTTPServer

MARK_BEGIN, MARK_END = "<!-- bench:api-hostile -->", "<!-- /bench:api-hostile -->"
CHAT = "/v1/chat/completions"
Phase = tuple[dict[str, list[float]], Counter[str], float]  # normal times (ms), hostile answers, seconds


def hostile_requests(model: str) -> dict[str, bytes]:
    """Whole requests as bytes, by name."""

    def post(body: str | bytes) -> bytes:
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        head = f"POST {CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        return head.encode() + f"Content-Length: {len(data)}\r\n\r\n".encode() + data

    def chat(extra: str) -> bytes:
        base = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})
        return post(base[:-1] + extra + "}")

    deep = "[" * 40_000 + "]" * 40_000
    return {
        "role as a list": post(
            json.dumps({"model": model, "messages": [{"role": ["user"], "content": "x"}]})
        ),
        "temperature 1e400": chat(', "temperature": 1e400'),
        "temperature NaN": chat(', "temperature": NaN'),
        "temperature 1e308": chat(', "temperature": 1e308'),
        "temperature 1e-320": chat(', "temperature": 1e-320'),
        "40 000-deep JSON": chat(f', "metadata": {deep}'),
        "lone surrogate": post(
            '{"model": "%s", "messages": [{"role": "user", "content": "\\ud800"}]}' % model  # noqa: UP031
        ),
        "70 KB request line": b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        "HTTP/9x": b"GET / HTTP/9x\r\n\r\n",
        "garbage": b"\x00\xffgarbage \x01\x02\r\n\r\n",
        "TLS hello": bytes.fromhex("16030100f4010000f00303") + os.urandom(32),
        "body beyond the context": (
            f"POST {CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 16000000\r\n\r\n".encode()
        ),
    }


def send(port: int, data: bytes) -> int | str:
    """One hostile request on a fresh connection: the status, or how it failed."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError as exc:
        return f"connect failed ({type(exc).__name__})"
    with closing(sock):
        try:
            sock.sendall(data)
            response = http.client.HTTPResponse(sock)
            response.begin()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException) as exc:
            return f"no answer ({type(exc).__name__})"


def slow_client(port: int, stop: threading.Event) -> str:
    """Trickles a header byte every 0.2 s until the server cuts it (or the run ends)."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError:
        return "connect failed"
    with closing(sock):
        sock.settimeout(0.2)
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
            while not stop.is_set():
                sock.sendall(b"X")
                try:
                    data = sock.recv(1024)
                except TimeoutError:
                    continue
                return "cut" if not data else "answered"
        except OSError:
            return "cut"
    return "still open at the end"


def hostile_process(port: int, model: str, threads: int, rate: float, stop: Any, results: Any) -> None:
    """The hostile clients, in their own process (their threads would share the server's GIL)."""
    tally: Counter[str] = Counter()
    local_stop = threading.Event()
    workers = hostile_load(port, model, threads, rate, local_stop, tally)
    stop.wait()
    local_stop.set()
    for worker in workers:
        worker.join(timeout=30)
    results.put(dict(tally))


def hostile_load(
    port: int, model: str, threads: int, rate: float, stop: threading.Event, tally: Counter[str]
) -> list:
    """``rate`` requests per second in all (0: each thread sends as soon as it has its answer)."""
    requests = list(hostile_requests(model).items())
    lock = threading.Lock()

    def loop(offset: int) -> None:
        i = offset
        interval = threads / rate if rate else 0.0
        next_at = time.monotonic()
        while not stop.is_set():
            if interval:
                next_at += interval
                stop.wait(max(0.0, next_at - time.monotonic()))
            name, data = requests[i % len(requests)]
            i += 1
            result = send(port, data)
            with lock:
                tally[f"{name}: {result}"] += 1

    def slow_loop() -> None:
        while not stop.is_set():
            result = slow_client(port, stop)
            with lock:
                tally[f"slow headers: {result}"] += 1

    def silent_loop() -> None:
        while not stop.is_set():
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.settimeout(0.5)
                while not stop.is_set():
                    try:
                        data = sock.recv(1)
                    except TimeoutError:
                        continue
                    with lock:
                        tally["silent connection: " + ("cut" if not data else "answered")] += 1
                    break

    workers = [threading.Thread(target=loop, args=(k * 3,), daemon=True) for k in range(threads)]
    workers += [threading.Thread(target=slow_loop, daemon=True) for _ in range(2)]
    workers += [threading.Thread(target=silent_loop, daemon=True) for _ in range(2)]
    for worker in workers:
        worker.start()
    return workers


def normal_client(port: int, model: str, n: int) -> dict[str, list[float]]:
    """Chat completions and model lists on one kept-alive connection, each timed (ms)."""
    body = json.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": "hi"}],
            "chat_template_kwargs": {"enable_thinking": False},
        }
    )
    times: dict[str, list[float]] = {"chat": [], "models": []}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    with closing(conn):
        for _ in range(n):
            for kind, method, path, data in (
                ("chat", "POST", CHAT, body),
                ("models", "GET", "/v1/models", None),
            ):
                start = time.perf_counter()
                conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - start) * 1000
                if response.status != 200:
                    raise SystemExit(f"the normal client got {response.status} for {path}")
                times[kind].append(elapsed)
    return times


def keep_alive_ms(port: int, n: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    with closing(conn):
        for _ in range(n):
            start = time.perf_counter()
            conn.request("GET", "/health")
            conn.getresponse().read()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[1:])  # the first one also connects


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=150, help="normal chat requests per phase (default 150)"
    )
    parser.add_argument("--hostile", type=int, default=3, help="threads sending hostile requests (default 3)")
    parser.add_argument(
        "--header-timeout", type=float, default=1.0, help="the server's deadline for a request's head (s)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=200.0,
        help="hostile requests per second in the paced phase (default 200)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three phases (default 3)")
    parser.add_argument("--out", metavar="FILE", help="update the api-hostile section of this markdown file")
    args = parser.parse_args()

    rounds: list[dict[str, Phase]] = []
    with tempfile.TemporaryDirectory(prefix="qwendesk-bench-hostile-") as tmp_name:
        tmp = Path(tmp_name)
        engine = Engine(state=MachineState(tmp / "state.json"))
        shared = SharedEngine(engine)
        server = None
        try:
            engine.load(str(write_scripted_gguf(tmp / "scripted.gguf")), n_ctx=2048)
            server = ApiServer(shared, port=0, header_timeout=args.header_timeout)
            server.start()
            served = server.served_model()
            assert served is not None
            normal_client(server.port, served.id, 10)  # warm-up
            for round_ in range(args.rounds):
                print(f"round {round_ + 1}: alone …", flush=True)
                rounds.append(
                    {"alone": (normal_client(server.port, served.id, args.requests), Counter(), 0.0)}
                )
                for name, rate in ((f"{args.rate:g} hostile/s", args.rate), ("flood", 0.0)):
                    print(f"round {round_ + 1}: {name} …", flush=True)
                    rounds[-1][name] = under_load(server.port, served.id, args, rate)
            health = keep_alive_ms(server.port, 50)
            nagle = _without_nodelay(lambda: keep_alive_ms(server.port, 50))
        finally:
            if server is not None:
                server.shutdown()
            shared.close()
    report = _report(args, rounds, health, nagle)
    print(report)
    if args.out:
        write_section(Path(args.out), report, MARK_BEGIN, MARK_END)
    return 1 if any(_failures(tally) for phases in rounds for _, tally, _ in phases.values()) else 0


def under_load(
    port: int, model: str, args: argparse.Namespace, rate: float
) -> tuple[dict[str, list[float]], Counter[str], float]:
    """The normal client's times while another process sends hostile requests (its threads would
    share the server's GIL here); the hostile answers tallied; how long the hostile load lasted."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    results = context.Queue()
    started = time.perf_counter()
    hostile = context.Process(target=hostile_process, args=(port, model, args.hostile, rate, stop, results))
    hostile.start()
    time.sleep(2.0)  # the process starts and the load builds up
    loaded = normal_client(port, model, args.requests)
    stop.set()
    tally: Counter[str] = Counter(results.get(timeout=60))
    hostile.join(timeout=30)
    return loaded, tally, time.perf_counter() - started


def _failures(tally: Counter[str]) -> int:
    return sum(
        n for key, n in tally.items() if ": 500" in key or "no answer" in key or "connect failed" in key
    )


def _without_nodelay(measure: Callable[[], float]) -> float:
    """``measure`` with TCP_NODELAY cleared on newly accepted sockets (the server before the fix)."""
    original = ApiHTTPServer.get_request

    def get_request(self: ApiHTTPServer) -> tuple[socket.socket, Any]:
        conn, address = original(self)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        return conn, address

    ApiHTTPServer.get_request = get_request  # type: ignore[method-assign]
    try:
        return measure()
    finally:
        ApiHTTPServer.get_request = original  # type: ignore[method-assign]


def _report(args: argparse.Namespace, rounds: list[dict[str, Phase]], health: float, nagle: float) -> str:
    rows = []
    tallies: dict[str, Counter[str]] = {}
    for name in rounds[0]:
        tally: Counter[str] = sum((r[name][1] for r in rounds), Counter())
        tallies[name] = tally
        seconds = sum(r[name][2] for r in rounds)
        for kind, label in (("chat", "chat completion"), ("models", "GET /v1/models")):
            times = [t for r in rounds for t in r[name][0][kind]]
            ratios = [
                statistics.median(r[name][0][kind]) / statistics.median(r["alone"][0][kind]) for r in rounds
            ]
            ratio = "1" if name == "alone" else f"**{statistics.median(ratios):.2f}**"
            sent = "" if name == "alone" else f"{sum(tally.values())} in {seconds:.1f} s"
            bad = "" if name == "alone" else str(_failures(tally))
            rows.append(
                f"| {name} | {label} | {statistics.median(times):.2f} | {p95(times):.2f} | {ratio} | {sent} "
                f"| {bad} |"
            )
    answers = [
        f"*{name}*: " + ", ".join(f"{key} ×{n}" for key, n in sorted(tally.items())) + "."
        for name, tally in tallies.items()
        if name != "alone"
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join(
        [
            MARK_BEGIN,
            "## API server under hostile requests: other clients' latency",
            "",
            f"Command: `.venv/bin/python benchmarks/api_hostile.py --requests {args.requests} "
            f"--hostile {args.hostile} --rounds {args.rounds} --rate {args.rate:g} "
            f"--header-timeout {args.header_timeout:g} --out docs/benchmarks.md`",
            "",
            "Scripted test model (answers in a few tokens: a request's time is mostly the server's own), "
            f"n_ctx 2048; {os.cpu_count()} cores (load average {load:.1f} at the end). A normal client sends "
            f"{args.requests} non-streaming chat completions (thinking off) and as many `GET /v1/models` on "
            f"one kept-alive connection: alone, then while another process's {args.hostile} threads send "
            "the hostile requests of issue 13 point 6 on fresh connections (odd role, temperature 1e400, "
            "NaN, 1e308 and 1e-320, 40 000-deep JSON, a lone surrogate, a 70 KB request line, `HTTP/9x`, "
            "garbage, a TLS hello, a 16 MB body announced), at a fixed rate and then as fast as they are "
            "answered (a flood that keeps both cores busy), while 2 more threads trickle headers (a byte "
            "every 0.2 s) and 2 open connections that send nothing. The server has its default limits (64 "
            "connections, 16 queued requests) and a deadline of "
            f"{args.header_timeout:g} s for a request's head (10 s by default), so that slow clients are "
            "cut within the run. The three phases alternate, in "
            f"{args.rounds} rounds. Latencies in ms over all rounds; the ratio is the median of the rounds' "
            "ratios of medians to the normal client alone in the same round; "
            "*failed*: hostile requests answered 500, not at all, or not connected.",
            "",
            "| hostile load | normal request | median | p95 | ratio | hostile requests | failed |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "The paced phase is the bounded load: the other client's requests take about their usual "
            "time. The flood has the hostile process and the server's parsing share the 2 cores with the "
            "normal client and the engine, so everything slows by the CPU it loses; no request is refused "
            "for it or dropped, and no hostile request is answered 500 or left unanswered.",
            "",
            "Hostile answers: " + " ".join(answers),
            "",
            f"Keep-alive `GET /health` on one connection, median of 49: **{health:.2f} ms** with TCP_NODELAY "
            f"(now); {nagle:.2f} ms with it cleared on the accepted socket (as before: Nagle's algorithm "
            "holds the body back until the client's delayed ACK of the headers).",
            MARK_END,
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())

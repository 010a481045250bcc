"""UI cost of streaming and of opening a conversation, on the main thread.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stream.py [--quick] [--write docs/benchmarks.md]

The real EngineBridge, ChatController, ChatView and widgets show a synthetic turn
that a stand-in engine streams from the bridge's own thread at a steady token
rate: a long reasoning followed by a short answer (think on), and a long
Markdown answer (think off), at 2,000 / 8,000 / 32,000 tokens. Measured on the
main thread: its busy time (linear streaming gives a 32,000 ÷ 8,000 ratio of 4;
target ≤ 4.5) and its longest stall, seen as the largest lateness of a 5 ms
heartbeat timer (target < 50 ms). Then ``controller.open`` of stored
conversations of 50 / 200 / 500 turns (target < 150 ms at 500 turns).

Busy time is the main thread's CPU time (time.thread_time) while the turn runs,
not the time inside wrapped controller methods: it counts all main-thread work
(the bridge's drain, the controller, layout, painting), does not break when those
are renamed, and leaves out time the thread waits for a core on a busy machine.
(The dispatcher's awake/aboutToBlock signals were tried: under the glib event
loop they miss most of the work.) The engine's thread is not counted.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.backend.protocol import Answer, Done, GenerationRequest, Reasoning, StreamEvent
from app.cli.bench import write_section
from app.store.chat_store import ChatStore
from app.ui.chat_controller import ChatController
from app.ui.chat_view import ChatView
from app.ui.composer import Composer
from app.ui.engine_bridge import EngineBridge
from app.ui.message_widget import MessageWidget

RATE = 1000  # tokens per second arriving from the "engine"
TICK_S = 0.005
SHORT_ANSWER = 60  # tokens of answer after a long reasoning
MARK_BEGIN, MARK_END = "<!-- bench:ui -->", "<!-- /bench:ui -->"
WORDS = ("the", "model", "streams", "tokens", "while", "the", "window", "stays", "smooth", "and", "quick")


def synthetic_answer(n_tokens: int, seed: int = 0) -> list[str]:
    """Markdown (paragraphs, bold lists, fenced code) split into ~4-character tokens."""
    rng = random.Random(seed)
    text: list[str] = []
    size = 0
    while size < n_tokens * 4:
        kind = rng.random()
        if kind < 0.5:
            part = " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + ".\n\n"
        elif kind < 0.75:
            part = "".join(f"- **{rng.choice(WORDS)}** {' '.join(rng.sample(WORDS, 6))}\n" for _ in range(5))
            part += "\n"
        else:
            body = "".join(f"    x_{i} = compute({i}, '{rng.choice(WORDS)}')\n" for i in range(10))
            part = f"```python\ndef step():\n{body}    return x_0\n```\n\n"
        text.append(part)
        size += len(part)
    flat = "".join(text)
    return [flat[i : i + 4] for i in range(0, len(flat), 4)][:n_tokens]


def synthetic_reasoning(n_tokens: int, seed: int = 1) -> list[str]:
    """Plain paragraphs of thinking, as Qwen3 writes them, split into ~4-character tokens."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    while size < n_tokens * 4:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 90)))
        part = f"Okay, {words}.\n\n" if rng.random() < 0.3 else f"{words.capitalize()}.\n\n"
        parts.append(part)
        size += len(part)
    flat = "".join(parts)
    return [flat[i : i + 4] for i in range(0, len(flat), 4)][:n_tokens]


class FakeEngine:
    """Stands in for app.backend.engine.Engine behind the real EngineBridge: ``generate`` runs on
    the bridge's thread and yields the scripted events at RATE tokens/s."""

    think_mode = "hybrid"
    info = None

    def __init__(self, reasoning: list[str], answer: list[str]) -> None:
        self.reasoning, self.answer = reasoning, answer
        self._cancel = threading.Event()

    def generate(self, request: GenerationRequest) -> Iterator[StreamEvent]:
        # As the engine does: no reasoning with thinking off, no more than max_tokens (the title
        # the window asks for after the first answer is a few tokens, not another long answer).
        events: list[StreamEvent] = [Reasoning(t) for t in self.reasoning] if request.enable_thinking else []
        events += [Answer(t) for t in self.answer]
        if request.max_tokens is not None:
            events = events[: request.max_tokens]
        start = time.perf_counter()
        sent = 0
        while sent < len(events) and not self._cancel.is_set():
            due = min(len(events), int((time.perf_counter() - start) * RATE) + 1)
            while sent < due:
                yield events[sent]
                sent += 1
            time.sleep(TICK_S)
        yield Done(
            "cancelled" if self._cancel.is_set() else "stop",
            10,
            10,
            len(events),
            len(self.reasoning),
            0.1,
            float(RATE),
            thought=bool(self.reasoning),
        )

    def cancel(self) -> None:
        self._cancel.set()

    def clear_cancel(self) -> None:
        self._cancel.clear()

    def close(self) -> None:
        self._cancel.set()


@dataclass
class Run:
    tokens: int
    busy_s: float
    stall_s: float
    wall_s: float


class Window:
    """The real controller and view in a shell window, with the bridge around a FakeEngine."""

    def __init__(self, home: Path, name: str, engine: FakeEngine | None = None) -> None:
        self.store = ChatStore(home / f"{name}.sqlite3")
        self.bridge = EngineBridge(engine=engine or FakeEngine([], []))  # type: ignore[arg-type]
        self.bridge.model_path = "bench"  # the controller sees a loaded model
        self.view, self.composer = ChatView(), Composer()
        self.shell = QWidget()
        layout = QVBoxLayout(self.shell)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.composer)
        self.shell.resize(1000, 800)
        self.shell.show()
        self.controller = ChatController(self.store, self.bridge, self.view, self.composer)

    def close(self) -> None:
        self.shell.close()
        self.bridge.shutdown()
        self.store.close()
        self.shell.deleteLater()


def stream(home: Path, n_tokens: int, *, think: bool) -> Run:
    """One turn: ``n_tokens`` of reasoning and a short answer (think), or of answer (no think)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if think:
        engine = FakeEngine(synthetic_reasoning(n_tokens), synthetic_answer(SHORT_ANSWER))
    else:
        engine = FakeEngine([], synthetic_answer(n_tokens))
    win = Window(home, f"{'think' if think else 'answer'}-{n_tokens}", engine)
    win.composer.think.setChecked(think)
    app.processEvents()
    worst = [0.0]
    last = [time.perf_counter()]

    def heartbeat() -> None:
        now = time.perf_counter()
        worst[0] = max(worst[0], now - last[0] - 0.005)
        last[0] = now

    beat = QTimer()
    beat.setInterval(5)
    beat.timeout.connect(heartbeat)
    loop = QEventLoop()
    win.controller.answering_changed.connect(lambda on: None if on else loop.quit())
    start, cpu = time.perf_counter(), time.thread_time()
    win.controller.send("Write something long.")
    last[0] = time.perf_counter()
    beat.start()
    if win.controller.answering:
        loop.exec()
    beat.stop()
    busy = time.thread_time() - cpu  # this (the main) thread's CPU time only
    wall = time.perf_counter() - start
    assert win.controller.conversation is not None
    answer = win.store.messages(win.controller.conversation.id)[-1]
    expected = SHORT_ANSWER if think else n_tokens
    assert answer.status == "complete" and len(answer.content) >= expected * 4 - 4, "the whole answer arrived"
    if think:
        assert len(answer.reasoning) >= n_tokens * 4 - 4, "the whole reasoning arrived"
    win.close()
    app.processEvents()
    return Run(n_tokens, busy, worst[0], wall)


REASONING_SAMPLE = (
    "The user asks how to read a large file line by line. A generator keeps memory flat, "
    "and the file object is itself an iterator over lines. " * 3
)
ANSWER_SAMPLE = (
    "Iterate over the **file object**: it yields one line at a time and never loads the whole file.\n\n"
    "```python\nwith open(path, encoding='utf-8') as f:\n    for line in f:\n        handle(line)\n```\n\n"
    "- memory stays flat\n- works for any size\n"
)


def open_time(home: Path, turns: int) -> tuple[float, int]:
    """(seconds for controller.open plus one processEvents pass, MessageWidgets afterwards)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    win = Window(home, f"open-{turns}")
    conv = win.store.create_conversation("bench")
    for i in range(turns):
        win.store.add_message(conv.id, "user", f"Question {i}: how do I read a large file?")
        win.store.add_message(
            conv.id,
            "assistant",
            ANSWER_SAMPLE,
            status="complete",
            reasoning=REASONING_SAMPLE,
            reasoning_collapsed=True,
            thinking_s=3.0,
            reasoning_tokens=80,
        )
    app.processEvents()
    start = time.perf_counter()
    win.controller.open(conv.id)
    app.processEvents()
    took = time.perf_counter() - start
    widgets = len(win.view.findChildren(MessageWidget))
    win.close()
    app.processEvents()
    return took, widgets


def expand_time(n_tokens: int) -> float:
    """Seconds to open a folded reasoning pane holding ``n_tokens`` of reasoning (and paint it)."""
    from app.ui.reasoning_pane import ReasoningPane

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    pane = ReasoningPane()
    pane.resize(700, 400)
    pane.set_expanded(False)
    pane.show()
    pane.set_text("".join(synthetic_reasoning(n_tokens)))  # as a stored message gives it: folded
    app.processEvents()
    start = time.perf_counter()
    pane.set_expanded(True)
    pane.repaint()
    app.processEvents()
    took = time.perf_counter() - start
    pane.close()
    return took


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", metavar="FILE", help="replace the bench:ui section of this file")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run, well under a minute)")
    args = parser.parse_args()
    sizes = (500, 2000) if args.quick else (2000, 8000, 32000)
    turn_counts = (20, 50) if args.quick else (50, 200, 500)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QWENDESK_HOME"] = tmp
        home = Path(tmp)
        stream(home, 200, think=True)  # warm-up: imports, fonts, Pygments
        reasoning = [stream(home, n, think=True) for n in sizes]
        answers = [stream(home, n, think=False) for n in sizes]
        opens = [(n, *open_time(home, n)) for n in turn_counts]
        expand = expand_time(sizes[-1])
    del app

    def table(runs: list[Run], what: str) -> list[str]:
        rows = [f"| {what} | main-thread busy (s) | longest stall (ms) | wall (s) |", "|---|---|---|---|"]
        rows += [
            f"| {r.tokens:,} tokens | {r.busy_s:.3f} | {r.stall_s * 1000:.1f} | {r.wall_s:.1f} |"
            for r in runs
        ]
        return rows

    big, mid = sizes[-1], sizes[-2]
    quick = " --quick" if args.quick else ""
    r_ratio = reasoning[-1].busy_s / reasoning[-2].busy_s
    a_ratio = answers[-1].busy_s / answers[-2].busy_s
    stall = max(r.stall_s for r in reasoning + answers)
    lines = [
        MARK_BEGIN,
        "## Chat window: streaming and opening cost on the main thread",
        "",
        f"Command: `QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stream.py{quick}`",
        "",
        f"A stand-in engine behind the real EngineBridge streams at {RATE} tokens/s into the real "
        "ChatController, ChatView and widgets (offscreen). Busy time: the main thread's CPU time."
        " Stall: the largest lateness of a 5 ms heartbeat timer.",
        "",
        f"Reasoning (think on; then a {SHORT_ANSWER}-token answer):",
        "",
        *table(reasoning, "reasoning"),
        "",
        "Answers (think off; Markdown with lists and fenced code):",
        "",
        *table(answers, "answer"),
        "",
        "Opening a stored conversation (`controller.open` and one `processEvents`; each turn a question "
        "and an answer with folded reasoning and a code block):",
        "",
        "| turns | open (ms) | MessageWidgets |",
        "|---|---|---|",
        *(f"| {n} | {s * 1000:.0f} | {w} |" for n, s, w in opens),
        "",
        f"Opening a folded reasoning of {sizes[-1]:,} tokens (click to expand, one paint): "
        f"**{expand * 1000:.0f} ms**.",
        "",
        f"Ratio {big:,} ÷ {mid:,} tokens: reasoning **{r_ratio:.2f}**, answers **{a_ratio:.2f}** "
        f"(linear = {big / mid:g}, target ≤ {big / mid + 0.5:g}); longest stall **{stall * 1000:.1f} ms** "
        f"(target < 50 ms); open {opens[-1][0]} turns **{opens[-1][1] * 1000:.0f} ms** "
        "(target < 150 ms at 500).",
        MARK_END,
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section(Path(args.write), report, MARK_BEGIN, MARK_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())

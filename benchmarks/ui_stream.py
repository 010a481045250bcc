"""UI cost of streaming: main-thread time for an 8,000-token answer ÷ a 2,000-token one.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stream.py [--write docs/benchmarks.md]

The real ChatController, ChatView and widgets render a synthetic Markdown answer
(paragraphs, lists, fenced code) arriving at a steady token rate from a stand-in
engine bridge. Measured on the main thread: the time spent handling events and
painting (linear streaming gives a ratio of 4; target ≤ 4.5), and the longest
stall, seen as the largest lateness of a 5 ms heartbeat timer (target < 50 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.backend.protocol import Answer, Done, GenerationRequest
from app.cli.bench import write_section
from app.store.chat_store import ChatStore
from app.ui.chat_controller import ChatController
from app.ui.chat_view import ChatView
from app.ui.composer import Composer

RATE = 1000  # tokens per second arriving from the "engine"
TICK_MS = 5
MARK_BEGIN, MARK_END = "<!-- bench:ui -->", "<!-- /bench:ui -->"


def synthetic_answer(n_tokens: int, seed: int = 0) -> list[str]:
    """Markdown split into ~4-character tokens."""
    rng = random.Random(seed)
    words = [
        "the",
        "model",
        "streams",
        "tokens",
        "while",
        "the",
        "window",
        "stays",
        "smooth",
        "and",
        "quick",
        "for",
        "every",
        "reader",
    ]
    text = []
    while sum(len(t) for t in text) < n_tokens * 4:
        kind = rng.random()
        if kind < 0.5:
            text.append(" ".join(rng.choice(words) for _ in range(60)).capitalize() + ".\n\n")
        elif kind < 0.75:
            items = (f"- **{rng.choice(words)}** {' '.join(rng.sample(words, 6))}\n" for _ in range(5))
            text.append("".join(items))
            text.append("\n")
        else:
            body = "".join(f"    x_{i} = compute({i}, '{rng.choice(words)}')\n" for i in range(10))
            text.append(f"```python\ndef step():\n{body}    return x_0\n```\n\n")
    flat = "".join(text)
    tokens = [flat[i : i + 4] for i in range(0, len(flat), 4)]
    return tokens[:n_tokens]


class FakeBridge(QObject):
    """Stands in for EngineBridge: delivers a fixed answer at RATE tokens/s on the main thread."""

    loaded = Signal(object)
    stream_event = Signal(object)
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, tokens: list[str]) -> None:
        super().__init__()
        self.model_path = "benchmark"
        self.tokens = tokens
        self.sent = 0
        self.started = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def generate(self, request: GenerationRequest) -> None:
        self.started = time.perf_counter()
        self.timer.start()

    def cancel(self) -> None:
        pass

    def _tick(self) -> None:
        due = min(len(self.tokens), int((time.perf_counter() - self.started) * RATE) + 1)
        while self.sent < due:
            self.stream_event.emit(Answer(self.tokens[self.sent]))
            self.sent += 1
        if self.sent == len(self.tokens):
            self.timer.stop()
            self.stream_event.emit(Done("stop", 10, 10, len(self.tokens), 0, 0.1, float(RATE)))


def measure(n_tokens: int, home: Path) -> tuple[float, float, float]:
    """(main-thread seconds in event handling + painting, worst heartbeat lateness in s, wall s)."""
    app = QApplication.instance() or QApplication([])
    store = ChatStore(home / f"bench-{n_tokens}.sqlite3")
    bridge = FakeBridge(synthetic_answer(n_tokens))
    view, composer = ChatView(), Composer()
    composer.think.setChecked(False)
    shell = QWidget()
    layout = QVBoxLayout(shell)
    layout.addWidget(view, 1)
    layout.addWidget(composer)
    shell.resize(1000, 800)
    shell.show()
    controller = ChatController(store, bridge, view, composer)  # type: ignore[arg-type]
    busy = [0.0]

    def timed(fn):
        def wrapper(*args):
            t = time.perf_counter()
            try:
                return fn(*args)
            finally:
                busy[0] += time.perf_counter() - t

        return wrapper

    controller._on_event = timed(controller._on_event)  # type: ignore[method-assign]
    bridge.stream_event.disconnect()
    bridge.stream_event.connect(controller._on_event)
    controller._timer.timeout.disconnect()
    controller._timer.timeout.connect(timed(controller.flush))
    worst = [0.0]
    last = [time.perf_counter()]

    def heartbeat() -> None:
        now = time.perf_counter()
        worst[0] = max(worst[0], now - last[0] - 0.005)
        last[0] = now

    beat = QTimer()
    beat.setInterval(5)
    beat.timeout.connect(heartbeat)
    start = time.perf_counter()
    controller.send("Write something long.")
    last[0] = time.perf_counter()
    beat.start()
    while controller.answering:
        app.processEvents()  # the benchmark drives the loop itself; the app never does this
        time.sleep(0.0005)
    beat.stop()
    wall = time.perf_counter() - start
    answer = store.messages(controller.conversation.id)[-1]  # type: ignore[union-attr]
    assert len(answer.content) >= n_tokens * 4 - 4, "the whole answer arrived"
    shell.close()
    store.close()
    return busy[0], worst[0], wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", metavar="FILE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QWENDESK_HOME"] = tmp
        small = measure(2000, Path(tmp))
        large = measure(8000, Path(tmp))
    ratio = large[0] / small[0]
    lines = [
        MARK_BEGIN,
        "## Chat window: streaming cost on the main thread",
        "",
        "Command: `QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stream.py`",
        "",
        f"A synthetic Markdown answer (paragraphs, bold lists, fenced Python) arrives at {RATE} tokens/s "
        "through the real ChatController, ChatView and AnswerView (offscreen).",
        "",
        "| answer | main-thread busy (s) | longest stall (ms) | wall (s) |",
        "|---|---|---|---|",
        f"| 2,000 tokens | {small[0]:.3f} | {small[1] * 1000:.1f} | {small[2]:.1f} |",
        f"| 8,000 tokens | {large[0]:.3f} | {large[1] * 1000:.1f} | {large[2]:.1f} |",
        "",
        f"Ratio 8,000 ÷ 2,000 tokens: **{ratio:.2f}** (linear = 4, target ≤ 4.5); "
        f"longest stall **{max(small[1], large[1]) * 1000:.1f} ms** (target < 50 ms).",
        MARK_END,
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section(Path(args.write), report, MARK_BEGIN, MARK_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())

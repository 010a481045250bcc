"""Screenshots of a long prompt being read, and of File → Speed and memory….

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x860x24" \\
        .venv/bin/python tools/screenshot_prompt_reading.py docs/screenshots [dark]

    prompt-reading.png (prompt-reading-dark.png with ``dark``)
        a question about an attached report (~3,000 tokens) sent to the benchmark-shaped model
        (app.models.synthetic.write_benchmark_gguf: random weights of Qwen3-0.6B's shape, real
        llama.cpp, about 100 prompt tokens a second on a CPU): "Reading the document… N / M
        tokens" where the answer will be, caught a third of the way; then Stop
    speed-memory.png (speed-memory-dark.png)
        the dialog, with that conversation's reading kept on disk

A fresh data dir (QWENDESK_HOME) in a temporary folder; nothing is fetched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SECTIONS = (
    "Sales grew in every region this quarter, led by the northern stores and the new online shop.",
    "Costs rose less than sales: energy prices fell in the spring and freight contracts were renewed.",
    "The warehouse in Lyon reached full capacity in May; a second site is planned for next year.",
    "Staff numbers rose from 212 to 231, most of them in customer service and logistics.",
    "Returns fell to 3.1 percent after the new size guide was added to the product pages.",
)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    dark = "dark" in sys.argv[2:]
    suffix = "-dark" if dark else ""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QWENDESK_HOME"] = str(Path(tmp) / "home")
        os.environ["QWENDESK_THEME"] = "dark" if dark else "light"
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

        from app.models.synthetic import write_benchmark_gguf
        from app.ui.app import build_window
        from app.ui.speed_dialog import SpeedDialog
        from tests.documents.make_docs import write_pdf
        from tools.qt_wait import settle, wait_until

        model = write_benchmark_gguf(Path(tmp) / "Qwen3-0.6B-Q8_0.gguf")
        pages = [[f"Section {p * 5 + i + 1}. {s}" for i, s in enumerate(SECTIONS)] for p in range(6)]
        pdf = write_pdf(Path(tmp) / "quarterly-report-q2.pdf", pages)
        window = build_window(str(model))
        window.controller.titles.after_answer = lambda *_a, **_k: False  # the question stays the title
        window.resize(1100, 720)
        window.show()

        wait_until(lambda: window.bridge.model_path is not None and not window.bridge.busy, 300)
        window.controller.read_limit_s = None  # the whole report is read, however long that takes
        window.controller.attach_files([str(pdf)])
        wait_until(lambda: not window.controller.preparer.busy)
        window.composer.input.setPlainText("Summarise the report: what changed this quarter?")
        window.composer.send_button.click()

        def a_third_read() -> bool:
            turn = window.controller.turn
            p = turn.reading.progress if turn is not None else None
            return turn is not None and turn.reading.shown and p is not None and p.done * 3 >= p.total

        wait_until(a_third_read, 300)
        settle(0.3)
        turn = window.controller.turn
        if turn is None or not turn.reading.shown:
            print("the reading line was not shown", file=sys.stderr)
            return 1
        window.grab().save(str(out / f"prompt-reading{suffix}.png"))
        print("saved", out / f"prompt-reading{suffix}.png", turn.reading.progress)
        engine = window.bridge.engine
        assert turn.reading.since is not None and turn.reading.progress is not None
        took = time.monotonic() - turn.reading.since
        print(f"read {turn.reading.progress.done} tokens in {took:.1f} s;",
              f"estimated for them: {engine.reading_seconds(turn.reading.progress.done)}")  # fmt: skip
        window.controller.stop()
        wait_until(lambda: not window.controller.answering)

        dialog = window.open_speed_dialog()
        assert isinstance(dialog, SpeedDialog)
        wait_until(lambda: window.bridge.engine.kept_states_usage()[0] > 0, 20)
        dialog.show_usage()
        settle()
        dialog.grab().save(str(out / f"speed-memory{suffix}.png"))
        print("saved", out / f"speed-memory{suffix}.png")
        dialog.reject()
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

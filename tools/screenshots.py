"""Screenshots of a real run of the chat window, for the README (run under Xvfb).

    xvfb-run -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshots.py docs/screenshots

Drives the real window against a generated, scripted Qwen3 GGUF (real llama.cpp):
thinking expanded while it streams, collapsed after the answer, and the dark theme.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from app.models.synthetic import Script, write_scripted_gguf

THOUGHT = (
    "The user wants to read a text file line by line in Python. The simplest idiom is a with-block "
    "around open(), iterating over the file object; it closes the file even on errors. I should "
    "mention strip() for the newline and the encoding argument, then keep the answer short."
)
REASONING = tuple(" " + w for w in THOUGHT.split(" "))
ANSWER = (
    "Here",
    "’s",
    " the",
    " usual",
    " way",
    " in",
    " **Python**",
    ":\n\n",
    "```python\n",
    'with open("notes.txt", encoding="utf-8") as f:\n',
    "    for line in f:\n",
    "        print(line.rstrip())\n",
    "```\n\n",
    "- ",
    "`open`",
    " gives",
    " an",
    " iterator",
    " of",
    " lines",
    "\n- ",
    "the",
    " `with`",
    " block",
    " closes",
    " it",
    " even",
    " on",
    " errors",
)


def _unique(words: tuple[str, ...]) -> tuple[str, ...]:
    """Each token once, none shared with the answer (the scripted model only sees the last token)."""
    seen: set[str] = set(ANSWER)
    out = []
    for w in words:
        if w not in seen:
            seen.add(w)
            out.append(w)
    return tuple(out)


def shoot(out_dir: Path, home: Path, model: Path, stage: str) -> None:
    os.environ["QWENDESK_HOME"] = str(home)
    from PySide6.QtCore import QPoint, QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.app import build_window

    window = build_window(str(model))
    # A scripted model would answer the title request with its script: keep the question as title.
    window.controller.titles.after_answer = lambda *_a, **_k: False
    window.resize(1200, 800)
    window.show()
    app = QApplication.instance()
    assert app is not None

    def grab(name: str) -> None:
        window.grab().save(str(out_dir / name))
        print("saved", out_dir / name, flush=True)

    def when(cond, then, every: int = 50) -> None:
        def poll() -> None:
            if cond():
                then()
            else:
                QTimer.singleShot(every, poll)

        QTimer.singleShot(every, poll)

    def from_first_answer() -> None:
        """Scroll so the first answer starts at the top (the window holds it and all that follows,
        and no question bubble is cut in half at the top edge), or to the top when that is past the end."""
        view = window.view
        view.scroll_to_bottom()
        first = next((w for w in view.widgets if w.message.role == "assistant"), None)
        if first is not None:
            bar = view.verticalScrollBar()
            top = first.mapTo(view.widget(), QPoint(0, 0)).y() - 8
            # Past the end: all but the last few pixels fit, so show it from the first question.
            bar.setValue(top if top <= bar.maximum() else 0)

    def loaded() -> bool:
        return bool(window.bridge.model_path) and not window.bridge.busy

    if stage == "light":

        def first() -> None:
            window.composer.budget.setValue(40)  # the scripted model thinks until told to stop
            window.controller.send("How do I read a file line by line in Python?")
            when(lambda: not window.controller.answering, second)

        def second() -> None:
            window.composer.budget.setValue(400)
            window.controller.send("And what about a very large file?")
            when(
                lambda: (
                    window.view.widgets[-1].reasoning is not None
                    and len(window.view.widgets[-1].reasoning.text()) > 600
                    and not window.view.widgets[-1].reasoning.label().endswith(" 0 s")  # a second in
                ),
                lambda: (grab("thinking-streaming.png"), when(lambda: not window.controller.answering, done)),
                every=20,
            )

        def done() -> None:
            QTimer.singleShot(300, lambda: (from_first_answer(), QTimer.singleShot(300, finish)))

        def finish() -> None:
            grab("thinking-collapsed.png")
            window.close()

        window.composer.think.setChecked(True)
        when(loaded, first)
    else:
        when(
            loaded,
            lambda: QTimer.singleShot(
                500,
                lambda: (
                    from_first_answer(),
                    QTimer.singleShot(300, lambda: (grab("dark-theme.png"), window.close())),
                ),
            ),
        )
    app.exec()


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) > 2:  # child: one stage
        shoot(out_dir, Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[2])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        model = write_scripted_gguf(
            Path(tmp) / "Qwen3-4B-demo.gguf",
            Script(reasoning=_unique(REASONING), answer=ANSWER, loop_reasoning=True),
            n_layers=24,  # slow enough to watch it think
        )
        home = Path(tmp) / "home"
        for stage, theme in (("light", "light"), ("dark", "dark")):
            env = {**os.environ, "QWENDESK_THEME": theme, "QT_QPA_PLATFORM": "xcb"}
            cmd = [sys.executable, __file__, str(out_dir), stage, str(home), str(model)]
            subprocess.run(cmd, check=True, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())

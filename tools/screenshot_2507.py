"""Screenshots of the 2507 generation's one-mode models in the window: Think: always / Think: never.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshot_2507.py docs/screenshots

Real llama.cpp on generated GGUFs shaped like Qwen3-4B-Thinking-2507 (its template opens
``<think>`` itself, 262,144-token context) and Qwen3-4B-Instruct-2507 (never thinks).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.models.synthetic import INSTRUCT_2507_TEMPLATE, THINKING_2507_TEMPLATE, Script, write_scripted_gguf
from tools.screenshots import ANSWER, REASONING, _unique


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QWENDESK_HOME"] = str(Path(tmp) / "home")
        common = {"context_length": 262_144, "rope_freq_base": 5_000_000.0, "n_layers": 24}
        thinking = write_scripted_gguf(
            Path(tmp) / "Qwen3-4B-Thinking-2507-Q4_K_M.gguf",
            Script(reasoning=_unique(REASONING), answer=ANSWER, loop_reasoning=True, mode="always"),
            chat_template=THINKING_2507_TEMPLATE,
            name="Qwen3-4B-Thinking-2507",
            **common,
        )
        instruct = write_scripted_gguf(
            Path(tmp) / "Qwen3-4B-Instruct-2507-Q4_K_M.gguf",
            Script(answer=ANSWER, mode="never"),
            chat_template=INSTRUCT_2507_TEMPLATE,
            name="Qwen3-4B-Instruct-2507",
            **common,
        )
        from PySide6.QtWidgets import QApplication

        from app.ui.app import build_window
        from tools.qt_wait import settle, wait_until

        window = build_window(str(thinking))
        # A scripted model would answer the title request with its script: keep the question as title.
        window.controller.titles.after_answer = lambda *_a, **_k: False
        window.resize(1200, 760)
        window.show()
        app = QApplication.instance()
        assert app is not None
        wait_until(lambda: bool(window.bridge.model_path) and not window.bridge.busy)
        window.composer.budget.setValue(60)  # the scripted model thinks until the budget stops it
        window.controller.send("How do I read a file line by line in Python?")
        wait_until(lambda: not window.controller.answering, seconds=120)
        window.view.widgets[-1].reasoning.set_expanded(True)
        settle()
        window.grab().save(str(out_dir / "think-always.png"))
        window.controller.load_model(str(instruct))
        wait_until(lambda: window.bridge.model_path == str(instruct) and not window.bridge.busy)
        wait_until(lambda: not window.controller.model_loading)
        window.new_conversation()
        window.controller.send("How do I read a file line by line in Python?")
        wait_until(lambda: not window.controller.answering, seconds=120)
        settle()
        window.grab().save(str(out_dir / "think-never.png"))
        print("saved", out_dir / "think-always.png", out_dir / "think-never.png")
        window.close()
        window.bridge.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

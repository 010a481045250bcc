"""Screenshot of a document question: a PDF chip on the question, the answer with its sources.

    xvfb-run -a -s "-screen 0 1280x860x24" .venv/bin/python tools/screenshot_documents.py docs/screenshots

A generated, scripted Qwen3 GGUF (real llama.cpp) answers; the PDF is generated too.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REASONING = (
    "The",
    " question",
    " asks",
    " for",
    " the",
    " budget",
    ";",
    " block",
    " [2]",
    " states",
    " it",
    ".",
)
ANSWER = (
    "The",
    " 2027",
    " budget",
    " is",
    " **40,000",
    " euros**",
    " [2]",
    ",",
    " approved",
    " at",
    " the",
    " March",
    " meeting",
    " [1]",
    ".",
)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["QWENDESK_HOME"] = str(Path(tmp) / "home")
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

        from app.models.synthetic import Script, write_scripted_gguf
        from app.ui.app import build_window
        from tests.documents.make_docs import write_pdf
        from tools.qt_wait import settle, wait_until

        reasoning = tuple(t for t in REASONING if t not in ANSWER) or REASONING
        model = write_scripted_gguf(
            Path(tmp) / "Qwen3-4B-Q4_K_M.gguf", Script(reasoning=reasoning, answer=ANSWER)
        )
        pdf = write_pdf(
            Path(tmp) / "board-minutes-2026.pdf",
            [
                ["Board minutes, March 2026.", "The board approved the plan for 2027."],
                ["Budget: the budget for 2027 is 40,000 euros.", "It covers staff and equipment."],
                ["Next meeting: May 2026."],
            ],
        )
        window = build_window(str(model))
        # A scripted model would answer the title request with its script: keep the question as title.
        window.controller.titles.after_answer = lambda *_a, **_k: False
        window.resize(1100, 720)
        window.show()

        wait_until(lambda: window.bridge.model_path is not None and not window.bridge.busy)
        window.controller.attach_files([str(pdf)])
        wait_until(lambda: not window.controller.preparer.busy)
        window.composer.input.setPlainText("What is the budget for 2027?")
        window.composer.send_button.click()
        wait_until(lambda: not window.controller.answering)
        settle()
        window.grab().save(str(out / "documents.png"))
        print("saved", out / "documents.png")
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

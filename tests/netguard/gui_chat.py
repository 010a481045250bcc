"""Run one document question through the real window, offscreen (a child of the privacy test).

python tests/netguard/gui_chat.py MODEL DOCUMENT QUESTION → one JSON line: the answer and its sources.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    model, document, question = sys.argv[1:4]
    from PySide6.QtWidgets import QApplication

    from app.ui.app import build_window

    window = build_window(model)
    window.show()
    app = QApplication.instance()
    assert app is not None

    def wait(done, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while not done():
            if time.monotonic() > end:
                raise TimeoutError
            app.processEvents()
            time.sleep(0.01)

    wait(lambda: window.bridge.model_path is not None and not window.bridge.busy)
    window.controller.attach_files([document])
    wait(lambda: not window.controller.preparer.busy)
    window.composer.input.setPlainText(question)
    window.composer.send_button.click()
    wait(lambda: not window.controller.answering)
    answer = window.view.widgets[-1]
    print(
        json.dumps(
            {
                "answer": answer.answer.toPlainText().strip(),
                "sources": [s.to_json() for s in answer.sources.sources],
            }
        )
    )
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
